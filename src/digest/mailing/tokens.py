"""Signed reader tokens: the link in every message proves which subscription it is for.

Reader tokens (unsubscribe and preferences links) are opaque: the subscriber row's random
selector (26 base32 characters, stored with the row) followed by a MAC of it (24 hex digits),
50 lowercase letters and digits with nothing about the address inside. The MAC is checked (in constant
time) before the database is asked about the selector, so a forged token costs one HMAC.
Confirmation tokens add an expiry time under the same MAC, in their own MAC domain.

Version 1 tokens, still in old mailboxes and still accepted, carried the address:
``base64url(email) . base64url(list) . base64url(HMAC-SHA256(key, payload)[:16])``
with payload ``"unsubscribe-list:" + list + LF + email``: the address and the subscriber list
it was issued for travel inside the token (so the unsubscribe endpoint needs no lookup table)
and the MAC makes it unforgeable. Tokens from before lists (``email . mac`` over
``"unsubscribe:" + email``) stay valid and mean the "default" list.

The key comes from ``DIGEST_UNSUBSCRIBE_KEY``; without one, a key is generated once and kept
in the data directory (mode 0600) so the embedded default works out of the box, with a
warning, because losing that file breaks old links.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import os
import re
import secrets
from pathlib import Path
from urllib.parse import urlsplit

from digest.config import Settings
from digest.errors import ConfigError, InputError
from digest.mailing.lists import DEFAULT_LIST, check_list_name

log = logging.getLogger("digest.mailing.tokens")

KEY_FILE = "unsubscribe.key"
_MAC_BYTES = 16
SELECTOR_LENGTH = 26  # digest.storage.schema.new_selector: 16 random bytes in base32
_V2_MAC_LENGTH = 24  # hex: 96 bits of HMAC-SHA256
_SELECTOR = re.compile(r"[a-z2-7]{26}")
_READER = re.compile(r"([a-z2-7]{26})([0-9a-f]{24})")
_CONFIRM = re.compile(r"([a-z2-7]{26})([0-9a-f]{8})([0-9a-f]{24})")


class TokenExpired(InputError):
    """A genuine confirmation token past its expiry."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class UnsubscribeSigner:
    """Makes and checks tokens with one key."""

    def __init__(self, key: str | bytes) -> None:
        raw = key.encode("utf-8") if isinstance(key, str) else key
        if len(raw) < 16:
            raise ConfigError("DIGEST_UNSUBSCRIBE_KEY: expected at least 16 characters")
        self._key = raw

    def _mac(self, email: str, list_name: str | None) -> bytes:
        if list_name is None:  # a token from before lists
            payload = b"unsubscribe:" + email.encode("utf-8")
        else:
            payload = b"unsubscribe-list:" + list_name.encode("utf-8") + b"\n" + email.encode("utf-8")
        return hmac.new(self._key, payload, hashlib.sha256).digest()[:_MAC_BYTES]

    def token(self, email: str, list_name: str = DEFAULT_LIST) -> str:
        email = email.strip().lower()
        list_name = check_list_name(list_name)
        mac = self._mac(email, list_name)
        return f"{_b64(email.encode('utf-8'))}.{_b64(list_name.encode('ascii'))}.{_b64(mac)}"

    def verify_target(self, token: str) -> tuple[str, str]:
        """(list, address) a genuine token was made for; InputError for anything else."""
        malformed = "unsubscribe token: malformed (expected the token from an unsubscribe link)"
        pieces = token.strip().split(".")
        if len(pieces) not in (2, 3) or not all(pieces):
            raise InputError(malformed)
        try:
            email = _unb64(pieces[0]).decode("utf-8")
            list_name = _unb64(pieces[1]).decode("ascii") if len(pieces) == 3 else None
            mac = _unb64(pieces[-1])
        except (binascii.Error, UnicodeDecodeError, ValueError):
            raise InputError(malformed) from None
        if not hmac.compare_digest(mac, self._mac(email, list_name)):
            raise InputError("unsubscribe token: signature does not match (wrong key or altered token)")
        return list_name or DEFAULT_LIST, email

    def _v2_mac(self, domain: str, payload: str) -> str:
        mac = hmac.new(self._key, f"{domain}:{payload}".encode("ascii"), hashlib.sha256).hexdigest()
        return mac[:_V2_MAC_LENGTH]

    def reader_token(self, selector: str) -> str:
        """The opaque token of one subscription's unsubscribe and preferences links."""
        if not _SELECTOR.fullmatch(selector):
            raise ValueError("reader token: not a subscriber selector")
        return selector + self._v2_mac("reader-v2", selector)

    def reader_selector(self, token: str) -> str:
        """The selector a genuine reader token names; InputError for anything else."""
        found = _READER.fullmatch(token.strip())
        if found is None:
            raise InputError("link token: malformed (expected the token from a link in one of our messages)")
        selector, mac = found.groups()
        if not hmac.compare_digest(mac.encode("ascii"), self._v2_mac("reader-v2", selector).encode("ascii")):
            raise InputError("link token: signature does not match (wrong key or altered token)")
        return selector

    def confirm_token(self, selector: str, expires: float) -> str:
        """The token of a double opt-in confirmation link, good until ``expires`` (Unix time)."""
        if not _SELECTOR.fullmatch(selector):
            raise ValueError("confirm token: not a subscriber selector")
        stamp = f"{int(expires):08x}"
        return selector + stamp + self._v2_mac("confirm-v2", selector + stamp)

    def confirm_selector(self, token: str, now: float) -> str:
        """The selector a genuine, unexpired confirmation token names; TokenExpired when it
        is past its time, InputError for anything else."""
        found = _CONFIRM.fullmatch(token.strip())
        if found is None:
            raise InputError("confirmation token: malformed (expected the token from the confirmation mail)")
        selector, stamp, mac = found.groups()
        expected = self._v2_mac("confirm-v2", selector + stamp)
        if not hmac.compare_digest(mac.encode("ascii"), expected.encode("ascii")):
            raise InputError("confirmation token: signature does not match (wrong key or altered token)")
        if int(stamp, 16) < now:
            raise TokenExpired("confirmation link: expired; subscribe again to get a new one")
        return selector

    def derived_key(self, purpose: str) -> bytes:
        """A key of its own for another use (CSRF forms), so no MAC made for one use fits another."""
        return hmac.new(self._key, b"derive:" + purpose.encode("ascii"), hashlib.sha256).digest()

    def fingerprint(self, value: str) -> str:
        """A keyed hash of a reader's IP address or user agent: matches the same value later
        without keeping it."""
        digest = hmac.new(self._key, b"consent:" + value.encode("utf-8", "replace"), hashlib.sha256).hexdigest()
        return "sha256:" + digest[:32]

    def bounce_token(self, edition_id: int, subscriber_id: int) -> str:
        """The VERP token of one edition's message to one subscriber: 16 letters and digits
        that name both to us (the send log keeps it) and to nobody else."""
        mac = hmac.new(self._key, f"bounce:{edition_id}:{subscriber_id}".encode("ascii"), hashlib.sha256).digest()
        return base64.b32encode(mac[:10]).decode("ascii").lower()

    def verify(self, token: str) -> str:
        """The address a genuine token was made for; InputError for anything else."""
        return self.verify_target(token)[1]


