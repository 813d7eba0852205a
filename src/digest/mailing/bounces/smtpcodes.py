"""SMTP reply codes and enhanced status codes: finding them in text, naming what they mean.

Ported from Sisimai 4.25's SMTP::Status, SMTP::Reply and SMTP::Error modules (BSD-2-Clause,
see LICENSE-sisimai.txt). The pseudo codes (x.0.9xx) name a reason when a report carries no
status of its own, so one recipient always ends with a code.
"""

from __future__ import annotations

import re

from digest.mailing.bounces._text import rx

STANDARD_CODE = {
    "2.1.5": "delivered",
    "4.1.6": "hasmoved",
    "4.1.7": "rejected",
    "4.1.8": "rejected",
    "4.1.9": "systemerror",
    "4.2.1": "suspend",
    "4.2.2": "mailboxfull",
    "4.2.3": "exceedlimit",
    "4.2.4": "filtered",
    "4.3.1": "systemfull",
    "4.3.2": "notaccept",
    "4.3.3": "systemerror",
    "4.3.5": "systemerror",
    "4.4.1": "expired",
    "4.4.2": "networkerror",
    "4.4.4": "networkerror",
    "4.4.5": "systemfull",
    "4.4.6": "networkerror",
    "4.4.7": "expired",
    "4.5.3": "systemerror",
    "4.5.5": "systemerror",
    "4.6.0": "contenterror",
    "4.6.2": "contenterror",
    "4.6.5": "contenterror",
    "4.7.1": "blocked",
    "4.7.2": "blocked",
    "4.7.5": "securityerror",
    "4.7.6": "securityerror",
    "4.7.7": "securityerror",
    "4.7.12": "securityerror",
    "4.7.15": "securityerror",
    "4.7.16": "mesgtoobig",
    "4.7.24": "securityerror",
    "4.7.25": "blocked",
    "5.1.0": "userunknown",
    "5.1.1": "userunknown",
    "5.1.2": "hostunknown",
    "5.1.3": "userunknown",
    "5.1.4": "filtered",
    "5.1.6": "hasmoved",
    "5.1.7": "rejected",
    "5.1.8": "rejected",
    "5.1.9": "systemerror",
    "5.1.10": "notaccept",
    "5.2.0": "filtered",
    "5.2.1": "filtered",
    "5.2.2": "mailboxfull",
    "5.2.3": "exceedlimit",
    "5.2.4": "filtered",
    "5.3.0": "systemerror",
    "5.3.1": "systemfull",
    "5.3.2": "notaccept",
    "5.3.3": "systemerror",
    "5.3.4": "mesgtoobig",
    "5.3.5": "systemerror",
    "5.4.0": "networkerror",
    "5.4.3": "systemerror",
    "5.4.4": "hostunknown",
    "5.5.3": "toomanyconn",
    "5.5.4": "systemerror",
    "5.5.5": "systemerror",
    "5.5.6": "securityerror",
    "5.6.0": "contenterror",
    "5.6.1": "contenterror",
    "5.6.2": "contenterror",
    "5.6.3": "contenterror",
    "5.6.5": "contenterror",
    "5.6.6": "contenterror",
    "5.6.7": "contenterror",
    "5.6.8": "contenterror",
    "5.6.9": "contenterror",
    "5.7.0": "securityerror",
    "5.7.1": "securityerror",
    "5.7.2": "securityerror",
    "5.7.3": "securityerror",
    "5.7.4": "securityerror",
    "5.7.5": "securityerror",
    "5.7.6": "securityerror",
    "5.7.7": "securityerror",
    "5.7.8": "securityerror",
    "5.7.9": "securityerror",
    "5.7.10": "securityerror",
    "5.7.11": "securityerror",
    "5.7.13": "suspend",
    "5.7.14": "securityerror",
    "5.7.15": "securityerror",
    "5.7.16": "mesgtoobig",
    "5.7.17": "hasmoved",
    "5.7.18": "hasmoved",
    "5.7.19": "securityerror",
    "5.7.20": "securityerror",
    "5.7.21": "securityerror",
    "5.7.22": "securityerror",
    "5.7.23": "securityerror",
    "5.7.24": "securityerror",
    "5.7.25": "blocked",
    "5.7.26": "securityerror",
    "5.7.27": "notaccept",
}
TEMPORARY_CODE = {
    "blocked": "4.0.971",
    "contenterror": "4.0.960",
    "expired": "4.0.947",
    "filtered": "4.0.924",
    "mailboxfull": "4.0.922",
    "networkerror": "4.0.944",
    "notaccept": "4.0.932",
    "onhold": "4.0.901",
    "rejected": "4.0.918",
    "securityerror": "4.0.970",
    "spamdetected": "4.0.980",
    "systemerror": "4.0.930",
    "systemfull": "4.0.931",
    "toomanyconn": "4.0.945",
    "undefined": "4.0.900",
}
PERMANENT_CODE = {
    "blocked": "5.0.971",
    "contenterror": "5.0.960",
    "exceedlimit": "5.0.923",
    "expired": "5.0.947",
    "filtered": "5.0.910",
    "hasmoved": "5.0.916",
    "hostunknown": "5.0.912",
    "mailboxfull": "5.0.922",
    "mailererror": "5.0.939",
    "mesgtoobig": "5.0.934",
    "networkerror": "5.0.944",
    "norelaying": "5.0.909",
    "notaccept": "5.0.932",
    "onhold": "5.0.901",
    "policyviolation": "5.0.972",
    "rejected": "5.0.918",
    "securityerror": "5.0.970",
    "spamdetected": "5.0.980",
    "suspend": "5.0.921",
    "systemerror": "5.0.930",
    "systemfull": "5.0.931",
    "syntaxerror": "5.0.902",
    "toomanyconn": "5.0.945",
    "userunknown": "5.0.911",
    "undefined": "5.0.900",
    "virusdetected": "5.0.971",
}

