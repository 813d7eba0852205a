"""Email address checks shared by the subscriber list and message building.

Syntax only (``email-validator`` with deliverability checks off): digest runs offline, and a
DNS lookup per imported row would make a 20,000-line import take minutes. Addresses are kept
lower-cased, as newsletter tools do, so "Ann@Example.org" and "ann@example.org" are one person.
"""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email

from digest.deliver.base import has_line_break
from digest.errors import InputError


def normalize_email(value: str) -> str:
    """The canonical form of an address, or InputError saying what is wrong with it."""
    raw = value.strip()
    if not raw:
        raise InputError("empty email address")
    if has_line_break(value):
        raise InputError(f"{raw!r}: an email address cannot contain a line break")
    try:
        checked = validate_email(raw, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as exc:
        raise InputError(f"{raw}: {exc}") from None
    return (checked.ascii_email or checked.normalized).lower()
