"""Facebook: "Sorry, your message could not be delivered" with Facebook's own error codes."""

from __future__ import annotations

import re

from digest.mailing.bounces._text import rx, sweep
from digest.mailing.bounces.lhost._common import Collector, read_dsn_block
from digest.mailing.bounces.parsed import Head, Parsed
from digest.mailing.bounces.rfc5322 import fillet

_BACKBONE = rx(r"^Content-Disposition:[ ]inline", re.M)
_START = "This message was created automatically by Facebook."
_ERRORCODES = {
    "userunknown": ("RCP-P1", "INT-P1", "INT-P3", "INT-P4"),
    "filtered": ("RCP-P2", "RCP-P3"),
    "blocked": ("POL-P1", "POL-P2"),
    "mesgtoobig": ("MSG-P1", "INT-P2"),
    "contenterror": ("MSG-P2", "MSG-P3", "POL-P6", "POL-P7"),
    "securityerror": ("POL-P7",),
    "notaccept": ("POL-P3", "POL-P4", "POL-T1", "POL-T2", "POL-T3"),
    "rejected": ("DNS-P1", "DNS-P2", "DNS-T1", "DNS-P3", "DNS-T2"),
    "systemerror": ("CON-T1", "RCP-T1"),
    "toomanyconn": ("CON-T2", "CON-T3"),
    "virusdetected": ("POL-P5",),
    "suspend": ("RCP-T4",),
    "undefined": ("MSG-T1", "CON-T4"),
}
_CODE = rx(r"\b([A-Z]{3})[-]([A-Z])(\d)\b")
_INTERNAL = rx(r"\AINT-T\d+\Z")


def make(head: Head, body: str) -> Parsed | None:
    if head["from"] != "Facebook <mailer-daemon@mx.facebook.com>":
        return None
    if head["subject"] != "Sorry, your message could not be delivered":
        return None
    c = Collector()
    report, rfc822 = fillet(body, _BACKBONE)
    read_dsn_block(c, report, lambda e: e.startswith(_START))
    if not c.recipients:
        return None
    response = ""
    for rec in c.ds:
        rec["lhost"] = rec["lhost"] or c.permessage.get("lhost", "")
        rec["diagnosis"] = sweep(rec["diagnosis"])
        if found := _CODE.search(rec["diagnosis"]):
            response = f"{found.group(1)}-{found.group(2)}{int(found.group(3))}"
        rec["reason"] = next((r for r, codes in _ERRORCODES.items() if response in codes), rec["reason"])
        if not rec["reason"] and _INTERNAL.match(response):
            rec["reason"] = "systemerror"
    return Parsed(c.ds, rfc822)
