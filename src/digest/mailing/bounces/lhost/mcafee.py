"""McAfee Email Gateway: "Delivery Status" with X-NAI-Header."""

from __future__ import annotations

from digest.mailing.bounces import address
from digest.mailing.bounces._text import lines, rx, sweep
from digest.mailing.bounces.lhost._common import RFC822_BACKBONE, Collector
from digest.mailing.bounces.parsed import Head, Parsed
from digest.mailing.bounces.rfc5322 import FIELD_TABLE, dsn_field, dsn_match, fillet

_START = "--- The following addresses had delivery problems ---"
_USERUNKNOWN = rx(
    r"(?:[ ]User[ ][(].+[@].+[)][ ]unknown[.][ ]|550[ ]Unknown[ ]user[ ][^ ]+[@][^ ]+"
    r"|550[ ][<].+?[@].+?[>][.]+[ ]User[ ]not[ ]exist|No[ ]such[ ]user)"
)
_RCPT = rx(r"\A[<]([^ ]+[@][^ ]+)[>][ \t]+[(](.+)[)]\Z")
_ORIGINAL = rx(r"\AOriginal-Recipient:[ ]*([^ ]+)\Z")


def make(head: Head, body: str) -> Parsed | None:
    if "x-nai-header" not in head or "Modified by McAfee" not in head["x-nai-header"]:
        return None
    if head["subject"] != "Delivery Status":
        return None
    c = Collector()
    report, rfc822 = fillet(body, RFC822_BACKBONE)
    cursor = False
    diagnostic = ""
    p = ""
    for e in lines(report):
        if not cursor:
            cursor = _START in e
        elif e:
            v = c.ds[-1]
            if found := _RCPT.match(e):
                v = c.next_record()
                v["recipient"] = found.group(1)
                diagnostic = found.group(2)
                c.recipients += 1
            elif dsn_match(e):
                o = dsn_field(e)
                if o is None:
                    if original := _ORIGINAL.match(e):
                        v["alias"] = address.s3s4(original.group(1))
                elif o[0] in FIELD_TABLE:
                    v[FIELD_TABLE[o[0]]] = o[2]
            else:
                c.continued(p, e)
        p = e
    if not c.recipients:
        return None
    for rec in c.ds:
        rec["diagnosis"] = sweep(rec["diagnosis"] or diagnostic)
        if _USERUNKNOWN.search(rec["diagnosis"]):
            rec["reason"] = "userunknown"
    return Parsed(c.ds, rfc822)
