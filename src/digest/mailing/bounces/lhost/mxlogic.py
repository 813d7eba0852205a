"""McAfee SaaS (MXLogic): Exim-like reports with X-MX-Bounce or X-MXL headers."""

from __future__ import annotations

import re

from digest.mailing.bounces import rfc5322
from digest.mailing.bounces._text import lines, rx, sweep
from digest.mailing.bounces.lhost._common import Collector, first_match
from digest.mailing.bounces.parsed import Head, Parsed
from digest.mailing.bounces.rfc5322 import fillet

_SUBJECT = rx(
    r"(?:Mail[ ]delivery[ ]failed(:[ ]returning[ ]message[ ]to[ ]sender)?"
    r"|Warning:[ ]message[ ][^ ]+[ ]delayed[ ]+|Delivery[ ]Status[ ]Notification)"
)
_BACKBONE = rx(r"^Included is a copy of the message header:", re.M)
_START = "This message was created automatically by mail delivery software."
_COMMANDS = (
    rx(r"SMTP error from remote (?:mail server|mailer) after ([A-Za-z]{4})"),
    rx(r"SMTP error from remote (?:mail server|mailer) after end of ([A-Za-z]{4})"),
)
_MESSAGES = {
    "userunknown": ("user not found",),
    "hostunknown": (
        "all host address lookups failed permanently",
        "all relevant MX records point to non-existent hosts",
        "Unrouteable address",
    ),
    "mailboxfull": ("mailbox is full", "error: quota exceed"),
    "notaccept": ("an MX or SRV record indicated no SMTP service", "no host found for existing SMTP connection"),
    "syntaxerror": (
        "angle-brackets nested too deep",
        'expected word or "<"',
        "domain missing in source-routed address",
        "malformed address:",
    ),
    "systemerror": (
        "delivery to file forbidden",
        "delivery to pipe forbidden",
        "local delivery failed",
        "LMTP error after ",
    ),
    "contenterror": ('Too many "Received" headers',),
}
_DELAYED = (
    "retry timeout exceeded",
    "No action is required on your part",
    "retry time not reached for any host after a long failure period",
    "all hosts have been failing for a long time and were last tried",
    "Delay reason: ",
    "has been frozen",
    "was frozen on arrival by ",
)
_RCPT = rx(r"\A[ \t]*[<]([^ ]+[@][^ ]+)[>]:(.+)\Z")
_RECEIVED_FROM = rx(r"from[ \t]([^ ]+) ")
_DASHES = rx(r"[-]{2}.*\Z")
_HOST = rx(r"host[ \t]+([^ \t]+)[ \t]\[.+\]:[ \t]")


def make(head: Head, body: str) -> Parsed | None:
    match = any(h in head for h in ("x-mx-bounce", "x-mxl-hash", "x-mxl-notehash"))
    match = match or head["from"].startswith("Mail Delivery System") or _SUBJECT.search(head["subject"]) is not None
    if not match:
        return None
    c = Collector()
    report, rfc822 = fillet(body, _BACKBONE)
    cursor = False
    for e in lines(report):
        if not cursor:
            cursor = e.startswith(_START)
            continue
        if not e:
            continue
        v = c.ds[-1]
        if found := _RCPT.match(e):
            v = c.next_record()
            v["recipient"], v["diagnosis"] = found.group(1, 2)
            c.recipients += 1
        elif len(c.ds) == c.recipients:
            v["diagnosis"] += e + " "
    if not c.recipients:
        return None
    localhost0 = ""
    if head.received and (found := _RECEIVED_FROM.search(head.received[-1])):
        localhost0 = found.group(1)
    for rec in c.ds:
        rec["lhost"] = rec["lhost"] or localhost0
        rec["diagnosis"] = sweep(_DASHES.sub("", rec["diagnosis"], count=1))
        if not rec["rhost"]:
            if host := _HOST.search(rec["diagnosis"]):
                rec["rhost"] = host.group(1)
            if not rec["rhost"] and head.received:
                hosts = rfc5322.received(head.received[-1])
                rec["rhost"] = hosts[-1] if hosts else ""
        if not rec["command"]:
            command = next((f.group(1).upper() for p in _COMMANDS if (f := p.search(rec["diagnosis"]))), "")
            rec["command"] = command
            if command == "MAIL":
                rec["reason"] = "rejected"
            elif command in ("HELO", "EHLO"):
                rec["reason"] = "blocked"
            else:
                rec["reason"] = first_match(_MESSAGES, rec["diagnosis"]) or rec["reason"]
                if not rec["reason"] and any(d in rec["diagnosis"] for d in _DELAYED):
                    rec["reason"] = "expired"
    return Parsed(c.ds, rfc822)
