"""An unidentified MTA ("X5"): base64-encoded "Mail Delivery Subsystem" sender and a DSN part."""

from __future__ import annotations

import re

from digest.mailing.bounces._text import lines, rx, sweep
from digest.mailing.bounces.lhost._common import Collector
from digest.mailing.bounces.mime import is_mimeencoded, mimedecode
from digest.mailing.bounces.parsed import Head, Parsed
from digest.mailing.bounces.rfc5322 import FIELD_TABLE, dsn_field, dsn_match, fillet

_BACKBONE = rx(r"^Content-Type:[ ]message/rfc822", re.M)
_START = "Content-Type: message/delivery-status"
_FIRST_BLOCK = rx(r"\A.+?\n\n", re.M | re.S)


def make(head: Head, body: str) -> Parsed | None:
    match = 1 if "to" in head and "NotificationRecipients" in head["to"] else 0
    if "TWFpbCBEZWxpdmVyeSBTdWJzeXN0ZW0" in head["from"]:
        for f in head["from"].split():
            if not is_mimeencoded(f):
                continue
            if "Mail Delivery Subsystem" in mimedecode([f]):
                match += 1
            break
    if is_mimeencoded(head["subject"]) and "Mail Delivery Subsystem" in mimedecode([head["subject"]]):
        match += 1
    if match < 2:
        return None
    parts = _BACKBONE.split(body, 1)
    rest = _FIRST_BLOCK.sub("", parts[1], count=1) if len(parts) > 1 else ""
    report, rfc822 = fillet(rest, _BACKBONE)
    c = Collector()
    cursor = False
    p = ""
    for e in lines(report):
        if not cursor:
            cursor = e.startswith(_START)
        elif e:
            if dsn_match(e):
                o = dsn_field(e)
                if o is not None:
                    v = c.ds[-1]
                    if o[3] == "addr":
                        if o[0] == "final-recipient":
                            v = c.next_record()
                            v["recipient"] = o[2]
                            c.recipients += 1
                        else:
                            v["alias"] = o[2]
                    elif o[3] == "code":
                        v["spec"], v["diagnosis"] = o[1], o[2]
                    elif o[0] in FIELD_TABLE:
                        v[FIELD_TABLE[o[0]]] = o[2]
            else:
                c.continued(p, e)
        p = e
    if not c.recipients:
        return None
    for rec in c.ds:
        rec["diagnosis"] = rec["diagnosis"] or sweep(rec["diagnosis"])
    return Parsed(c.ds, rfc822)
