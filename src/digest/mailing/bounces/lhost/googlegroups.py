"""Google Groups: a post the group refused, reported with X-Failed-Recipients."""

from __future__ import annotations

import re

from digest.mailing.bounces import address, rfc5322
from digest.mailing.bounces._text import rx, sweep
from digest.mailing.bounces.lhost._common import Collector
from digest.mailing.bounces.parsed import Head, Parsed
from digest.mailing.bounces.rfc5322 import fillet

_BACKBONE = rx(r"^-----[ ]Original[ ]message[ ]-----$", re.M)
_BULLET = rx(r"^[ ]?[*][ ]?", re.M)


def make(head: Head, body: str) -> Parsed | None:
    if "<mailer-daemon@googlemail.com>" not in head["from"]:
        return None
    if "Delivery Status Notification" not in head["subject"]:
        return None
    if "x-failed-recipients" not in head or "x-google-smtp-source" not in head:
        return None
    c = Collector()
    report, rfc822 = fillet(body, _BACKBONE)
    reason = "rejected" if len(_BULLET.findall(report)) == 4 else "onhold"
    paragraphs = report.split("\n\n", 4)
    paragraphs.pop()
    diagnosis = sweep(" ".join(paragraphs).replace("\n", " "))
    servers = rfc5322.received(head.received[0]) if head.received else []
    rhost = servers[0] if servers else ""
    for e in head["x-failed-recipients"].split(","):
        if not address.is_emailaddress(e):
            continue
        v = c.next_record()
        v["recipient"] = address.s3s4(e)
        c.recipients += 1
        v.update(rhost=rhost, reason=reason, diagnosis=diagnosis)
    if not c.recipients:
        return None
    return Parsed(c.ds, rfc822)
