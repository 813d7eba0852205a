"""The options of an smtp:// or smtps:// backend URL, checked once into a frozen object.

Kept apart from sending so that a wrong URL is reported before any connection is made, and so
the sending code reads plain attributes instead of parsing strings.
"""

from __future__ import annotations

import functools
import ipaddress
import logging
import socket
from dataclasses import dataclass
from urllib.parse import unquote

from digest.deliver.base import BaseBackend
from digest.errors import ConfigError

log = logging.getLogger("digest.deliver.smtp")

KNOWN = ("tls", "connections", "rate", "timeout", "data_timeout", "cafile", "helo")
# The reply to the message's last byte: the server may be delivering or scanning it, and
# giving up there is the one place a retry can mail someone twice (RFC 5321 4.5.3.2.6 and
# Postfix's smtp_data_done_timeout both say 10 minutes).
DATA_DONE_TIMEOUT = 600.0


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@functools.cache
def _fqdn() -> str:
    return socket.getfqdn()


def default_helo(from_address: str) -> str:
    """The name to greet the server with: this machine's fully qualified name when it has one,
    else the From address's domain. A short host name ("vm") is refused by servers that check
    it (Postfix's reject_non_fqdn_helo_hostname answers 504 to every message)."""
    fqdn = _fqdn()
    if "." in fqdn and not fqdn.endswith((".localdomain", ".local", ".localhost")) and fqdn != "localhost.localdomain":
        return fqdn
    domain = from_address.rpartition("@")[2].strip().lower()
    return domain or "localhost"


@dataclass(frozen=True)
class SMTPOptions:
    host: str
    port: int
    implicit_tls: bool
    tls: str  # implicit | starttls | none
    user: str | None
    connections: int
    rate: float | None  # messages per second, all connections together
    timeout: float  # seconds per network operation
    data_timeout: float  # seconds for the reply to the end of DATA
    cafile: str | None
    helo: str
    max_attempts: int
    backoff: float

    @classmethod
    def parse(cls, backend: BaseBackend) -> SMTPOptions:
        """The backend URL's options, or ConfigError naming the URL (password hidden)."""
        settings, parts, shown = backend.settings, backend.parts, backend.display_url
        backend.check_options(KNOWN)
        implicit_tls = parts.scheme.lower() == "smtps"
        if parts.password:
            raise ConfigError(
                f"{shown}: a password in the backend URL would end up in config files and logs; "
                "remove it and set DIGEST_SMTP_PASSWORD instead"
            )
        try:
            port = parts.port
        except ValueError:
            raise ConfigError(f"{shown}: the port must be a number 1-65535") from None
        host = parts.hostname
        if not host:
            raise ConfigError(f"{shown}: expected smtp://[user@]host[:port]")
        tls = backend.options.get("tls", "implicit" if implicit_tls else "starttls").lower()
        allowed = ("implicit",) if implicit_tls else ("starttls", "none")
        if tls not in allowed:
            raise ConfigError(f"{shown}: ?tls= expects {' or '.join(allowed)}, got {tls!r}")
        user = unquote(parts.username) if parts.username else None
        if user and not settings.smtp_password:
            raise ConfigError(f"{shown}: user {user!r} needs a password: set DIGEST_SMTP_PASSWORD")
        if user and tls == "none" and not is_loopback(host):
            raise ConfigError(
                f"{shown}: refusing to send the SMTP password unencrypted to {host}; use ?tls=starttls or smtps://"
            )
        timeout = backend.option_float("timeout", settings.delivery.timeout, 0.1, 600) or 30.0
        data_timeout = max(timeout, backend.option_float("data_timeout", DATA_DONE_TIMEOUT, 0.1, 3600) or 0)
        if data_timeout < 60:
            log.warning(
                "%s: ?data_timeout=%g s is short: RFC 5321 (4.5.3.2.6) gives a server 10 minutes to accept "
                "a message; a message not answered in time is marked unknown and not resent by itself",
                shown,
                data_timeout,
            )
        cafile = backend.options.get("cafile") or settings.delivery.ca_file
        return cls(
            host=host,
            port=port or (465 if implicit_tls else 587 if tls == "starttls" else 25),
            implicit_tls=implicit_tls,
            tls=tls,
            user=user,
            connections=backend.option_int("connections", 1, 1, 64),
            rate=backend.option_float("rate", None, 0.001, 1_000_000),
            timeout=timeout,
            data_timeout=data_timeout,
            cafile=str(settings.resolve(cafile)) if cafile else None,
            helo=backend.options.get("helo") or default_helo(settings.delivery.from_address),
            max_attempts=settings.delivery.max_attempts,
            backoff=settings.delivery.retry_backoff,
        )
