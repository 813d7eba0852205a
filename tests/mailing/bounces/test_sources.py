"""Bounce sources on disk: a Maildir and an mbox file holding real bounce messages."""

from __future__ import annotations

import mailbox
import os
from pathlib import Path

import pytest

from digest.errors import ConfigError, InputError
from digest.mailing.bounces import classify_bytes
from digest.mailing.bounces.sources import open_source

EMAILS = Path(__file__).resolve().parents[2] / "data" / "bounces" / "emails"
BOUNCES = {
    "lhost-postfix-10.eml": "kijitora@example.jp",
    "lhost-sendmail-03.eml": "bounce0@example.org",
    "lhost-exim-01.eml": "kijitora@example.ed.jp",
}


def _raw(name: str) -> bytes:
    return (EMAILS / name).read_bytes()


def _recipients(messages: list[tuple[str, bytes]]) -> set[str]:
    return {b.recipient for _, data in messages for b in classify_bytes(data).bounces}


# ------------------------------------------------------------------ Maildir


def _maildir(tmp_path: Path) -> Path:
    path = tmp_path / "Maildir"
    box = mailbox.Maildir(path, create=True)
    for name in BOUNCES:
        box.add(_raw(name))
    box.close()
    return path


def test_maildir_reads_new_messages_once_and_moves_them_to_cur_seen(tmp_path: Path) -> None:
    path = _maildir(tmp_path)
    with open_source(f"maildir://{path}") as source:
        messages = list(source)
        assert _recipients(messages) == set(BOUNCES.values())
        assert all(message_id.startswith("new/") for message_id, _ in messages)
        source.mark_done(messages[0][0])
    assert len(os.listdir(path / "new")) == 2
    [moved] = os.listdir(path / "cur")
    assert moved.endswith(":2,S")
    assert (path / "cur" / moved).read_bytes() == messages[0][1]

    with open_source(f"maildir://{path}") as source:
        again = list(source)
        assert {i for i, _ in again} == {i for i, _ in messages[1:]}
        for message_id, _ in again:
            source.mark_done(message_id)
    with open_source(f"maildir://{path}") as source:
        assert list(source) == []
    done = os.listdir(path / "cur")
    assert len(done) == 3 and all(n.endswith(":2,S") for n in done)
    assert os.listdir(path / "new") == []


def test_maildir_dry_run_reads_without_marking(tmp_path: Path) -> None:
    path = _maildir(tmp_path)
    with open_source(f"maildir://{path}", dry_run=True) as source:
        messages = list(source)
        for message_id, _ in messages:
            source.mark_done(message_id)
    assert len(messages) == 3
    assert len(os.listdir(path / "new")) == 3
    assert os.listdir(path / "cur") == []


def test_maildir_reads_unflagged_cur_messages_and_keeps_their_flags(tmp_path: Path) -> None:
    path = _maildir(tmp_path)
    names = sorted(os.listdir(path / "new"))
    os.rename(path / "new" / names[0], path / "cur" / (names[0] + ":2,F"))
    os.rename(path / "new" / names[1], path / "cur" / (names[1] + ":2,RS"))
    with open_source(f"maildir://{path}") as source:
        ids = [i for i, _ in source]
        assert ids == [f"new/{names[2]}", f"cur/{names[0]}:2,F"]
        source.mark_done(f"cur/{names[0]}:2,F")
    assert (path / "cur" / (names[0] + ":2,FS")).is_file()


def test_maildir_errors_are_one_line(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a Maildir"):
        open_source(f"maildir://{tmp_path}")
    path = _maildir(tmp_path)
    with open_source(f"maildir://{path}") as source:
        message_id, _ = next(iter(source))
        (path / message_id).unlink()
        with pytest.raises(InputError, match="disappeared"):
            source.mark_done(message_id)
        with pytest.raises(InputError, match="not a message id"):
            source.mark_done("../../etc/passwd")


# ------------------------------------------------------------------ mbox


def _mbox(path: Path, names: list[str]) -> None:
    box = mailbox.mbox(path)
    box.lock()
    for name in names:
        box.add(_raw(name))
    box.flush()
    box.unlock()
    box.close()


def test_mbox_remembers_handled_messages_across_runs(tmp_path: Path) -> None:
    path = tmp_path / "bounces.mbox"
    _mbox(path, list(BOUNCES))
    with open_source(f"mbox://{path}") as source:
        messages = list(source)
        assert _recipients(messages) == set(BOUNCES.values())
        source.mark_done(messages[0][0])
        source.mark_done(messages[1][0])
    assert (tmp_path / "bounces.mbox.digest-handled").read_text().split() == [messages[0][0], messages[1][0]]

    _mbox(path, ["arf-01.eml"])  # new mail arrives
    with open_source(f"mbox://{path}") as source:
        pending = list(source)
        assert _recipients(pending) == {BOUNCES["lhost-exim-01.eml"], "redacted@example.net"}
        for message_id, _ in pending:
            source.mark_done(message_id)
    with open_source(f"mbox://{path}") as source:
        assert list(source) == []


def test_mbox_survives_compaction_by_another_program(tmp_path: Path) -> None:
    path = tmp_path / "bounces.mbox"
    _mbox(path, list(BOUNCES))
    with open_source(f"mbox://{path}") as source:
        first_id, _ = next(iter(source))
        source.mark_done(first_id)
    box = mailbox.mbox(path)
    box.lock()
    box.remove(box.keys()[1])  # a mail client deletes one message and rewrites the file
    box.flush()
    box.unlock()
    box.close()
    with open_source(f"mbox://{path}") as source:
        assert _recipients(list(source)) == {BOUNCES["lhost-exim-01.eml"]}


def test_mbox_dry_run_and_custom_state_file(tmp_path: Path) -> None:
    path = tmp_path / "bounces.mbox"
    state = tmp_path / "state" / "handled.txt"
    state.parent.mkdir()
    _mbox(path, list(BOUNCES) + ["lhost-postfix-10.eml"])  # one duplicate
    with open_source(f"mbox://{path}?state={state}", dry_run=True) as source:
        messages = list(source)
        for message_id, _ in messages:
            source.mark_done(message_id)
    assert len(messages) == 3  # identical bytes are one message
    assert not state.exists()
    with open_source(f"mbox://{path}?state={state}") as source:
        for message_id, _ in source:
            source.mark_done(message_id)
    assert len(state.read_text().split()) == 3


def test_mbox_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such mbox file"):
        open_source(f"mbox://{tmp_path / 'missing.mbox'}")
    path = tmp_path / "b.mbox"
    _mbox(path, ["arf-01.eml"])
    with open_source(f"mbox://{path}") as source, pytest.raises(InputError, match="not a message id"):
        source.mark_done("0123")


# ------------------------------------------------------------------ URLs


@pytest.mark.parametrize(
    ("url", "error", "message"),
    [
        ("pop3://user@host/INBOX", InputError, "unknown bounce source"),
        ("maildir:///tmp/x?processed=Done", InputError, "unknown option 'processed'"),
        ("imap://host/INBOX", InputError, "no user"),
        ("imap://user:hunter2@host/INBOX", ConfigError, "DIGEST_IMAP_PASSWORD"),
        ("imaps://user@host/INBOX", ConfigError, "DIGEST_IMAP_PASSWORD is not set"),
        ("imap://user@host:99999/INBOX", InputError, "bad port"),
    ],
)
def test_bad_source_urls_are_clear_errors(url: str, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message) as caught:
        open_source(url, env={})
    assert "hunter2" not in str(caught.value)
