"""`digest bounces classify` and `digest bounces process`, run as the real command on real
bounce messages (tests/data/bounces) rewritten to name this test's subscribers."""

from __future__ import annotations

import json
import mailbox
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select
from tests.support.bounce_mail import COMPLAINT, EMAILS, HARD, SOFT, bounce_for, plain_message
from tests.support.delivery import cli, configure, seed
from tests.support.paths import ROOT

from digest.mailing import subscribers
from digest.mailing.bounce_processing import process_source, source_url
from digest.storage.engine import open_engine
from digest.storage.schema import bounce_events


def _statuses(settings, address: str) -> set[str]:  # type: ignore[no-untyped-def]
    engine = open_engine(settings)
    try:
        return {s.status for s in subscribers.get_all(engine, address)}
    finally:
        engine.dispose()


def _maildir(path: Path, messages: list[bytes]) -> Path:
    box = mailbox.Maildir(path, create=True)
    for raw in messages:
        box.add(raw)
    box.close()
    return path


def test_classify_prints_each_file_and_goes_on_past_an_unreadable_one(tmp_path: Path) -> None:
    plain = tmp_path / "reply.eml"
    plain.write_bytes(plain_message())
    binary = tmp_path / "binary.eml"
    binary.write_bytes(b"\x00\x01\x02 not mail")
    files = [str(EMAILS / HARD), str(tmp_path / "missing.eml"), str(plain), str(binary), str(EMAILS / COMPLAINT)]
    result = cli("bounces", "classify", *files, "--json")
    assert result.returncode == 1, result.stderr
    out = json.loads(result.stdout)
    assert [r["file"] for r in out] == files
    assert out[0] == {
        "file": files[0],
        "bounces": [
            {"recipient": "userunknown@libsisimai.org", "kind": "hard", "reason": "userunknown", "status": "5.1.1"}
        ],
    }
    assert set(out[1]) == {"file", "error"} and "cannot read" in out[1]["error"]
    assert out[2] == {"file": files[2], "bounces": []}
    assert set(out[3]) == {"file", "error"} and "not an email message" in out[3]["error"]
    assert out[4]["bounces"] == [
        {"recipient": "redacted@example.net", "kind": "complaint", "reason": "feedback", "status": None}
    ]

    text = cli("bounces", "classify", files[0], files[2])
    assert text.returncode == 0, text.stderr
    assert text.stdout.splitlines() == [
        f"{files[0]}: userunknown@libsisimai.org hard userunknown 5.1.1",
        f"{files[2]}: not a bounce",
    ]


