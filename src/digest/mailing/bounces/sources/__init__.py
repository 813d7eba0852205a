"""Where bounces come from: ``maildir://PATH``, ``mbox://PATH``, ``imap://`` and ``imaps://``.

``open_source(url)`` gives a ``BounceSource``: iterate it for ``(id, bytes)`` of each new
message, and call ``mark_done(id)`` once the message's result is recorded. Query options:

- maildir: ``?flag=S`` (the Maildir flag a handled message gets, default ``S``);
- mbox: ``?state=PATH`` (the list of handled messages, default ``PATH.digest-handled``);
- imap/imaps: ``imap://user@host[:port]/FOLDER``, ``?processed=FOLDER`` (move handled
  messages there), ``?starttls=1`` (imap only), ``?keyword=$DigestHandled``. The password
  comes only from the environment variable ``DIGEST_IMAP_PASSWORD``.
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Mapping
from urllib.parse import parse_qs, unquote, urlsplit

from digest.errors import ConfigError, InputError
from digest.mailing.bounces.sources.base import BounceSource
from digest.mailing.bounces.sources.imap import HANDLED_KEYWORD, ImapSource
from digest.mailing.bounces.sources.maildir import MaildirSource
from digest.mailing.bounces.sources.mbox import MboxSource

PASSWORD_ENV = "DIGEST_IMAP_PASSWORD"
_OPTIONS = {
    "maildir": {"flag"},
    "mbox": {"state"},
    "imap": {"processed", "starttls", "keyword"},
    "imaps": {"processed", "keyword"},
}

__all__ = ["BounceSource", "ImapSource", "MaildirSource", "MboxSource", "PASSWORD_ENV", "open_source"]


def _redacted(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        return url.replace(":" + parts.password + "@", ":***@")
    return url


def open_source(
    url: str,
    *,
    dry_run: bool = False,
    env: Mapping[str, str] | None = None,
    ssl_context: ssl.SSLContext | None = None,
) -> BounceSource:
    """The source a URL names; a bad URL or an unreachable mailbox is an InputError/ConfigError."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in _OPTIONS:
        raise InputError(f"{_redacted(url)}: unknown bounce source (use maildir://, mbox://, imap:// or imaps://)")
    query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
    unknown = set(query) - _OPTIONS[scheme]
    if unknown:
        raise InputError(f"{_redacted(url)}: unknown option {sorted(unknown)[0]!r} for {scheme}://")

    if scheme in ("maildir", "mbox"):
        path = unquote(parts.netloc + parts.path)
        if not path:
            raise InputError(f"{url}: no path")
        if scheme == "maildir":
            return MaildirSource(path, flag=query.get("flag") or "S", dry_run=dry_run)
        return MboxSource(path, state=query.get("state") or None, dry_run=dry_run)

    if parts.password is not None:
        raise ConfigError(f"{_redacted(url)}: put the IMAP password in {PASSWORD_ENV}, not in the URL")
    user, at, hostport = parts.netloc.rpartition("@")
    if not at or not user:
        raise InputError(f"{url}: no user (imap://user@host/FOLDER)")
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        raise InputError(f"{url}: bad port") from None
    if not host:
        raise InputError(f"{url}: no host")
    password = (env if env is not None else os.environ).get(PASSWORD_ENV, "")
    if not password:
        raise ConfigError(f"{PASSWORD_ENV} is not set: the IMAP password comes only from there")
    return ImapSource(
        host=host,
        port=port,
        user=unquote(user),
        password=password,
        folder=unquote(parts.path.lstrip("/")) or "INBOX",
        tls=scheme == "imaps",
        starttls=query.get("starttls", "") in ("1", "yes", "true"),
        processed=query.get("processed") or None,
        keyword=query.get("keyword") or HANDLED_KEYWORD,
        dry_run=dry_run,
        ssl_context=ssl_context,
    )
