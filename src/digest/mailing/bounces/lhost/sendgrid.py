"""SendGrid: "Undelivered Mail Returned to Sender" from apps@sendgrid.net."""

from __future__ import annotations

import re

from digest.mailing.bounces._text import lines, rx, sweep
from digest.mailing.bounces.lhost._common import CONTINUED, Collector
from digest.mailing.bounces.parsed import Head, Parsed
from digest.mailing.bounces.rfc5322 import FIELD_TABLE, dsn_field, dsn_match, fillet
from digest.mailing.bounces.smtpcodes import find_status, pseudo_status

_BACKBONE = rx(r"^Content-Type:[ ]message/rfc822", re.M)
_START = "This is an automatically generated message from SendGrid."
_DIAG = rx(r"\ADiagnostic-Code:[ ]*(.+)")
_COMMAND = rx(r".+ in (?:End of )?([A-Z]{4}).*\Z")
_REPLY_CLASS = rx(r"\b([45])\d\d[ \t]*")


def make(head: Head, body: str) -> Parsed | None:
    if head["return-path"] != "<apps@sendgrid.net>" or head["subject"] != "Undelivered Mail Returned to Sender":
        return None
    c = Collector()
    report, rfc822 = fillet(body, _BACKBONE)
    cursor = False
    command = ""
    p = ""
    for e in lines(report):
        if not cursor:
            cursor = e.startswith(_START)
        elif e:
            kind = dsn_match(e)
            if kind:
                v = c.ds[-1]
                o = dsn_field(e)
                if o is None:
                    if found := _DIAG.match(e):
                        v["diagnosis"] = found.group(1)
                elif o[3] == "addr":
                    if o[0] == "final-recipient":
                        v = c.next_record()
                        v["recipient"] = o[2]
                        c.recipients += 1
                    else:
                        v["alias"] = o[2]
                elif o[3] == "code":
                    v["spec"], v["diagnosis"] = o[1], o[2]
                elif o[3] != "date" and o[0] in FIELD_TABLE:
                    v[FIELD_TABLE[o[0]]] = o[2]
                    if kind == 1:
                        c.permessage[FIELD_TABLE[o[0]]] = o[2]
            elif found := _COMMAND.match(e):
                command = found.group(1)
            elif p.startswith("Diagnostic-Code:") and (found := CONTINUED.match(e)):
                c.ds[-1]["diagnosis"] += " " + found.group(1)
        p = e
    if not c.recipients:
        return None
    for rec in c.ds:
        rec["diagnosis"] = sweep(rec["diagnosis"])
        if found := _REPLY_CLASS.search(rec["diagnosis"]):
            rec["status"] = found.group(1) + ".0.0"
        if rec["status"] in ("5.0.0", "4.0.0"):
            rec["status"] = find_status(rec["diagnosis"]) or rec["status"]
        if rec["action"] == "expired":
            rec["reason"] = "expired"
            if not rec["status"] or rec["status"][-4:] == ".0.0":
                rec["status"] = pseudo_status("expired") or rec["status"]
        rec["lhost"] = rec["lhost"] or c.permessage.get("rhost", "")
        rec["command"] = rec["command"] or command
    return Parsed(c.ds, rfc822)
