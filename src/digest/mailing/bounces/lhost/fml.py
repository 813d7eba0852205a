"""fml mailing list manager: rejections and loop alerts sent to the poster."""

from __future__ import annotations

import re

from digest.mailing.bounces._text import lines, rx, sweep
from digest.mailing.bounces.lhost._common import Collector
from digest.mailing.bounces.parsed import Head, Parsed
from digest.mailing.bounces.rfc5322 import fillet

_FROM = rx(r"(?<=.)[-]admin[@].")  # ".+-admin@.+" without the O(n^2) search
_MESSAGE_ID = rx(r"\A[<]\d+[.]FML.+[@].+[>]\Z")
_BACKBONE = rx(r"^Original[ ]mail[ ]as[ ]follows:", re.M)
_TITLES = {
    "rejected": rx(
        r"(?>(?:Ignored[ ])*NOT[ ]MEMBER[ ]article[ ]from[ ]|reject[ ]mail[ ](?:.+:|from)[ ],"
        r"|Spam[ ]mail[ ]from[ ]a[ ]spammer[ ]is[ ]rejected|You[ ].+[ ]are[ ]not[ ]member)"
    ),
    "systemerror": rx(
        r"(?:fml[ ]system[ ]error[ ]message|Loop[ ]Alert:[ ]|Loop[ ]Back[ ]Warning:[ ]|WARNING:[ ]UNIX[ ]FROM[ ]Loop)"
    ),
    "securityerror": rx(r"Security Alert"),
}
_ERRORS = {
    "rejected": rx(
        r"(?>(?:Ignored[ ])*NOT[ ]MEMBER[ ]article[ ]from[ ]"
        r"|reject[ ](?:mail[ ]from[ ].+[@].+|since[ ].+[ ]header[ ]may[ ]cause[ ]mail[ ]loop|spammers:)"
        r"|You[ ]are[ ]not[ ]a[ ]member[ ]of[ ]this[ ]mailing[ ]list)"
    ),
    "systemerror": rx(
        r"(?:Duplicated[ ]Message-ID|fml[ ].+[ ]has[ ]detected[ ]a[ ]loop[ ]condition[ ]so[ ]that"
        r"|Loop[ ]Back[ ]Warning:)"
    ),
    "securityerror": rx(r"Security alert:"),
}
_RCPT = rx(r"[<]([^ ]+?[@][^ ]+?)[>][.]\Z")


def make(head: Head, body: str) -> Parsed | None:
    if "x-mlserver" not in head or not _FROM.search(head["from"]):
        return None
    if not _MESSAGE_ID.match(head["message-id"]):
        return None
    c = Collector()
    report, rfc822 = fillet(body, _BACKBONE)
    for e in lines(report):
        if not e:
            continue
        if found := _RCPT.search(e):
            v = c.next_record()
            v["recipient"], v["diagnosis"] = found.group(1), e
            c.recipients += 1
        else:
            c.ds[-1]["diagnosis"] += e
    if not c.recipients:
        return None
    for rec in c.ds:
        rec["diagnosis"] = sweep(rec["diagnosis"])
        rec["reason"] = next((r for r, p in _ERRORS.items() if p.search(rec["diagnosis"])), rec["reason"])
        if not rec["reason"]:
            rec["reason"] = next((r for r, p in _TITLES.items() if p.search(head["subject"])), "")
    return Parsed(c.ds, rfc822)
