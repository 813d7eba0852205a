"""au by KDDI (EZweb) mobile mail: "Mail System Error - Returned Mail"."""

from __future__ import annotations

import re

from digest.mailing.bounces import address
from digest.mailing.bounces._text import is_8bit, lines, rx, sweep
from digest.mailing.bounces.lhost._common import Collector
from digest.mailing.bounces.parsed import Head, Parsed
from digest.mailing.bounces.rfc5322 import FIELD_TABLE, dsn_field, dsn_match, fillet

_BACKBONE = rx(r"^(?:[-]{50}|Content-Type:[ ]*message/rfc822)", re.M)
_MESSAGE = rx(r"\A(?:The[ ]user[(]s[)][ ]|Your[ ]message[ ]|Each[ ]of[ ]the[ ]following|[<][^ ]+[@][^ ]+[>]\Z)")
_FAILURES = {
    "mailboxfull": (rx(r"The user[(]s[)] account is temporarily over quota"),),
    "suspend": (
        rx(r"The user[(]s[)] account is disabled[.]"),
        rx(r"The user[(]s[)] account is temporarily limited[.]"),
    ),
    "expired": (rx(r"Your message was not delivered within "),),
    "onhold": (rx(r"Each of the following recipients was rejected by a remote mail server"),),
}
_ALL_FAILURES = tuple(p for patterns in _FAILURES.values() for p in patterns)
_RCPT = (
    rx(r"\A[<]([^ ]+[@][^ ]+)[>]\Z"),
    rx(r"\A[<]([^ ]+[@][^ ]+)[>]:?(.*)\Z"),
    rx(r"\A[ \t]+Recipient: [<]([^ ]+[@][^ ]+)[>]"),
)
_COMMAND = rx(r"\A[ \t]+[>]{3}[ \t]+([A-Z]{4})")
_OWN_DOMAIN = rx(r"[@](?:ezweb[.]ne[.]jp|au[.]com)\Z")


def make(head: Head, body: str) -> Parsed | None:
    match = ("Postmaster@ezweb.ne.jp" in head["from"]) + ("Postmaster@au.com" in head["from"])
    match += head["subject"] == "Mail System Error - Returned Mail"
    match += any("ezweb.ne.jp (EZweb Mail) with" in r for r in head.received)
    match += any(".au.com (" in r for r in head.received)
    if "message-id" in head:
        match += head["message-id"].endswith(".ezweb.ne.jp>") + head["message-id"].endswith(".au.com>")
    if match < 2:
        return None
    c = Collector()
    report, rfc822 = fillet(body, _BACKBONE)
    cursor = False
    alterrors: dict[int, str] = {}
    for e in lines(report):
        if not cursor and _MESSAGE.match(e):
            cursor = True
        if not cursor or not e:
            continue
        v = c.ds[-1]
        if found := (_RCPT[0].match(e) or _RCPT[1].match(e) or _RCPT[2].match(e)):
            v = c.next_record()
            v["recipient"] = address.s3s4(found.group(1))
            c.recipients += 1
        elif dsn_match(e):
            o = dsn_field(e)
            if o is not None and o[0] in FIELD_TABLE:
                v[FIELD_TABLE[o[0]]] = o[2]
        elif is_8bit(e):
            continue
        elif found := _COMMAND.match(e):
            v["command"] = found.group(1)
        elif any(p.search(e) for p in _ALL_FAILURES):
            v["diagnosis"] += " " + e
        else:
            alterrors[id(v)] = alterrors.get(id(v), "") + " " + e
    if not c.recipients:
        return None
    for rec in c.ds:
        alt = alterrors.get(id(rec), "")
        if alt:
            rec["diagnosis"] = rec["diagnosis"] or alt
            if rec["diagnosis"].startswith("-") or rec["diagnosis"].endswith("__"):
                rec["diagnosis"] = alt
        rec["diagnosis"] = sweep(rec["diagnosis"])
        if "x-spasign" in head and head["x-spasign"] == "NG":
            rec["reason"] = "filtered"
        elif rec["command"] == "RCPT":
            rec["reason"] = "userunknown"
        else:
            for reason, patterns in _FAILURES.items():
                if any(p.search(rec["diagnosis"]) for p in patterns):
                    rec["reason"] = reason
                    break
        if rec["reason"] or _OWN_DOMAIN.search(rec["recipient"]):
            continue
        rec["reason"] = "userunknown"
    return Parsed(c.ds, rfc822)
