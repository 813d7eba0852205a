"""qmail (and netqmail, vpopmail setups): "Hi. This is the qmail-send program"."""

from __future__ import annotations

import re
from collections.abc import Callable

from digest.mailing.bounces._text import lines, rx, sweep
from digest.mailing.bounces.lhost._common import Collector
from digest.mailing.bounces.parsed import Head, Parsed
from digest.mailing.bounces.rfc5322 import fillet
from digest.mailing.bounces.smtpcodes import find_status

_TRYTO = rx(r"\A[(]qmail[ ]+\d+[ ]+invoked[ ]+(?:for[ ]+bounce|from[ ]+network)[)]")
_BACKBONE = rx(r"^--- Below this line is a copy of the message[.]", re.M)
_START = "Hi. This is the qmail"
_ERROR = "Remote host said:"
_SMTP = {
    "conn": rx(r"(?:Error:)?Connected to [^ ]+ but greeting failed[.]"),
    "ehlo": rx(r"(?:Error:)?Connected to [^ ]+ but my name was rejected[.]"),
    "mail": rx(r"(?:Error:)?Connected to [^ ]+ but sender was rejected[.]"),
    "rcpt": rx(r"(?:Error:)?[^ ]+ does not like recipient[.]"),
    "data": rx(
        r"(?:(?:Error:)?[^ ]+[ ]failed[ ]on[ ]DATA[ ]command[.]"
        r"|(?:Error:)?[^ ]+[ ]failed[ ]after[ ]I[ ]sent[ ]the[ ]message[.])"
    ),
}
_HOST = rx(
    r"(?:Giving[ ]up[ ]on[ ]([^ ]+[0-9a-zA-Z])[.]?\Z|Connected[ ]to[ ]([-0-9a-zA-Z.]+[0-9a-zA-Z])[ ]"
    r"|remote[ ]host[ ]([-0-9a-zA-Z.]+[0-9a-zA-Z])[ ]said:)"
)
_EXPIRED = "this message has been in the queue too long."
_COMMANDS = rx(r"Sorry, no SMTP connection got far enough; most progress was ([A-Z]{4}) ")
_ONHOLD = rx(r"\A[^ ]+ does not like recipient[.][ \t]+.+this message has been in the queue too long[.]\Z")
_LDAP = {
    "suspend": ("Mailaddress is administrative?le?y disabled",),
    "userunknown": ("Sorry, no mailbox here by that name",),
    "exceedlimit": ("The message exeeded the maximum size the user accepts",),
    "systemerror": (
        "Automatic homedir creator crashed",
        "Illegal value in LDAP attribute",
        "LDAP attribute is not given but mandatory",
        "Timeout while performing search on LDAP server",
        "Too many results returned but needs to be unique",
        "Permanent error while executing qmail-forward",
        "Temporary error in automatic homedir creation",
        "Temporary error while executing qmail-forward",
        "Temporary failure in LDAP lookup",
        "Unable to contact LDAP server",
        "Unable to login into LDAP server, bad credentials",
    ),
}
_MESSAGES = {
    "userunknown": ("no mailbox here by that name", "does not like recipient."),
    "mailboxfull": ("disk quota exceeded",),
    "mesgtoobig": ("Message size exceeds fixed maximum message size:",),
    "hostunknown": ("Sorry, I couldn't find any host ",),
    "systemfull": ("Requested action not taken: mailbox unavailable (not enough free space)",),
    "systemerror": ("bad interpreter: No such file or directory", "system error", "Unable to"),
    "networkerror": (
        "Sorry, I wasn't able to establish an SMTP connection",
        "Sorry, I couldn't find a mail exchanger or IP address",
        "Sorry. Although I'm listed as a best-preference MX or A for that host",
    ),
}
_RCPT = rx(r"\A(?:To[ ]*:)?[<](.+[@].+)[>]:[ \t]*\Z")


def read(report: str, is_start: Callable[[str], bool]) -> tuple[Collector, dict[int, str]]:
    """Recipients and their transcripts from a qmail-style report."""
    c = Collector()
    cursor = False
    alterrors: dict[int, str] = {}
    for e in lines(report):
        if not cursor:
            cursor = is_start(e)
            continue
        if not e:
            continue
        v = c.ds[-1]
        if found := _RCPT.match(e):
            v = c.next_record()
            v["recipient"] = found.group(1)
            c.recipients += 1
        elif len(c.ds) == c.recipients:
            v["diagnosis"] += e + " "
            if e.startswith(_ERROR):
                alterrors[id(v)] = e
            if v["rhost"]:
                continue
            if host := _HOST.search(e):
                v["rhost"] = host.group(1) or ""
    return c, alterrors


def finish(c: Collector, alterrors: dict[int, str]) -> None:
    """Command and reason from the transcript text."""
    for rec in c.ds:
        rec["diagnosis"] = sweep(rec["diagnosis"])
        if not rec["command"]:
            rec["command"] = next((k.upper() for k, pattern in _SMTP.items() if pattern.search(rec["diagnosis"])), "")
            if not rec["command"] and (found := _COMMANDS.search(rec["diagnosis"])):
                rec["command"] = found.group(1).upper()
        if rec["command"] == "MAIL":
            rec["reason"] = "rejected"
        elif rec["command"] in ("HELO", "EHLO"):
            rec["reason"] = "blocked"
        elif _ONHOLD.match(rec["diagnosis"]):
            rec["reason"] = "onhold"
        else:
            alt = alterrors.get(id(rec), "")
            for reason, phrases in _MESSAGES.items():
                if alt:
                    if not any(p in alt for p in phrases):
                        continue
                    rec["reason"] = reason
                    break
                if any(p in rec["diagnosis"] for p in phrases):
                    rec["reason"] = reason
                    break
            if not rec["reason"]:
                rec["reason"] = next(
                    (k for k, phrases in _LDAP.items() if any(p in rec["diagnosis"] for p in phrases)), ""
                )
            if not rec["reason"] and _EXPIRED in rec["diagnosis"]:
                rec["reason"] = "expired"


def make(head: Head, body: str) -> Parsed | None:
    if head["subject"] != "failure notice" and not any(_TRYTO.search(r) for r in head.received):
        return None
    report, rfc822 = fillet(body, _BACKBONE)
    c, alterrors = read(report, lambda e: e.startswith(_START))
    if not c.recipients:
        return None
    finish(c, alterrors)
    for rec in c.ds:
        rec["status"] = find_status(rec["diagnosis"])
    return Parsed(c.ds, rfc822)
