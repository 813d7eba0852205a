"""From raw message text to per-recipient records: split, map headers, flatten, try the rules.

The rules are tried in a fixed order, the ones the Subject suggests first; the first rule that
recognises the message wins, then the RFC 3464 fallback, then ARF, then auto-replies. A port
of Sisimai 4.25's Message and Order modules (BSD-2-Clause, see LICENSE-sisimai.txt).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from digest.mailing.bounces import arf, autoreply, rfc3464
from digest.mailing.bounces._text import rx, to_plain
from digest.mailing.bounces.lhost import ORDER, RULES
from digest.mailing.bounces.mime import base64d, is_mimeencoded, makeflat, mimedecode, qp_decode
from digest.mailing.bounces.parsed import Head, Parsed, Rule

_QUOTE_MARK = rx(r"^[>]+[ ]", re.M)
_QUOTE_ONLY = rx(r"^[>]$", re.M)
_FIELD = rx(r"^([\w-]+):[ ]*(.*?)\n(?![\s\t])", re.M | re.S)
_RECEIVED = rx(r"^Received:[ ]*(.*?)\n(?![\s\t])", re.M | re.S)
_HAS_RECEIVED = rx(r"^Received:", re.M)
_FOLD = rx(r"\n\s+")
_BLANKS = rx(r"[\t ]+")
_RECEIVED_BLANKS = rx(r"[\n\t ]+")
_FORWARDED = rx(r"\A[ \t]*fwd?:[ ]*(.*)\Z")
_HTML = rx(r"text/html;?")

# Subject's first words -> the rules worth trying before all the others.
_SUBJECT_HINTS: dict[str, tuple[str, ...]] = {
    "abuse-report": ("ARF",),
    "auto": ("RFC3834",),
    "auto-reply": ("RFC3834",),
    "automatic-reply": ("RFC3834",),
    "aws-notification": ("AmazonSES",),
    "complaint-about": ("ARF",),
    "delivery-failure": ("Domino", "X2"),
    "delivery-notification": ("MessagingServer",),
    "delivery-report": ("PowerMTA",),
    "delivery-status": (
        "GSuite",
        "Outlook",
        "GoogleGroups",
        "McAfee",
        "OpenSMTPD",
        "AmazonSES",
        "AmazonWorkMail",
        "ReceivingSES",
        "Gmail",
        "X3",
    ),
    "dmarc-ietf-dmarc": ("ARF",),
    "email-feedback": ("ARF",),
    "failed-delivery": ("X2",),
    "failure-delivery": ("X2",),
    "failure-notice": ("Yahoo", "qmail", "mFILTER", "Activehunter", "X4"),
    "loop-alert": ("FML",),
    "mail-could": ("InterScanMSS",),
    "mail-delivery": ("Exim", "MailRu", "GMX", "EinsUndEins", "Zoho", "MessageLabs", "MXLogic"),
    "mail-failure": ("Exim",),
    "mail-not": ("X4",),
    "mail-system": ("EZweb",),
    "message-delivery": ("MailFoundry",),
    "message-frozen": ("Exim",),
    "message-you": ("Barracuda",),
    "non-recapitabile": ("Exchange2007",),
    "non-remis": ("Exchange2007",),
    "notice": ("Courier",),
    "permanent-delivery": ("X4",),
    "postmaster-notify": ("Sendmail",),
    "returned-mail": ("Sendmail", "Aol", "V5sendmail", "Bigfoot", "Biglobe", "X1"),
    "sorry-your": ("Facebook",),
    "there-was": ("X6",),
    "undeliverable": ("Office365", "Exchange2007", "Aol", "Exchange2003"),
    "undeliverable-mail": ("Amavis", "MailMarshalSMTP", "IMailServer"),
    "undeliverable-message": ("Notes", "Verizon"),
    "undelivered-mail": ("Postfix", "Aol", "SendGrid", "Zoho"),
    "warning": ("Sendmail", "Exim"),
}
_SPECIAL: dict[str, Rule] = {"ARF": arf.make, "RFC3834": autoreply.make, "RFC3464": rfc3464.make}


@dataclass(slots=True)
class Message:
    """A bounce after the rules ran: its headers, the records, the returned message's headers."""

    head: Head
    body: str
    parsed: Parsed | None
    original: dict[str, str]
    original_received: list[str]


def normalize_newlines(text: str) -> str:
    """LF line ends: CRLF becomes LF, and so does a lone CR when CR is the file's line end."""
    if "\r\n" in text:
        text = text.replace("\r\n", "\n")
    if "\r" in text and text.count("\r") > text.count("\n"):
        text = text.replace("\r", "\n")
    return text


