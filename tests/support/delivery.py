"""Helpers for delivery tests: settings for a backend, seeded subscribers, message checks.

``check_message`` is the one place that knows what every digest message must look like; each
delivery test runs it on every message it receives, one by one.
"""

from __future__ import annotations

import email
import email.policy
import html as html_lib
import os
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from email.message import EmailMessage
from email.utils import parsedate_to_datetime

import pytest
from sqlalchemy import select
from tests.support.paths import ROOT

from digest.config import Settings, load_settings
from digest.mailing.subscribers import add
from digest.mailing.tokens import UnsubscribeSigner
from digest.storage.engine import open_engine
from digest.storage.schema import subscribers

UNSUBSCRIBE_KEY = "test-unsubscribe-key-0123456789abcdef"
PASSWORD = "s3cret-Pa55word-never-shown"
UNSUBSCRIBE_URL = "https://news.digest.test/unsubscribe?token={token}"


def configure(monkeypatch: pytest.MonkeyPatch, backend: str, **env: str) -> Settings:
    """Settings for ``backend`` with fast retries, a short timeout and a known signing key."""
    monkeypatch.setenv("DIGEST_BACKEND", backend)
    monkeypatch.setenv("DIGEST_UNSUBSCRIBE_KEY", UNSUBSCRIBE_KEY)
    monkeypatch.setenv("DIGEST_DELIVERY__RETRY_BACKOFF", "0.05")
    monkeypatch.setenv("DIGEST_DELIVERY__TIMEOUT", "2")
    # Not the shipped example address: a real send refuses to go out with that one.
    monkeypatch.setenv("DIGEST_DELIVERY__UNSUBSCRIBE_URL", UNSUBSCRIBE_URL)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return load_settings(ROOT / "config" / "digest.toml")


def seed(settings: Settings, n: int, domain: str = "example.org") -> list[str]:
    """n subscribers reader000@domain... (every third without a name, some non-ASCII names)."""
    engine = open_engine(settings)
    emails = []
    for i in range(n):
        address = f"reader{i:03d}@{domain}"
        name = None if i % 3 == 0 else (f"Zoë Reader {i}" if i % 3 == 1 else f"Reader {i}")
        add(engine, address, name)
        emails.append(address)
    engine.dispose()
    return emails


def cli(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run the real `digest` command in a subprocess (the worktree's code first on the path)."""
    full = {**os.environ, "PYTHONPATH": str(ROOT / "src"), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "digest", *args],
        cwd=ROOT,
        env=full,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def token_owner(token: str, key: str = UNSUBSCRIBE_KEY) -> str:
    """The address an unsubscribe token stands for. A message to a subscriber carries an opaque
    token (its subscriber row's selector and a MAC: nothing of the address), looked up in the
    database of the current DIGEST_DATA_DIR; a test copy to a non-subscriber a version 1 token."""
    signer = UnsubscribeSigner(key)
    if "." in token:
        return signer.verify(token)
    selector = signer.reader_selector(token)
    engine = open_engine(load_settings(ROOT / "config" / "digest.toml"))
    try:
        with engine.connect() as conn:
            return str(conn.execute(select(subscribers.c.email).where(subscribers.c.token == selector)).scalar_one())
    finally:
        engine.dispose()


def check_message(
    raw: bytes,
    recipient: str,
    *,
    key: str = UNSUBSCRIBE_KEY,
    test: bool = False,
    from_address: str = "digest@example.com",
) -> EmailMessage:
    """Every rule a digest message must follow; returns the parsed message."""
    assert b"\r\n" in raw
    bare = raw.replace(b"\r\n", b"")
    assert b"\n" not in bare and b"\r" not in bare, "bare CR or LF: the message must be CRLF throughout"
    longest = max(len(line) for line in raw.split(b"\r\n"))
    assert longest <= 998, f"a line of {longest} octets (RFC 5322 limit: 998)"
    raw.decode("ascii")  # 7-bit clean: non-ASCII only through encodings

    msg: EmailMessage = email.message_from_bytes(raw, policy=email.policy.default)  # type: ignore[assignment]
    sender = msg["From"].addresses[0]
    assert sender.addr_spec == from_address and sender.display_name
    assert [a.addr_spec for a in msg["To"].addresses] == [recipient]
    assert msg["Subject"]
    assert msg["Subject"].startswith("[TEST] ") is test
    assert parsedate_to_datetime(msg["Date"]).tzinfo is not None
    domain = from_address.rsplit("@", 1)[1]
    assert re.fullmatch(rf"<[^<>@\s]+@{re.escape(domain)}>", msg["Message-ID"]), msg["Message-ID"]
    assert msg["List-Id"] and "<" in msg["List-Id"]
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    links = re.findall(r"<([^<>]+)>", str(msg["List-Unsubscribe"]))
    https = [u for u in links if u.startswith("https://")]
    assert len(https) == 1, msg["List-Unsubscribe"]
    token = re.search(r"token=([^&>\s]+)", https[0]).group(1)  # type: ignore[union-attr]
    assert token_owner(token, key) == recipient

    assert msg.get_content_type() == "multipart/alternative"
    parts = list(msg.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    for part in parts:
        assert part.get_content_charset() == "utf-8"
        assert part["Content-Transfer-Encoding"] in ("quoted-printable", "base64")
    text, page = parts[0].get_content(), parts[1].get_content()
    assert https[0] in text, "the text part must carry this recipient's unsubscribe link"
    assert https[0] in html_lib.unescape(page), "the HTML part must carry this recipient's unsubscribe link"
    return msg


def check_all(
    raws: Iterable[tuple[Sequence[str], bytes]], expected: Iterable[str], *, allow_double: int = 0, **kwargs: object
) -> Counter[str]:
    """Each expected recipient got exactly one valid message (at most ``allow_double`` got two)."""
    counts: Counter[str] = Counter()
    for rcpts, raw in raws:
        assert len(rcpts) == 1, "one message per recipient, never a shared envelope"
        check_message(raw, rcpts[0], **kwargs)  # type: ignore[arg-type]
        counts[rcpts[0]] += 1
    expected = list(expected)
    assert set(counts) == set(expected), f"missing: {set(expected) - set(counts)}, extra: {set(counts) - set(expected)}"
    doubles = [r for r, n in counts.items() if n == 2]
    assert all(n <= 2 for n in counts.values()), counts
    assert len(doubles) <= allow_double, f"sent twice: {doubles}"
    return counts
