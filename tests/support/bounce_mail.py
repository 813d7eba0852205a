"""Real bounce and complaint messages from tests/data/bounces, turned into reports about our
own readers: every spelling of the original recipient is replaced with the reader's address."""

from __future__ import annotations

import json
import re

from tests.support.paths import ROOT

DATA = ROOT / "tests" / "data" / "bounces"
EMAILS = DATA / "emails"

# template -> what the reference parser says about it (one recipient each)
HARD = "lhost-postfix-33.eml"  # Postfix: 550 5.1.1 user unknown
SOFT = "lhost-messagingserver-04.eml"  # Sun Messaging Server: mailbox full
COMPLAINT = "arf-01.eml"  # an ARF feedback report


def _labels() -> dict[str, list[dict[str, str | None]]]:
    out = {}
    for line in (DATA / "labels.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        out[row["file"]] = row["bounces"]
    return out


LABELS = _labels()


def bounce_for(template: str, address: str, *, message_id: str | None = None) -> bytes:
    """The template with its one recipient replaced by ``address`` (and, if given, the quoted
    Message-ID of the failed message replaced by ``message_id``)."""
    (label,) = LABELS[template]
    original = str(label["recipient"])
    raw = (EMAILS / template).read_bytes()
    raw = re.sub(re.escape(original).encode(), address.encode(), raw, flags=re.I)
    if message_id is not None:
        raw = re.sub(rb"(?im)^(Message-ID:[ \t]*)<[^>\r\n]+>", rb"\g<1>" + message_id.encode(), raw)
    return raw


def plain_message(subject: str = "Thanks for the digest") -> bytes:
    """A reply that is not a bounce."""
    return (
        b"From: Reader <reader@example.org>\r\nTo: digest@news.example.org\r\n"
        b"Subject: " + subject.encode() + b"\r\nMessage-ID: <reply-1@example.org>\r\n"
        b"Date: Thu, 1 Jan 2026 08:00:00 +0000\r\n\r\nLoved this morning's edition.\r\n"
    )


def kind_of(template: str) -> str:
    return str(LABELS[template][0]["kind"])
