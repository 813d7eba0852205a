"""Credentials of the Mailgun and Postmark webhooks, compared in constant time.

Mailgun signs each call: HMAC-SHA256 of ``timestamp + token`` with the account's webhook
signing key. A call older (or newer) than ``max_age`` seconds is refused, and so is a token
seen before within that window: a captured call cannot be replayed. The tokens are remembered
in this process; behind several processes a replay could reach another one within the window
(it would only repeat an event already applied once, which changes nothing more).

Postmark sends HTTP basic auth credentials that are part of the webhook URL set up in its
console.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

MAX_AGE = 300  # seconds a Mailgun signature stays usable
_MAX_TOKENS = 100_000


class MailgunSignatures:
    def __init__(self, key: str | None, max_age: int = MAX_AGE, clock: Callable[[], float] = time.time) -> None:
        self._key = key.encode("utf-8") if key else None
        self.max_age = max_age
        self._clock = clock
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()

    @property
    def configured(self) -> bool:
        return self._key is not None

    def check(self, signature: Any) -> str | None:
        """None when the call is genuine and new; else why it is refused."""
        if self._key is None:
            return "DIGEST_MAILGUN_SIGNING_KEY is not set"
        if not isinstance(signature, Mapping):
            return "unsigned"
        timestamp, token, sent = signature.get("timestamp"), signature.get("token"), signature.get("signature")
        if isinstance(timestamp, int):
            timestamp = str(timestamp)
        if not all(isinstance(v, str) and v for v in (timestamp, token, sent)):
            return "unsigned"
        assert isinstance(timestamp, str) and isinstance(token, str) and isinstance(sent, str)
        expected = hmac.new(self._key, (timestamp + token).encode("utf-8"), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected.encode("ascii"), sent.encode("utf-8", "replace")):
            return "bad signature"
        try:
            when = float(timestamp)
        except ValueError:
            return "bad timestamp"
        now = self._clock()
        if abs(now - when) > self.max_age:
            return "stale timestamp"
        with self._lock:
            if len(self._seen) > 1000:
                self._seen = {t: expiry for t, expiry in self._seen.items() if expiry > now}
            expiry = self._seen.get(token)
            if expiry is not None and expiry > now:
                return "replayed token"
            if len(self._seen) >= _MAX_TOKENS:
                return "too many calls in the replay window"
            self._seen[token] = when + self.max_age
        return None


def basic_auth_ok(header: str | None, user: str | None, password: str | None) -> bool:
    """The Authorization header carries exactly this user and password (never true when unset)."""
    if not user or not password or not header:
        return False
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError):
        return False
    given_user, sep, given_password = decoded.partition(b":")
    user_ok = hmac.compare_digest(given_user, user.encode("utf-8"))
    password_ok = hmac.compare_digest(given_password, password.encode("utf-8"))
    return bool(sep) and user_ok and password_ok
