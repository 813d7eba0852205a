"""Postfix: "Undelivered Mail Returned to Sender" with its own prose plus a DSN part."""

from __future__ import annotations

import re

from digest.mailing.bounces import address
from digest.mailing.bounces._text import lines, rx, sweep
from digest.mailing.bounces.lhost._common import RFC822_BACKBONE, Collector
from digest.mailing.bounces.parsed import Head, Parsed
from digest.mailing.bounces.rfc5322 import fillet
from digest.mailing.bounces.smtpcodes import find_reply, find_status

_MESSAGE = rx(
    r"\A(?>[ ]+The[ ](?:Postfix[ ](?:program\Z|on[ ].+[ ]program\Z)|\w+[ ]Postfix[ ]program\Z"
    r"|mail[ \t]system\Z|\w+[ \t]program\Z)"
    r"|This[ ]is[ ]the[ ](?:Postfix[ ]program|\w+[ ]Postfix[ ]program|\w+[ ]program|mail[ ]system[ ]at[ ]host))"
)
_SENDER = rx(r"\A(X-Postfix-Sender):[ ]*rfc822;[ ]*(.+)\Z")
_IN_REPLY = rx(r"[ \t][(]in reply to (?:end of )?([A-Z]{4}).*")
_COMMAND = rx(r"([A-Z]{4})[ \t]*.*command[)]\Z")
_EXPANDED = rx(r"\A[<]([^ ]+[@][^ ]+)[>] [(]expanded from [<](.+)[>][)]:[ \t]*(.+)\Z")
_RCPT = rx(r"\A[<]([^ ]+[@][^ ]+)[>]:(.*)\Z")
_INDENTED = rx(r"\A[ \t]{4}(.+)\Z")
_TO = rx(r"^To:[ ]*(.+)", re.M)
_DIGITS = rx(r"\A\d+\Z")
_SAID = rx(r"host .+ said:")


def make(head: Head, body: str) -> Parsed | None:
    if head["subject"] != "Undelivered Mail Returned to Sender" or head["x-aol-ip"]:
        return None
    c = Collector()
    report, rfc822 = fillet(body, RFC822_BACKBONE)
    cursor = False
    another: dict[str, str] = {}
    nomessages = False
    commands: list[str] = []
    p = ""
    for e in lines(report):
        if not cursor:
            cursor = _MESSAGE.match(e) is not None
            p = e
            continue
        if not e:
            p = e
            continue
        if c.dsn(e, {"X-POSTFIX": "SMTP"}):
            p = e
            continue
        if c.continued(p, e):
            e = "Diagnostic-Code: " + e
        elif found := _SENDER.match(e):
            rfc822 += f"{found.group(1)}: {found.group(2)}\n"
        elif found := (_IN_REPLY.search(e) or _COMMAND.search(e)):
            commands.append(found.group(1))
            if another.get("diagnosis"):
                another["diagnosis"] += " " + e
        elif found := _EXPANDED.match(e):
            another["recipient"], another["alias"], another["diagnosis"] = found.group(1, 2, 3)
        elif found := _RCPT.match(e):
            another["recipient"], another["diagnosis"] = found.group(1, 2)
        elif "--- Delivery report unavailable ---" in e:
            nomessages = True
        elif another.get("diagnosis") and (found := _INDENTED.match(e)):
            another["diagnosis"] += " " + e
        p = e

    if not c.recipients:
        if another.get("recipient"):
            c.ds[-1]["recipient"] = another["recipient"]
            c.recipients += 1
        elif nomessages and (to := _TO.search(rfc822)):
            c.ds[-1]["recipient"] = address.s3s4(to.group(1))
            c.recipients += 1
    if not c.recipients:
        return None

    for rec in c.ds:
        c.fill_permessage(rec)
        alt = another.get("diagnosis", "")
        if alt:
            rec["diagnosis"] = rec["diagnosis"] or alt
            if _DIGITS.match(rec["diagnosis"]):
                rec["diagnosis"] = alt
            else:
                status = reply = ""
                if rec["status"] == "" or rec["status"][-4:] == ".0.0":
                    status = find_status(alt)
                    if status and status[-4:] != ".0.0":
                        rec["status"] = status
                if rec["replycode"] == "" or rec["replycode"][-2:] == "00":
                    reply = find_reply(alt)
                    if reply and reply[-2:] != "00":
                        rec["replycode"] = reply
                if status or (reply and len(alt) > len(rec["diagnosis"])):
                    rec["diagnosis"] = alt
        rec["diagnosis"] = sweep(rec["diagnosis"])
        rec["command"] = commands.pop(0) if commands else ""
        if not rec["command"] and "refused to talk to me:" in rec["diagnosis"]:
            rec["command"] = "HELO"
        if not rec["spec"] and _SAID.search(rec["diagnosis"]):
            rec["spec"] = "SMTP"
    return Parsed(c.ds, rfc822)
