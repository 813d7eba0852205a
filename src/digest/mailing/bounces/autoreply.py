"""Auto-replies (RFC 3834: vacation, out-of-office): recognised so they are not taken for bounces.

Ported from Sisimai 4.25's RFC3834 module (BSD-2-Clause, see LICENSE-sisimai.txt).
"""

from __future__ import annotations

import re

from digest.mailing.bounces import address
from digest.mailing.bounces._text import lines, new_status, rx, sweep
from digest.mailing.bounces.mime import boundary
from digest.mailing.bounces.parsed import Head, Parsed

_AUTOREPLY = {
    "auto-submitted": rx(r"\Aauto-(?:generated|replied|notified)"),
    "x-auto-response-suppress": rx(r"(?:oof|autoreply)"),
    "x-apple-action": rx(r"\Avacation\Z"),
    "precedence": rx(r"\Aauto_reply\Z"),
    "subject": rx(r"\A(?>auto:|auto[ ]response:|automatic[ ]reply:|out[ ]of[ ](?:the[ ])*office:)"),
}
_EXCLUDING = {
    "subject": rx(r"(?:security[ ]information[ ]for|mail[ ]failure[ ][-])"),
    "from": rx(r"(?:root|postmaster|mailer-daemon)[@]"),
    "to": rx(r"root[@]"),
}
_SUBJECT = rx(r"\A(?>(?:.+?)?re:|auto(?:[ ]response):|automatic[ ]reply:|out[ ]of[ ]office:)[ ]*(.+)\Z")
_MAX_LINES = 5


def is_autoreply(head: Head) -> bool:
    if any(name in head and pattern.search(head[name].lower()) for name, pattern in _EXCLUDING.items()):
        return False
    return any(name in head and pattern.search(head[name].lower()) for name, pattern in _AUTOREPLY.items())


def make(head: Head, body: str) -> Parsed | None:
    if not head.fields or not is_autoreply(head):
        return None
    v = new_status()
    for name in ("from", "return-path"):
        if name in head:
            v["recipient"] = head[name]
            break
    if not v["recipient"]:
        return None
    v["recipient"] = address.s3s4(v["recipient"])

    marker = re.compile(r"\A__SISIMAI_PSEUDO_BOUNDARY__\Z")
    if head["content-type"]:
        b0 = boundary(head["content-type"], 0)
        if b0:
            marker = re.compile(r"\A" + re.escape(b0) + r"\Z")

    blanklines = 0
    countuntil = 1
    loaded = 0
    for e in lines(body):
        if marker.match(e):
            countuntil += 1
        if not e:
            blanklines += 1
            if blanklines > countuntil:
                break
            continue
        if " " not in e or e.startswith(("Content-Type", "Content-Transfer")):
            continue
        v["diagnosis"] += e + " "
        loaded += 1
        if loaded >= _MAX_LINES:
            break
    v["diagnosis"] = sweep(v["diagnosis"] or head["subject"])
    v["reason"] = "vacation"
    v["date"] = head["date"]
    v["status"] = ""
    subject = _SUBJECT.match(head["subject"].lower())
    return Parsed([v], "Subject: " + subject.group(1) + "\n" if subject else "")
