"""Does an SMTP reply received during a send say the recipient's mailbox does not exist?

Such a reply is as good as a hard bounce arriving later, so the sender can stop mailing the
address at once. Anything else (mailbox full, blocked, spam, policy, greylisting, a 4xx) is
left to the per-edition failure record.
"""

from __future__ import annotations

from digest.mailing.bounces.reasons import MATCH
from digest.mailing.bounces.smtpcodes import find_status

# Generic statuses that servers pair with "user unknown" text.
_GENERIC_STATUSES = frozenset(("5.0.0", "5.1.0", "5.5.0", "5.5.1"))
# Replies that carry user-unknown wording yet mean something else.
_OTHER_REASONS = ("mailboxfull", "blocked", "spamdetected", "norelaying", "hasmoved", "suspend", "securityerror")


def _says_unknown(text: str) -> bool:
    lowered = text.lower()
    if any(MATCH[reason](lowered) for reason in _OTHER_REASONS):
        return False
    return MATCH["userunknown"](lowered)


def smtp_reply_is_unknown_user(code: int, reply: str) -> bool:
    """True for a 5xx reply meaning the user or mailbox does not exist (550 5.1.1 and the like)."""
    if not 500 <= code <= 599:
        return False
    status = find_status(reply)
    if status == "5.1.10":
        return True
    if status == "5.1.1":
        lowered = reply.lower()
        return not any(MATCH[reason](lowered) for reason in ("mailboxfull", "blocked", "norelaying", "hasmoved"))
    if status and status not in _GENERIC_STATUSES:
        return False
    return _says_unknown(reply)
