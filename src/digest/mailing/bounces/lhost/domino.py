"""IBM (Lotus) Domino: "DELIVERY FAILURE: ..." with "was not delivered to:" blocks."""

from __future__ import annotations

import re

from digest.mailing.bounces import address
from digest.mailing.bounces._text import lines, rx, sweep, u8
from digest.mailing.bounces.lhost._common import Collector
from digest.mailing.bounces.parsed import Head, Parsed
from digest.mailing.bounces.rfc5322 import FIELD_TABLE, dsn_field, dsn_match, fillet
from digest.mailing.bounces.smtpcodes import pseudo_status

_SUBJECT = rx(r"\ADELIVERY(?:[ ]|_)FAILURE:")
_BACKBONE = rx(r"^Content-Type:[ ]message/rfc822", re.M)
_START = "Your message"
_MESSAGES = {
    "userunknown": (
        "not listed in Domino Directory",
        "not listed in public Name & Address Book",
        u8("non répertorié dans l'annuaire Domino"),
        u8("Domino ディレクトリには見つかりません"),
    ),
    "filtered": ("Cannot route mail to user",),
    "systemerror": ("Several matches found in Domino Directory",),
}
_RCPT = rx(r"\A[ ][ ]([^ ]+[@][^ ]+)\Z")
_SUBJECT_LINE = rx(r"\A[ ][ ]Subject: (.+)\Z")
_HAS_SUBJECT = rx(r"^Subject:", re.M)


def make(head: Head, body: str) -> Parsed | None:
    if not _SUBJECT.match(head["subject"]):
        return None
    c = Collector()
    report, rfc822 = fillet(body, _BACKBONE)
    cursor = False
    subject = ""
    for e in lines(report):
        if not cursor:
            cursor = e.startswith(_START)
            continue
        if not e:
            continue
        v = c.ds[-1]
        if e == "was not delivered to:":
            v = c.next_record()
            v["recipient"] = v["recipient"] or e
            c.recipients += 1
        elif found := _RCPT.match(e):
            v["recipient"] = address.s3s4(found.group(1))
        elif e == "because:" or v["diagnosis"] == "because:":
            v["diagnosis"] = e
        elif found := _SUBJECT_LINE.match(e):
            subject = found.group(1)
        elif kind := dsn_match(e):
            o = dsn_field(e)
            if o is None or o[3] == "addr":
                continue
            if o[3] == "code":
                v["spec"] = v["spec"] or o[1]
                v["diagnosis"] = v["diagnosis"] or o[2]
            elif o[0] in FIELD_TABLE:
                v[FIELD_TABLE[o[0]]] = o[2]
                if kind == 1:
                    c.permessage[FIELD_TABLE[o[0]]] = o[2]
    if not c.recipients:
        return None
    for rec in c.ds:
        rec["diagnosis"] = sweep(rec["diagnosis"])
        rec["recipient"] = address.s3s4(rec["recipient"])
        c.fill_permessage(rec)
        for reason, phrases in _MESSAGES.items():
            if any(p in rec["diagnosis"] for p in phrases):
                rec["reason"] = reason
                rec["status"] = rec["status"] or pseudo_status(reason)
                break
    if not _HAS_SUBJECT.search(rfc822):
        rfc822 += f"Subject: {subject}\n"
    return Parsed(c.ds, rfc822)