_STATUS_PATTERNS = (
    rx(r"[ ]?[(][#]([45][.]\d[.]\d+)[)]?[ ]?"),
    rx(r"\b\d{3}[ -][#]?([45][.]\d[.]\d+)\b"),
    rx(r"\b([45][.]\d[.]\d+)\b"),
    rx(r"\b(2[.][0-7][.][0-7])\b"),
)
_STATUS_SHAPE = rx(r"\A[245][.]\d[.]\d+\Z")
_IPV4 = rx(
    r"\b(?:\d|[01]?\d\d|2[0-4]\d|25[0-5])[.](?:\d|[01]?\d\d|2[0-4]\d|25[0-5])[.]"
    r"(?:\d|[01]?\d\d|2[0-4]\d|25[0-5])[.](?:\d|[01]?\d\d|2[0-4]\d|25[0-5])\b"
)
_REPLY = rx(r"\b([45][0-5][0-9])\b")
_REPLY_2XX = rx(r"\b(25[0-3])\b")

SOFT_REASONS = frozenset(
    [
        "blocked",
        "contenterror",
        "exceedlimit",
        "expired",
        "filtered",
        "mailboxfull",
        "mailererror",
        "mesgtoobig",
        "networkerror",
        "norelaying",
        "policyviolation",
        "rejected",
        "securityerror",
        "spamdetected",
        "suspend",
        "syntaxerror",
        "systemerror",
        "systemfull",
        "toomanyconn",
        "virusdetected",
    ]
)
HARD_REASONS = frozenset(("hasmoved", "hostunknown", "userunknown"))


def find_status(text: str) -> str:
    """The first enhanced status code (``5.1.1``) in ``text``, or ''."""
    if not text:
        return ""
    for pattern in _STATUS_PATTERNS:
        found = pattern.search(text)
        if not found:
            continue
        code = found.group(1)
        # A code that is part of a longer dotted number (an IP address, a version) is not one.
        if re.search(rf"\b(?:{code}[.]\d{{1,3}}|\d{{1,3}}[.]{code})\b", text, re.ASCII):
            continue
        return code
    return ""


def status_name(code: str) -> str:
    """The reason a standard status code stands for, or ''."""
    if not code or not _STATUS_SHAPE.match(code):
        return ""
    return STANDARD_CODE.get(code, "")


def pseudo_status(reason: str, temporary: bool = False) -> str:
    table = TEMPORARY_CODE if temporary else PERMANENT_CODE
    return table.get(reason) or PERMANENT_CODE.get(reason, "")


def find_reply(text: str) -> str:
    """The first SMTP reply code (``550``) in ``text``, IP addresses ignored, or ''."""
    if not text or "X-UNIX;" in text.upper():
        return ""
    text = _IPV4.sub("***.***.***.***", text)
    found = _REPLY.search(text) or _REPLY_2XX.search(text)
    return found.group(1) if found else ""


def is_permanent(text: str) -> bool | None:
    """True for a 5xx, False for a 4xx or a 'temporary' text, None when it cannot tell."""
    if not text:
        return None
    code = find_status(text) or find_reply(text)
    if code:
        first = code[0]
        return True if first == "5" else (False if first == "4" else None)
    lowered = text.lower()
    if "temporar" in lowered or "persistent" in lowered:
        return False
    if "permanent" in lowered:
        return True
    return None


def soft_or_hard(reason: str, text: str = "") -> str:
    """'hard', 'soft' or '' (not a bounce) for a reason; ``notaccept`` depends on the code."""
    if not reason or reason in ("delivered", "feedback", "vacation"):
        return ""
    if reason in ("onhold", "undefined"):
        return "soft"
    if reason == "notaccept":
        if text:
            code = find_status(text) or find_reply(text)
            return "soft" if code[:1] == "4" else "hard"
        return "hard"
    if reason in HARD_REASONS:
        return "hard"
    if reason in SOFT_REASONS:
        return "soft"
    return ""
