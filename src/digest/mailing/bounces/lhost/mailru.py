"""Mail.ru (an Exim variant): "Mail delivery failed" from mailer-daemon@*.mail.ru."""

from __future__ import annotations

import re

from digest.mailing.bounces import rfc5322
from digest.mailing.bounces._text import lines, new_status, rx, sweep
from digest.mailing.bounces.lhost._common import Collector, first_match
from digest.mailing.bounces.parsed import Head, Parsed
from digest.mailing.bounces.rfc5322 import fillet

_FROM = rx(r"[<]?mailer-daemon[@].*mail[.]ru[>]?")
_MESSAGE_ID = rx(r"[.](?:mail[.]ru|smailru[.]net)[>]\Z")
_SUBJECT = rx(
    r"(?:Mail[ ]delivery[ ]failed(:[ ]returning[ ]message[ ]to[ ]sender)?|Warning:[ ]message[ ].+[ ]delayed[ ]+"
    r"|Delivery[ ]Status[ ]Notification|Mail[ ]failure|Message[ ]frozen"
    r"|error[(]s[)][ ]in[ ]forwarding[ ]or[ ]filtering)"
)
_BACKBONE = rx(r"^------ This is a copy of the message, including all the headers[.] ------", re.M)
_START = "This message was created automatically by mail delivery software."
_COMMANDS = (
    rx(r"SMTP error from remote (?:mail server|mailer) after ([A-Za-z]{4})"),
    rx(r"SMTP error from remote (?:mail server|mailer) after end of ([A-Za-z]{4})"),
)
_MESSAGES = {
    "expired": ("retry timeout exceeded", "No action is required on your part"),
    "userunknown": ("user not found",),
    "hostunknown": (
        "all host address lookups failed permanently",
        "all relevant MX records point to non-existent hosts",
        "Unrouteable address",
    ),
    "mailboxfull": ("mailbox is full", "error: quota exceed"),
    "notaccept": ("an MX or SRV record indicated no SMTP service", "no host found for existing SMTP connection"),
    "systemerror": ("delivery to file forbidden", "delivery to pipe forbidden", "local delivery failed"),
    "contenterror": ('Too many "Received" headers ',),
}
_RCPT = rx(r"\A[ \t]+([^ \t]+[@][^ \t]+[.][a-zA-Z]+)\Z")
_RECEIVED_FROM = rx(r"from[ \t]([^ ]+) ")
_DUNDER = rx(r"\b__.+\Z")
_INDENT4 = rx(r"\A[ \t]{4}")
_HOST = rx(r"host[ \t]+([^ \t]+)[ \t]\[.+\]:[ \t]")


def make(head: Head, body: str) -> Parsed | None:
    if not _FROM.search(head["from"].lower()) or not _MESSAGE_ID.search(head["message-id"]):
        return None
    if not _SUBJECT.search(head["subject"]):
        return None
    c = Collector()
    report, rfc822 = fillet(body, _BACKBONE)
    cursor = False
    alterrors: dict[int, str] = {}
    for e in lines(report):
        if not cursor and e.startswith(_START):
            cursor = True
        if not cursor or not e:
            continue
        v = c.ds[-1]
        if found := _RCPT.match(e):
            v = c.next_record()
            v["recipient"] = found.group(1)
            c.recipients += 1
        elif len(c.ds) == c.recipients:
            v["diagnosis"] += e + " "
        elif _INDENT4.match(e):
            alterrors[id(v)] = alterrors.get(id(v), "") + e + " "
    if not c.recipients and "x-failed-recipients" in head:
        failed = head["x-failed-recipients"].split(",")
        while failed and failed[-1] == "":
            failed.pop()
        failed = [r.replace(" ", "") for r in failed]
        c.recipients = len(failed)
        for r in failed:
            c.ds[-1]["recipient"] = r
            if len(c.ds) == c.recipients:
                continue
            c.ds.append(new_status())
    if not c.recipients:
        return None

    localhost0 = ""
    if head.received and (found := _RECEIVED_FROM.search(head.received[-1])):
        localhost0 = found.group(1)
    for rec in c.ds:
        alt = alterrors.get(id(rec), "")
        if alt:
            rec["diagnosis"] = rec["diagnosis"] or alt
            if rec["diagnosis"].startswith("-") or rec["diagnosis"].endswith("__"):
                rec["diagnosis"] = alt
        rec["diagnosis"] = _DUNDER.sub("", sweep(rec["diagnosis"]), count=1)
        if not rec["rhost"]:
            if host := _HOST.search(rec["diagnosis"]):
                rec["rhost"] = host.group(1)
            if not rec["rhost"] and head.received:
                hosts = rfc5322.received(head.received[-1])
                rec["rhost"] = hosts[-1] if hosts else ""
        rec["lhost"] = rec["lhost"] or localhost0
        if not rec["command"]:
            command = next((f.group(1).upper() for p in _COMMANDS if (f := p.search(rec["diagnosis"]))), "")
            rec["command"] = command
            if command == "MAIL":
                rec["reason"] = "rejected"
            elif command in ("HELO", "EHLO"):
                rec["reason"] = "blocked"
            else:
                rec["reason"] = first_match(_MESSAGES, rec["diagnosis"]) or rec["reason"]
    return Parsed(c.ds, rfc822)