def load_key(settings: Settings) -> str:
    """The signing key: from the environment, else the data dir's key file (created once)."""
    if settings.unsubscribe_key:
        return str(settings.unsubscribe_key)
    path = Path(settings.data_dir) / KEY_FILE
    if path.is_file():
        return path.read_text(encoding="ascii").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process won the race: use its key
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key + "\n")
    log.warning(
        "no DIGEST_UNSUBSCRIBE_KEY set: generated a signing key in %s; keep that file "
        "(unsubscribe links depend on it) or set DIGEST_UNSUBSCRIBE_KEY",
        path,
    )
    return key


def signer_for(settings: Settings) -> UnsubscribeSigner:
    return UnsubscribeSigner(load_key(settings))


# The shipped example unsubscribe address: mail with it reaches nobody's unsubscribe service.
EXAMPLE_UNSUBSCRIBE_URL = "https://example.com/unsubscribe?token={token}"
_EXAMPLE_HOSTS = ("example.com", "example.org", "example.net")


def unsubscribe_template(settings: Settings) -> str:
    """The unsubscribe link with ``{token}``: this service's page when [web] base_url is set
    and [delivery] unsubscribe_url is still the example; the configured one otherwise."""
    configured = settings.delivery.unsubscribe_url
    if settings.web.base_url and configured == EXAMPLE_UNSUBSCRIBE_URL:
        return settings.web.base_url + "/unsubscribe/{token}"
    return configured


def is_example_url(url: str) -> bool:
    host = (urlsplit(url.replace("{token}", "t")).hostname or "").lower()
    return any(host == h or host.endswith("." + h) for h in _EXAMPLE_HOSTS)


def unsubscribe_url(settings: Settings, token: str) -> str:
    return unsubscribe_template(settings).replace("{token}", token)
