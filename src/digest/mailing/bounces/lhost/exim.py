"""Exim: "Mail delivery failed: returning message to sender" and frozen-message warnings."""

from __future__ import annotations

import re

from digest.mailing.bounces import rfc5322
from digest.mailing.bounces._text import lines, new_status, rx, sweep
from digest.mailing.bounces.lhost._common import Collector, first_match
from digest.mailing.bounces.mime import boundary
from digest.mailing.bounces.parsed import Head, Parsed
from digest.mailing.bounces.rfc5322 import FIELD_TABLE, dsn_field, dsn_match, fillet
from digest.mailing.bounces.smtpcodes import find_reply, find_status, pseudo_status

_MAILRU = rx(r"[@].+[.]mail[.]ru[>]?")
_MESSAGE_ID = rx(r"\A[<]\w{7}[-]\w{6}[-]\w{2}[@]")
_SUBJECT = rx(
    r"(?:Mail[ ]delivery[ ]failed(:[ ]returning[ ]message[ ]to[ ]sender)?"
    r"|Warning:[ ]message[ ][^ ]+[ ]delayed[ ]+|Delivery[ ]Status[ ]Notification|Mail[ ]failure"
    r"|Message[ ]frozen|error[(]s[)][ ]in[ ]forwarding[ ]or[ ]filtering)"
)
_BACKBONE = rx(
    r"^(?:[-]+[ ]This[ ]is[ ]a[ ]copy[ ]of[ ](?:the|your)[ ]message,[ ]including[ ]all[ ]the[ ]headers[.][ ][-]+"
    r"|Content-Type:[ ]*message/rfc822\n(?:[\s\t]+.*?\n\n)?)",
    re.M | re.S,
)
_DELIVERY_STATUS = "Content-type: message/delivery-status"
_ALIAS = rx(r"\A([ ]+an undisclosed address)\Z")
_MESSAGE = rx(
    r"\A(?>This[ ]message[ ]was[ ]created[ ]automatically[ ]by[ ]mail[ ]delivery[ ]software[.]"
    r"|A[ ]message[ ]that[ ]you[ ]sent[ ]was[ ]rejected[ ]by[ ]the[ ]local[ ]scannning[ ]code"
    r"|A[ ]message[ ]that[ ]you[ ]sent[ ]contained[ ]one[ ]or[ ]more[ ]recipient[ ]addresses[ ]"
    r"|A[ ]message[ ]that[ ]you[ ]sent[ ]could[ ]not[ ]be[ ]delivered[ ]to[ ]all[ ]of[ ]its[ ]recipients"
    r"|Message[ ][^ ]+[ ](?:has[ ]been[ ]frozen|was[ ]frozen[ ]on[ ]arrival)"
    r"|The[ ][^ ]+[ ]router[ ]encountered[ ]the[ ]following[ ]error[(]s[)]:)"
)
_FROZEN = rx(r"\AMessage [^ ]+ (?:has been frozen|was frozen on arrival)")
_COMMANDS = (
    rx(r"SMTP error from remote (?:mail server|mailer) after ([A-Za-z]{4})"),
    rx(r"SMTP error from remote (?:mail server|mailer) after end of ([A-Za-z]{4})"),
    rx(r"LMTP error after ([A-Za-z]{4})"),
    rx(r"LMTP error after end of ([A-Za-z]{4})"),
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
_RCPT1 = rx(r"\A[ \t]{2}([^ \t]+[@][^ \t]+[.]?[a-zA-Z]+)(:.+)?\Z")
_RCPT2 = rx(r"\A[ \t]{2}[^ \t]+[@][^ \t]+[.][a-zA-Z]+[ ]<(.+?[@].+?)>:.+\Z")
_RCPT2_LOOSE = rx(r"\A[ \t]+[^ \t]+[@][^ \t]+[.][a-zA-Z]+[ ]<(.+?[@].+?)>:.+\Z")
_GENERATED = (rx(r"\A[ ]+[(]generated[ ]from[ ](.+)[)]\Z"), rx(r"\A[ ]+generated[ ]by[ ]([^ \t]+[@][^ \t]+)"))
_PIPE = rx(r"\A[ ]+pipe[ ]to[ ][|]/[^ ]+")
_RECEIVED_FROM = rx(r"from[ \t]([^ ]+) ")
_DUNDER = rx(r"\b__.+\Z")
_HOST = rx(r"host[ \t]+([^ \t]+)[ \t]\[.+\]:[ \t]")


def make(head: Head, body: str) -> Parsed | None:
    if _MAILRU.search(head["from"]):
        return None
    match = 0
    if head["from"].startswith("Mail Delivery System"):
        match += 1
    if "message-id" in head and _MESSAGE_ID.search(head["message-id"]):
        match += 1
    if _SUBJECT.search(head["subject"]):
        match += 1
    if match < 2:
        return None

    c = Collector()
    report, rfc822 = fillet(body, _BACKBONE)
    cursor = False
    nextcursor = False
    boundary00 = boundary(head["content-type"]) if head["content-type"] else ""
    alterrors: dict[int, str] = {}

    for e in lines(report):
        if not cursor and _MESSAGE.match(e):
            cursor = True
            if not _FROZEN.match(e):
                continue
        if not cursor or not e:
            continue
        v = c.ds[-1]
        found = _RCPT1.match(e) or _RCPT2.match(e) or _ALIAS.match(e)
        if found:
            r = found.group(1)
            v = c.next_record()
            loose = _RCPT2_LOOSE.match(e)
            if loose:
                r = loose.group(1)
                v["diagnosis"] = e
            v["recipient"] = r
            c.recipients += 1
        elif generated := (_GENERATED[0].match(e) or _GENERATED[1].match(e)):
            v["alias"] = generated.group(1)
        elif _FROZEN.match(e):
            alterrors[id(v)] = alterrors.get(id(v), "") + e + " "
        elif boundary00:
            if dsn_match(e):
                o = dsn_field(e)
                if o is None:
                    continue
                name, spec, value, group = o
                if group == "addr":
                    if name == "final-recipient" and not v["spec"]:
                        v["spec"] = "SMTP" if "@" in value else "X-UNIX"
                elif group == "code":
                    v["spec"] = spec.upper()
                    v["diagnosis"] = value
                elif name in FIELD_TABLE:
                    v[FIELD_TABLE[name]] = value
            else:
                if nextcursor:
                    continue
                if e.startswith(_DELIVERY_STATUS):
                    nextcursor = True
                if e.startswith(" "):
                    alterrors[id(v)] = alterrors.get(id(v), "") + e + " "
        elif len(c.ds) == c.recipients:
            v["diagnosis"] += e + " "
        elif _PIPE.match(e):
            v["diagnosis"] = e
        elif e.startswith("    "):
            alterrors[id(v)] = alterrors.get(id(v), "") + e + " "

    if c.recipients:
        for q in c.ds:
            if q["alias"] and (not q["recipient"] or "@" not in q["recipient"]):
                q["recipient"] = q["alias"]
    elif "x-failed-recipients" in head:
        failed = head["x-failed-recipients"].split(",")
        while failed and failed[-1] == "":
            failed.pop()
        failed = [r.strip(" ") for r in failed]
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
    first = c.ds[0]
    for rec in c.ds:
        rec["lhost"] = rec["lhost"] or localhost0
        alt = alterrors.get(id(rec), "")
        if not rec["diagnosis"] and boundary00:
            rec["diagnosis"] = first["diagnosis"] or ""
            rec["spec"] = rec["spec"] or first["spec"]
            if alterrors.get(id(first)):
                alt = alterrors[id(first)]
        if alt:
            rec["diagnosis"] = rec["diagnosis"] or alt
            if (
                rec["diagnosis"].startswith("-")
                or rec["diagnosis"].endswith("__")
                or len(rec["diagnosis"]) < len(alt)
                and re.search(re.escape(rec["diagnosis"]), alt, re.I)
            ):
                rec["diagnosis"] = alt
            alterrors.pop(id(rec), None)
        rec["diagnosis"] = _DUNDER.sub("", sweep(rec["diagnosis"]), count=1)

        if not rec["rhost"]:
            if host := _HOST.search(rec["diagnosis"]):
                rec["rhost"] = host.group(1)
            if not rec["rhost"] and head.received:
                hosts = rfc5322.received(head.received[-1])
                rec["rhost"] = hosts[-1] if hosts else ""

        if not rec["command"]:
            command = next((f.group(1).upper() for p in _COMMANDS if (f := p.search(rec["diagnosis"]))), "")
            rec["command"] = command
            if command in ("HELO", "EHLO"):
                rec["reason"] = "blocked"
            elif command == "MAIL":
                rec["reason"] = "onhold"
            else:
                rec["reason"] = first_match(_MESSAGES, rec["diagnosis"])
                if not rec["reason"] and any(d in rec["diagnosis"] for d in _DELAYED):
                    rec["reason"] = "expired"

        sv = rec["status"] or find_status(rec["diagnosis"])
        rv = rec["replycode"] or find_reply(rec["diagnosis"])
        r1 = 0
        if not sv and rv:
            r1 = int(rv[0])
            if r1 == 4:
                sv = pseudo_status(rec["reason"], temporary=True)
            elif r1 == 5:
                sv = pseudo_status(rec["reason"], temporary=False)
        s1 = int(sv[0]) if sv and sv[0].isdigit() else 0
        v1 = s1 + r1 + (int(rec["status"][0]) if rec["status"] and rec["status"][0].isdigit() else 0)
        if v1 > 0:
            if r1 > 0:
                rec["status"] = sv
        else:
            sv = pseudo_status(rec["reason"], temporary=rec["reason"] in ("expired", "mailboxfull"))
        rec["status"] = rec["status"] or sv
    return Parsed(c.ds, rfc822)