def divide(text: str) -> tuple[str, str] | None:
    """Header block and body, or None when either is missing."""
    # Trailing blanks go from every line, but only when the text itself ends in blanks
    # (with or without a final LF), as the reference parser does.
    if text.removesuffix("\n").endswith((" ", "\t")):
        text = "\n".join(line.rstrip(" \t") for line in text.split("\n"))
    parts = text.split("\n\n", 1)
    if len(parts) < 2 or not parts[0] or not parts[1]:
        return None
    header, body = parts
    if not header.endswith("\n"):
        header += "\n"
    return header, body + "\n"


def makemap(text: str) -> tuple[dict[str, str], list[str]]:
    """Header fields (the last of a repeated field wins) and the Received: values, in order."""
    text = _QUOTE_MARK.sub("", text)
    fields = {"subject": ""}
    for name, value in _FIELD.findall(text):
        value = _FOLD.sub(" ", value, count=1)
        fields[name.lower()] = _BLANKS.sub(" ", value)
    received: list[str] = []
    if _HAS_RECEIVED.search(text):
        received = [_RECEIVED_BLANKS.sub(" ", _FOLD.sub(" ", v, count=1)) for v in _RECEIVED.findall(text)]
    return fields, received


def order_hint(subject: str) -> tuple[str, ...]:
    text = re.sub(r"[_\[\] ]+", " ", subject)
    text = text.lstrip(" ")
    words = text.lower().split(" ", 2)
    if words[0].rfind(":") > 0:
        found = re.match(r"\A(.+?):", text, re.S)
        first = found.group(1).lower() if found else ""
    else:
        first = "-".join(words[:2])
    first = re.sub(r'[:",*]', "", first)
    return _SUBJECT_HINTS.get(first, ())


def _decode_body(head: Head, body: str) -> tuple[str, str]:
    """The body as the rules read it, and the raw body with its MIME fields normalised."""
    mesgformat = head["content-type"].lower()
    encoding = head["content-transfer-encoding"].lower()
    if mesgformat.startswith("text/"):
        text = body
        if encoding == "base64":
            text = base64d(body)
        elif encoding == "quoted-printable":
            text = qp_decode(body)
        if _HTML.search(mesgformat):
            text = to_plain(text, loose=True)
        return text.replace("\r", ""), body
    if mesgformat.startswith("multipart/"):
        flat, rewritten = makeflat(head["content-type"], body)
        return (flat or rewritten).replace("\r", ""), rewritten
    return body.replace("\r", ""), body


def _run_rules(head: Head, body: str) -> Parsed | None:
    tried: set[str] = set()
    for name in (*order_hint(head["subject"]), *ORDER):
        if name in tried:
            continue
        tried.add(name)
        rule = _SPECIAL.get(name) or RULES.get(name)
        if rule is None:
            continue
        parsed = rule(head, body)
        if parsed:
            _default_agent(parsed, name)
            return parsed
    if "RFC3464" not in tried:
        parsed = rfc3464.make(head, body)
        if parsed:
            _default_agent(parsed, "RFC3464")
            return parsed
    if "ARF" not in tried and arf.is_arf(head):
        parsed = arf.make(head, body)
        if parsed:
            return parsed
    if "RFC3834" not in tried:
        parsed = autoreply.make(head, body)
        if parsed:
            _default_agent(parsed, "RFC3834")
            return parsed
    return None


def _default_agent(parsed: Parsed, name: str) -> None:
    for e in parsed.ds:
        e["agent"] = e.get("agent") or name


def read(text: str) -> Message | None:
    """Run the rules over one message (LF line ends); None when it has no header or no body."""
    divided = divide(text)
    if divided is None:
        return None
    header, body = divided
    fields, received = makemap(header)
    head = Head(fields, received)
    for key in ("from", "subject", "content-type"):
        head.fields.setdefault(key, "")

    subject = head["subject"]
    if subject:
        decoded = mimedecode(subject.split(" ")) if is_mimeencoded(subject) else subject
        forwarded = _FORWARDED.match(decoded.lower())
        if forwarded:
            decoded = forwarded.group(1)
            body = _QUOTE_MARK.sub("", body)
            body = _QUOTE_ONLY.sub("", body)
        head.fields["subject"] = decoded

    decoded_body, body = _decode_body(head, body)
    parsed = _run_rules(head, decoded_body)
    if parsed is None:
        return Message(head, decoded_body, None, {}, [])
    if isinstance(parsed.rfc822, dict):
        return Message(head, decoded_body, parsed, parsed.rfc822, [])
    original, original_received = makemap(parsed.rfc822 or body)
    return Message(head, decoded_body, parsed, original, original_received)
