"""1&1 (IONOS): "Mail delivery failed: returning message to sender" from "Mail Delivery System"."""

from __future__ import annotations

import re

from digest.mailing.bounces._text import lines, rx, sweep
from digest.mailing.bounces.lhost._common import Collector, first_match
from digest.mailing.bounces.parsed import Head, Parsed
from digest.mailing.bounces.rfc5322 import fillet
from digest.mailing.bounces.smtpcodes import find_status

_BACKBONE = rx(r"^---[ ]The[ ]header[ ]of[ ]the[ ]original[ ]message[ ]is[ ]following[.][ ]---", re.M)
_START = "This message was created automatically by mail delivery software"
_ERROR = "For the following reason:"
_MESSAGES = {"mesgtoobig": ("Mail size limit exceeded",)}
_RCPT = rx(r"\A([^ ]+[@][^ ]+?)[:]?\Z")
_HOST = rx(r"host:[ ]+(.+?)[ ]+.+[ ]+reason:.+")


def make(head: Head, body: str) -> Parsed | None:
    if not head["from"].startswith('"Mail Delivery System"'):
        return None
    if head["subject"] != "Mail delivery failed: returning message to sender":
        return None
    c = Collector()
    report, rfc822 = fillet(body, _BACKBONE)
    cursor = False
    alterrors: dict[int, str] = {}
    for e in lines(report):
        if not cursor:
            cursor = e.startswith(_START)
            continue
        if not e:
            continue
        v = c.ds[-1]
        if found := _RCPT.match(e):
            v = c.next_record()
            v["recipient"] = found.group(1)
            c.recipients += 1
        elif e.startswith(_ERROR):
            v["diagnosis"] = e
        elif v["diagnosis"]:
            v["diagnosis"] += " " + e
        else:
            alterrors[id(v)] = alterrors.get(id(v), "") + " " + e
    if not c.recipients:
        return None
    for rec in c.ds:
        rec["diagnosis"] = rec["diagnosis"] or alterrors.get(id(rec), "")
        if found := _HOST.search(rec["diagnosis"]):
            rec["rhost"] = found.group(1)
            if "for TEXT command" in rec["diagnosis"]:
                rec["command"] = "DATA"
            if "SMTP error" in rec["diagnosis"]:
                rec["spec"] = "SMTP"
            rec["status"] = find_status(rec["diagnosis"])
        elif rec["diagnosis"].startswith(_ERROR):
            rec["diagnosis"] = rec["diagnosis"].replace(_ERROR, "")
        rec["diagnosis"] = sweep(rec["diagnosis"])
        rec["reason"] = first_match(_MESSAGES, rec["diagnosis"]) or rec["reason"]
    return Parsed(c.ds, rfc822)
