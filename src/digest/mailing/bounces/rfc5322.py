"""Message-level helpers: cutting the returned message off a report, Received: hosts, and
the per-recipient fields of RFC 1894/3464 delivery status notifications.

Ported from Sisimai 4.25's RFC5322 and RFC1894 modules (BSD-2-Clause, see LICENSE-sisimai.txt).
"""

from __future__ import annotations

import re

from digest.mailing.bounces._text import rx

# Header names that carry the original sender, and the date, of the returned message.
ADDRESSER_FIELDS = (
    "from",
    "return-path",
    "reply-to",
    "errors-to",
    "reverse-path",
    "x-postfix-sender",
    "envelope-from",
    "x-envelope-from",
)
DATE_FIELDS = ("date", "posted-date", "posted", "resent-date")
RECIPIENT_FIELDS = ("to", "delivered-to", "forward-path", "envelope-to", "x-envelope-to", "resent-to", "apparently-to")
HEADER_INDEX = frozenset(("message-id", "subject", "list-id", *DATE_FIELDS, *ADDRESSER_FIELDS, *RECIPIENT_FIELDS))
LONG_FIELDS = frozenset(("to", "from", "subject", "message-id"))

_LEADING_SPACE = rx(r"\A[\r\n\s]+")


def fillet(body: str, backbone: re.Pattern[str]) -> tuple[str, str]:
    """The report text, and the returned message's header block, split at ``backbone``."""
    parts = backbone.split(body, 1)
    report = parts[0]
    returned = parts[1] if len(parts) > 1 and parts[1] is not None else ""
    if returned:
        returned = _LEADING_SPACE.sub("", returned, count=1)
        cut = returned.find("\n\n")
        if cut > 0:
            returned = returned[: cut + 1]
        if not returned.endswith("\n"):
            returned += "\n"
    return report, returned


_QMAIL_INVOKED = rx(r"qmail[ \t]+.+invoked[ \t]+")
_FROM_BY = rx(r"\Afrom[ \t]+(.+)[ \t]+by[ \t]+([^ ]+)")
_BY = rx(r"\bby[ \t]+([^ ]+)(.+)")
_BRACKETED_IP = rx(r"\A[(\[]\d+[.]\d+[.]\d+[.]\d+[)\]]\Z")
_PRIVATE_172 = rx(r"\A172[.](?:1[6-9]|2[0-9]|3[0-1])[.]")


def received(value: str) -> list[str]:
    """The ``from`` and ``by`` hosts of one Received: value."""
    if _QMAIL_INVOKED.search(value):
        return []
    hosts = {"from": "", "by": ""}
    found = _FROM_BY.search(value)
    if found:
        hosts["from"], hosts["by"] = found.group(1), found.group(2)
    else:
        by = _BY.search(value)
        if by:
            hosts["from"], hosts["by"] = by.group(1) + by.group(2), by.group(1)

    if " " in hosts["from"]:
        names: list[str] = []
        addrs: list[str] = []
        for token in hosts["from"].split():
            if _BRACKETED_IP.match(token):
                addrs.append(re.sub(r"[\[\]()]", "", token))
            else:
                names.append(token.replace("(", "").replace(")", ""))
        hostname = next((n for n in names if "." in n), "")
        hostaddr = ""
        if not hostname:
            for a in addrs:
                if a.startswith(("10.", "127.", "192.168.")) or _PRIVATE_172.match(a):
                    continue
                hostaddr = a
                break
        hosts["from"] = hostname or hostaddr or (addrs[-1] if addrs else "")
    return [re.sub(r"[()\[\];?]", "", hosts[k]) for k in ("from", "by")]


# RFC 1894 fields: which delivery-status key each fills in.
FIELD_TABLE = {
    "action": "action",
    "arrival-date": "date",
    "diagnostic-code": "diagnosis",
    "final-recipient": "recipient",
    "last-attempt-date": "date",
    "original-recipient": "alias",
    "received-from-mta": "lhost",
    "remote-mta": "rhost",
    "reporting-mta": "rhost",
    "status": "status",
    "x-actual-recipient": "alias",
}
_PER_MESSAGE = ("Reporting-MTA", "Received-From-MTA", "Arrival-Date", "X-Original-Message-ID")
_PER_RECIPIENT = (
    "Original-Recipient",
    "Final-Recipient",
    "Action",
    "Status",
    "Remote-MTA",
    "Diagnostic-Code",
    "Last-Attempt-Date",
    "X-Actual-Recipient",
)
_FIELD_GROUP = {
    "original-recipient": "addr",
    "final-recipient": "addr",
    "x-actual-recipient": "addr",
    "diagnostic-code": "code",
    "arrival-date": "date",
    "last-attempt-date": "date",
    "received-from-mta": "host",
    "remote-mta": "host",
    "reporting-mta": "host",
    "action": "list",
    "status": "stat",
    "x-original-message-id": "text",
}
_CAPTURES = {
    "addr": rx(r"\A((?:Original|Final|X-Actual)-Recipient):[ ]*(.+?);[ ]*(.+)"),
    "code": rx(r"\A(Diagnostic-Code):[ ]*(.+?);[ ]*(.*)"),
    "date": rx(r"\A((?:Arrival|Last-Attempt)-Date):[ ]*(.+)"),
    "host": rx(r"\A((?:Received-From|Remote|Reporting)-MTA):[ ]*(.+?);[ ]*(.+)"),
    "list": rx(r"\A(Action):[ ]*(delayed|deliverable|delivered|expanded|expired|failed|failure|relayed)", re.I),
    "stat": rx(r"\A(Status):[ ]*([245][.]\d+[.]\d+)"),
    "text": rx(r"\A(X-Original-Message-ID):[ ]*(.+)"),
}
_ACTION_FIX = {"deliverable": "delivered", "expired": "delayed", "failure": "failed"}
_ONLY_SPACE = rx(r"\A\s+\Z")


def dsn_match(line: str) -> int:
    """1 for a per-message DSN field, 2 for a per-recipient one, 0 otherwise."""
    if line.startswith(_PER_MESSAGE):
        return 1
    if line.startswith(_PER_RECIPIENT):
        return 2
    return 0


def dsn_field(line: str) -> tuple[str, str, str, str] | None:
    """``(field name, type, value, group)`` of a DSN field line, or None."""
    group = _FIELD_GROUP.get(line.split(":", 1)[0].lower())
    if group is None:
        return None
    found = _CAPTURES[group].search(line)
    if not found:
        return None
    name = found.group(1).lower()
    if group in ("addr", "code", "host"):
        value = found.group(3).lower() if group == "host" else found.group(3)
        if _ONLY_SPACE.match(value):
            value = ""
        return name, found.group(2).upper(), value, group
    value = found.group(2) if group == "date" else found.group(2).lower()
    if group == "list":
        value = _ACTION_FIX.get(value, value)
    return name, "", value, group
