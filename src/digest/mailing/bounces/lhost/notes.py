"""Lotus Notes: "Undeliverable message" with "------- Failure Reasons"."""

from __future__ import annotations

import codecs
import re

from digest.mailing.bounces import address
from digest.mailing.bounces._text import lines, rx, sweep, u8
from digest.mailing.bounces.lhost._common import Collector
from digest.mailing.bounces.mime import convert_charset
from digest.mailing.bounces.parsed import Head, Parsed
from digest.mailing.bounces.rfc5322 import fillet
from digest.mailing.bounces.smtpcodes import pseudo_status

_BACKBONE = rx(r"^-------[ ]Returned[ ]Message[ ]--------", re.M)
_START = "------- Failure Reasons "
_MESSAGES = {
    "userunknown": ("User not listed in public Name & Address Book", u8("ディレクトリのリストにありません")),
    "networkerror": ("Message has exceeded maximum hop count",),
}
_REMOVED = "MULTIBYTE CHARACTERS HAVE BEEN REMOVED"
_CHARSET = rx(r"\A.+;[ ]*charset=(.+)\Z")
_RCPT = rx(r"\A[^ ]+[@][^ ]+")
_NON_ASCII = rx(r"[^\x20-\x7e]")
_TO = rx(r"^To:[ ]*(.+)$", re.M)


def _converted(line: str, charset: str) -> str:
    if not charset:
        return _REMOVED
    try:
        codecs.lookup(charset)
    except LookupError:
        return _REMOVED
    return convert_charset(line, charset)


def make(head: Head, body: str) -> Parsed | None:
    if not head["subject"].startswith("Undeliverable message"):
        return None
    c = Collector()
    report, rfc822 = fillet(body, _BACKBONE)
    cursor = False
    touched = False
    found_charset = _CHARSET.match(head["content-type"])
    charset = found_charset.group(1).lower() if found_charset else ""
    for e in lines(report):
        if not cursor:
            cursor = e.startswith(_START)
            continue
        touched = True
        v = c.ds[-1]
        if _RCPT.match(e):
            v = c.next_record()
            v["recipient"] = v["recipient"] or e
            c.recipients += 1
        elif e and not e.startswith("-"):
            v["diagnosis"] += _converted(e, charset) if _NON_ASCII.search(e) else e
    if not c.recipients and touched and (to := _TO.search(rfc822)):
        c.ds[-1]["recipient"] = address.s3s4(to.group(1))
        if c.ds[-1]["recipient"]:
            c.recipients += 1
    if not c.recipients:
        return None
    for rec in c.ds:
        rec["diagnosis"] = sweep(rec["diagnosis"])
        rec["recipient"] = address.s3s4(rec["recipient"])
        for reason, phrases in _MESSAGES.items():
            if any(p in rec["diagnosis"] for p in phrases):
                rec["reason"] = reason
                rec["status"] = pseudo_status(reason)
                break
    return Parsed(c.ds, rfc822)
