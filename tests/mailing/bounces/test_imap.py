"""Bounce source over IMAP, against a real Dovecot started for these tests."""

from __future__ import annotations

import itertools
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
from imapclient import IMAPClient  # type: ignore[import-untyped]
from tests.support.dovecot import Dovecot, available, run_dovecot
from tests.support.net import free_port

from digest.errors import ConfigError, InputError
from digest.mailing.bounces import classify_bytes
from digest.mailing.bounces.sources import PASSWORD_ENV, open_source
from digest.mailing.bounces.sources.imap import HANDLED_KEYWORD

pytestmark = pytest.mark.skipif(not available(), reason="needs Dovecot: apt-get install dovecot-imapd")

EMAILS = Path(__file__).resolve().parents[2] / "data" / "bounces" / "emails"
BOUNCES = {
    "lhost-postfix-10.eml": "kijitora@example.jp",
    "lhost-sendmail-03.eml": "bounce0@example.org",
    "arf-01.eml": "redacted@example.net",
}
_folders = itertools.count()


@pytest.fixture(scope="module")
def dovecot() -> Iterator[Dovecot]:
    with run_dovecot() as server:
        yield server


@pytest.fixture
def admin(dovecot: Dovecot) -> Iterator[IMAPClient]:
    """A separate IMAP session to put messages in and look at the result."""
    client = IMAPClient(dovecot.host, port=dovecot.port, ssl=False, timeout=10)
    client.login(dovecot.user, dovecot.password)
    try:
        yield client
    finally:
        client.logout()


@pytest.fixture
def folder(admin: IMAPClient) -> str:
    name = f"Bounces{next(_folders)}"
    admin.create_folder(name)
    for file in BOUNCES:
        admin.append(name, (EMAILS / file).read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
    return name


def _env(server: Dovecot) -> dict[str, str]:
    return {PASSWORD_ENV: server.password}


def _url(server: Dovecot, folder: str, query: str = "") -> str:
    return f"imap://{server.user}@{server.host}:{server.port}/{folder}{query}"


def _flags(admin: IMAPClient, folder: str) -> list[set[bytes]]:
    admin.select_folder(folder, readonly=True)
    return [set(v[b"FLAGS"]) - {b"\\Recent"} for v in admin.fetch(admin.search("ALL"), ["FLAGS"]).values()]


def test_imap_reads_each_message_once_and_moves_it_to_the_processed_folder(
    dovecot: Dovecot, admin: IMAPClient, folder: str
) -> None:
    url = _url(dovecot, folder, f"?processed={folder}.Done")
    with open_source(url, env=_env(dovecot)) as source:
        messages = list(source)
        assert {b.recipient for _, data in messages for b in classify_bytes(data).bounces} == set(BOUNCES.values())
        for message_id, _ in messages:
            source.mark_done(message_id)
    assert _flags(admin, folder) == []
    done = _flags(admin, f"{folder}.Done")
    assert len(done) == 3
    assert all(b"\\Seen" in f and HANDLED_KEYWORD.encode() in f for f in done)
    with open_source(url, env=_env(dovecot)) as source:
        assert list(source) == []


def test_imap_message_not_marked_is_read_again_next_run(dovecot: Dovecot, admin: IMAPClient, folder: str) -> None:
    url = _url(dovecot, folder, f"?processed={folder}.Done")
    with open_source(url, env=_env(dovecot)) as source:
        first, *rest = list(source)
        source.mark_done(first[0])  # the run stops before recording the others
    with open_source(url, env=_env(dovecot)) as source:
        again = list(source)
    assert [data for _, data in again] == [data for _, data in rest]
    assert len(_flags(admin, f"{folder}.Done")) == 1


def test_imap_dry_run_changes_nothing(dovecot: Dovecot, admin: IMAPClient, folder: str) -> None:
    url = _url(dovecot, folder, f"?processed={folder}.Done")
    with open_source(url, env=_env(dovecot), dry_run=True) as source:
        messages = list(source)
        for message_id, _ in messages:
            source.mark_done(message_id)
    assert len(messages) == 3
    assert _flags(admin, folder) == [set(), set(), set()]  # not even \Seen: the body was peeked at
    assert not admin.folder_exists(f"{folder}.Done")


def test_imap_without_processed_folder_flags_in_place(dovecot: Dovecot, admin: IMAPClient, folder: str) -> None:
    url = _url(dovecot, folder)
    with open_source(url, env=_env(dovecot)) as source:
        message_id, _ = next(iter(source))
        source.mark_done(message_id)
    flags = _flags(admin, folder)
    assert sum(HANDLED_KEYWORD.encode() in f for f in flags) == 1
    with open_source(url, env=_env(dovecot)) as source:
        assert len(list(source)) == 2


def test_imaps_with_a_trusted_certificate(dovecot: Dovecot, folder: str) -> None:
    context = ssl.create_default_context()
    dovecot.ca.configure_trust(context)
    url = f"imaps://{dovecot.user}@{dovecot.host}:{dovecot.tls_port}/{folder}"
    with open_source(url, env=_env(dovecot), ssl_context=context, dry_run=True) as source:
        assert len(list(source)) == 3


def test_imaps_refuses_an_untrusted_certificate(dovecot: Dovecot, folder: str) -> None:
    url = f"imaps://{dovecot.user}@{dovecot.host}:{dovecot.tls_port}/{folder}"
    with pytest.raises(InputError, match="CERTIFICATE_VERIFY_FAILED|certificate verify failed"):
        open_source(url, env=_env(dovecot))


def test_imap_wrong_password_is_one_line_without_the_password(dovecot: Dovecot, folder: str) -> None:
    with pytest.raises(InputError) as caught:
        open_source(_url(dovecot, folder), env={PASSWORD_ENV: "wrong-secret-xyz"})
    assert "wrong-secret-xyz" not in str(caught.value)
    assert "\n" not in str(caught.value)
    assert dovecot.user in str(caught.value)


def test_imap_missing_folder_and_closed_port(dovecot: Dovecot) -> None:
    with pytest.raises(InputError, match="NoSuchFolder|doesn't exist|select"):
        open_source(_url(dovecot, "NoSuchFolder"), env=_env(dovecot))
    with pytest.raises(InputError, match="127.0.0.1"):
        open_source(f"imap://u@127.0.0.1:{free_port()}/INBOX", env={PASSWORD_ENV: "x"})
    with pytest.raises(ConfigError):
        open_source(_url(dovecot, "INBOX"), env={})
