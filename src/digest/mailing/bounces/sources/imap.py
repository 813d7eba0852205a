"""An IMAP folder: new messages are those without our keyword; a handled one gets the keyword
and \\Seen, and moves to a "processed" folder when one is configured.

Reading uses BODY.PEEK so a dry run (folder opened read-only) changes nothing on the server.
"""

from __future__ import annotations

import contextlib
import ssl
from collections.abc import Iterator
from typing import Any

from imapclient import IMAPClient  # type: ignore[import-untyped]
from imapclient.exceptions import IMAPClientError, LoginError  # type: ignore[import-untyped]

from digest.errors import InputError
from digest.mailing.bounces.sources.base import SourceBase

HANDLED_KEYWORD = "$DigestHandled"
_SEEN = b"\\Seen"
_DELETED = b"\\Deleted"
_BODY = b"BODY[]"


class ImapSource(SourceBase):
    """Messages of one IMAP folder; ids are ``UIDVALIDITY/UID``."""

    def __init__(
        self,
        *,
        host: str,
        user: str,
        password: str,
        folder: str = "INBOX",
        port: int | None = None,
        tls: bool = True,
        starttls: bool = False,
        processed: str | None = None,
        keyword: str = HANDLED_KEYWORD,
        dry_run: bool = False,
        ssl_context: ssl.SSLContext | None = None,
        timeout: float = 30.0,
        batch: int = 50,
    ) -> None:
        self.where = f"{'imaps' if tls else 'imap'}://{user}@{host}:{port or (993 if tls else 143)}/{folder}"
        self.folder = folder
        self.processed = processed
        self.keyword = keyword.encode("ascii")
        self.dry_run = dry_run
        self.batch = max(1, batch)
        self._client: Any = None
        try:
            client = IMAPClient(host, port=port, ssl=tls, ssl_context=ssl_context, timeout=timeout)
            self._client = client
            if starttls:
                client.starttls(ssl_context or ssl.create_default_context())
            client.login(user, password)
            if processed and not dry_run and not client.folder_exists(processed):
                client.create_folder(processed)
            info = client.select_folder(folder, readonly=dry_run)
        except (TimeoutError, IMAPClientError, OSError, ssl.SSLError) as exc:
            self.close()
            raise InputError(f"{self.where}: {_describe(exc)}") from None
        self.uidvalidity = int(info.get(b"UIDVALIDITY", 0))
        permanent = info.get(b"PERMANENTFLAGS", ())
        self.use_keyword = b"\\*" in permanent or self.keyword in permanent

    def _call(self, what: str, method: str, *args: Any) -> Any:
        try:
            return getattr(self._client, method)(*args)
        except (TimeoutError, IMAPClientError, OSError, ssl.SSLError) as exc:
            raise InputError(f"{self.where}: {what}: {_describe(exc)}") from None

    def __iter__(self) -> Iterator[tuple[str, bytes]]:
        criteria: list[Any] = ["NOT", "KEYWORD", self.keyword] if self.use_keyword else ["UNSEEN"]
        uids = sorted(self._call("search", "search", criteria))
        for start in range(0, len(uids), self.batch):
            chunk = uids[start : start + self.batch]
            fetched = self._call("fetch", "fetch", chunk, ["BODY.PEEK[]"])
            for uid in chunk:
                data = fetched.get(uid, {}).get(_BODY)
                if isinstance(data, bytes):
                    yield f"{self.uidvalidity}/{uid}", data

    def mark_done(self, message_id: str) -> None:
        if self.dry_run:
            return
        validity, _, uid_text = message_id.partition("/")
        if not uid_text.isdigit() or validity != str(self.uidvalidity):
            raise InputError(f"{self.where}: {message_id!r} is not a message id of this folder")
        uid = int(uid_text)
        flags = [_SEEN, self.keyword] if self.use_keyword else [_SEEN]
        self._call("flag", "add_flags", [uid], flags)
        if not self.processed:
            return
        if self._call("capabilities", "has_capability", "MOVE"):
            self._call("move", "move", [uid], self.processed)
            return
        self._call("copy", "copy", [uid], self.processed)
        self._call("flag", "add_flags", [uid], [_DELETED])
        if self._call("capabilities", "has_capability", "UIDPLUS"):
            self._call("expunge", "uid_expunge", [uid])

    def close(self) -> None:
        client, self._client = self._client, None
        if client is None:
            return
        try:
            client.logout()
        except (TimeoutError, IMAPClientError, OSError, ssl.SSLError):
            with contextlib.suppress(IMAPClientError, OSError):
                client.shutdown()


def _describe(exc: BaseException) -> str:
    """One line saying what went wrong (imapclient passes server replies as bytes)."""
    first = exc.args[0] if exc.args else ""
    text = first.decode("utf-8", "replace") if isinstance(first, bytes) else str(exc)
    text = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    if isinstance(exc, LoginError):
        text = f"login failed: {text}"
    return text
