"""Reading bounces and spam complaints: who could not be mailed, and why.

``classify_bytes`` / ``classify_file`` turn one message into a ``BounceReport``;
``smtp_reply_is_unknown_user`` judges a reply received during a send; ``open_source`` reads new
messages from a Maildir, an mbox file or an IMAP folder exactly once.

The classification rules are a Python port of Sisimai 4.25 (BSD-2-Clause; see
LICENSE-sisimai.txt in this package), the reference bounce parser.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from digest.mailing.bounces.classify import Bounce, BounceReport, Kind, classify_bytes, classify_file
    from digest.mailing.bounces.unknown_user import smtp_reply_is_unknown_user

_FROM = {
    "Bounce": "classify",
    "BounceReport": "classify",
    "Kind": "classify",
    "classify_bytes": "classify",
    "classify_file": "classify",
    "smtp_reply_is_unknown_user": "unknown_user",
}


def __getattr__(name: str) -> Any:
    """Loaded on first use: the classifier compiles about a thousand patterns, which a send
    (that only asks ``smtp_reply_is_unknown_user``) or a dry run should not pay for."""
    if name in _FROM:
        import importlib

        return getattr(importlib.import_module(f"digest.mailing.bounces.{_FROM[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "Bounce",
    "BounceReport",
    "Kind",
    "classify_bytes",
    "classify_file",
    "smtp_reply_is_unknown_user",
]