def test_process_a_maildir_dry_run_then_for_real_then_nothing_new(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    settings = configure(monkeypatch, "memory://")
    readers = seed(settings, 4)
    engine = open_engine(settings)
    subscribers.add(engine, readers[0], list_name="vip")  # suppressed on every list
    engine.dispose()
    box = _maildir(
        tmp_path / "Maildir",
        [
            bounce_for(HARD, readers[0]),
            bounce_for(COMPLAINT, readers[1]),
            bounce_for(SOFT, readers[2]),
            bounce_for(HARD, "stranger@example.net"),
            plain_message(),
        ],
    )
    url = f"maildir://{box}"
    dry = cli("bounces", "process", url, "--dry-run", "--json")
    assert dry.returncode == 0, dry.stderr
    assert json.loads(dry.stdout)["suppressed"] == [readers[0], readers[1]]
    assert len(os.listdir(box / "new")) == 5 and _statuses(settings, readers[0]) == {"active"}

    done = cli("bounces", "process", url, "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "processed": 5,
        "hard": 1,
        "soft": 1,
        "complaints": 1,
        "not_bounces": 1,
        "unmatched": 1,
        "suppressed": [readers[0], readers[1]],
    }
    assert _statuses(settings, readers[0]) == {"bounced"}  # default and vip
    assert _statuses(settings, readers[1]) == {"complained"}
    assert _statuses(settings, readers[2]) == {"active"}  # one soft bounce of three
    assert os.listdir(box / "new") == [] and all(n.endswith(":2,S") for n in os.listdir(box / "cur"))

    again = cli("bounces", "process", url)
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith("Processed 0 message(s)")


def test_a_message_read_twice_is_not_counted_twice(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The marking was lost (a kill between recording and marking): the next run finds the
    events already recorded and only marks the messages."""
    settings = configure(monkeypatch, "memory://", DIGEST_BOUNCES__SOFT_LIMIT="2")
    readers = seed(settings, 1)
    box = _maildir(tmp_path / "Maildir", [bounce_for(SOFT, readers[0])])
    first = process_source(settings, f"maildir://{box}")
    assert (first.soft, first.suppressed) == (1, [])
    for name in os.listdir(box / "cur"):  # undo the marking
        os.rename(box / "cur" / name, box / "new" / name.partition(":")[0])
    second = process_source(settings, f"maildir://{box}")
    assert (second.processed, second.soft, second.suppressed) == (1, 0, [])
    engine = open_engine(settings)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(bounce_events)).scalar_one() == 1
    engine.dispose()
    assert _statuses(settings, readers[0]) == {"active"} and os.listdir(box / "new") == []


def test_soft_bounces_from_an_mbox_add_up_to_bounced(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    settings = configure(monkeypatch, "memory://")  # soft_limit 3 within 14 days
    readers = seed(settings, 2)
    path = tmp_path / "bounces.mbox"
    box = mailbox.mbox(path)
    for i in range(3):  # three different messages (the mbox source knows a message by its digest)
        box.add(f"X-Sequence: {i}\n".encode() + bounce_for(SOFT, readers[1]))
    box.flush()
    box.close()
    report = process_source(settings, f"mbox://{path}")
    assert (report.processed, report.soft, report.suppressed) == (3, 3, [readers[1]])
    assert _statuses(settings, readers[1]) == {"bounced"} and _statuses(settings, readers[0]) == {"active"}


def test_imap_sources_get_the_processed_folder_from_the_config(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = configure(monkeypatch, "memory://", DIGEST_BOUNCES__PROCESSED_FOLDER="Done")
    assert source_url(settings, "imap://u@127.0.0.1/INBOX") == "imap://u@127.0.0.1/INBOX?processed=Done"
    assert source_url(settings, "imaps://u@h/X?processed=Mine") == "imaps://u@h/X?processed=Mine"
    assert source_url(settings, "imaps://u@h/X?keyword=K") == "imaps://u@h/X?keyword=K&processed=Done"
    assert source_url(settings, "maildir:///m") == "maildir:///m"


def test_a_bad_source_is_one_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    configure(monkeypatch, "memory://")
    result = cli("bounces", "process", f"maildir://{tmp_path}")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [f"error: {tmp_path}: not a Maildir (no new/ directory)"]
    assert cli("bounces", "process", "pop3://x@y/INBOX").returncode == 1


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_processing_within_seconds_and_keeps_what_is_done(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, signum: int
) -> None:
    settings = configure(monkeypatch, "memory://")
    readers = seed(settings, 3)
    messages = [bounce_for(HARD, readers[0]), bounce_for(COMPLAINT, readers[1])]
    messages += [bounce_for(SOFT, f"gone{i}@example.net") for i in range(4000)]
    box = tmp_path / "Maildir"
    maildir = mailbox.Maildir(box, create=True)
    keys = [maildir.add(raw) for raw in messages]
    maildir.close()
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "digest", "bounces", "process", f"maildir://{box}", "--json"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while len(os.listdir(box / "cur")) < 20 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        proc.send_signal(signum)
        sent_at = time.monotonic()
        out, err = proc.communicate(timeout=10)
        took = time.monotonic() - sent_at
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert took < 5, took
    assert proc.returncode == 128 + signum, err
    assert f"error: stopped by {signal.Signals(signum).name}" in err and "read by the next" in err
    report = json.loads(out)
    assert report["cancelled"] is True and 20 <= report["processed"] < len(messages)
    done = {name.split(":")[0] for name in os.listdir(box / "cur")}
    handled = len(done)
    assert handled == report["processed"] and len(os.listdir(box / "new")) == len(messages) - handled
    # What was handled before the signal is kept. Maildir names do not sort in the order the
    # messages were added (microseconds are not zero-padded): look up whether these two were.
    for reader, key, status in ((readers[0], keys[0], "bounced"), (readers[1], keys[1], "complained")):
        assert _statuses(settings, reader) == ({status} if key in done else {"active"})
    rest = process_source(settings, f"maildir://{box}")  # the next run reads the rest
    assert rest.processed == len(messages) - handled and os.listdir(box / "new") == []
    assert _statuses(settings, readers[0]) == {"bounced"} and _statuses(settings, readers[1]) == {"complained"}
