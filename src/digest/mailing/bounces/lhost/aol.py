"""AOL: a DSN from a host that adds X-AOL-IP."""

from __future__ import annotations

import re

from digest.mailing.bounces._text import rx, sweep
from digest.mailing.bounces.lhost._common import Collector, first_match, read_dsn_block
from digest.mailing.bounces.parsed import Head, Parsed
from digest.mailing.bounces.rfc5322 import fillet

_BACKBONE = rx(r"^Content-Type:[ ]message/rfc822", re.M)
_START = "Content-Type: message/delivery-status"
_MESSAGES = {
    "hostunknown": ("Host or domain name not found",),
    "notaccept": ("type=MX: Malformed or unexpected name server reply",),
}


def make(head: Head, body: str) -> Parsed | None:
    if not head["x-aol-ip"]:
        return None
    c = Collector()
    report, rfc822 = fillet(body, _BACKBONE)
    read_dsn_block(c, report, lambda e: e.startswith(_START))
    if not c.recipients:
        return None
    for rec in c.ds:
        c.fill_permessage(rec)
        rec["diagnosis"] = sweep(rec["diagnosis"].replace("\n", " "))
        rec["reason"] = first_match(_MESSAGES, rec["diagnosis"]) or rec["reason"]
    return Parsed(c.ds, rfc822)
