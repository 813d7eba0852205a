"""Amazon SES receiving side: "This message could not be delivered." with a DSN part."""

from __future__ import annotations

import re

from digest.mailing.bounces._text import rx, sweep
from digest.mailing.bounces.lhost._common import Collector, first_match, read_dsn_block
from digest.mailing.bounces.parsed import Head, Parsed
from digest.mailing.bounces.rfc5322 import fillet
from digest.mailing.bounces.smtpcodes import find_status, status_name

_BACKBONE = rx(r"^content-type:[ ]text/rfc822-headers", re.M)
_START = "This message could not be delivered."
_MESSAGES = {
    "filtered": ("Mailbox does not exist",),
    "mesgtoobig": ("Message too large",),
    "mailboxfull": ("Mailbox full",),
    "contenterror": ("Message content rejected",),
}
_GENERIC = rx(r"\A[45][.][01][.]0\Z")
_QUOTED_STATUS = rx(r"[\"'](\d[.]\d[.]\d.+)['\"]")


def make(head: Head, body: str) -> Parsed | None:
    if not head["x-ses-outgoing"]:
        return None
    c = Collector()
    report, rfc822 = fillet(body, _BACKBONE)
    read_dsn_block(c, report, lambda e: e.startswith(_START))
    if not c.recipients:
        return None
    for rec in c.ds:
        c.fill_permessage(rec)
        rec["diagnosis"] = sweep(rec["diagnosis"].replace("\n", " "))
        if _GENERIC.match(rec["status"]):
            quoted = _QUOTED_STATUS.search(rec["diagnosis"])
            rec["status"] = find_status(quoted.group(1) if quoted else rec["diagnosis"]) or rec["status"]
        rec["reason"] = first_match(_MESSAGES, rec["diagnosis"]) or rec["reason"]
        rec["reason"] = rec["reason"] or status_name(rec["status"])
    return Parsed(c.ds, rfc822)
