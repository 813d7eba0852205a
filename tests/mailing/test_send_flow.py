"""`digest send` and `digest subscribers` as a user runs them: outbox default, re-runs, test copies."""

from __future__ import annotations

import json
import mailbox
import re
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select
from tests.support.delivery import ROOT, check_all, check_message, cli, configure, seed
from tests.support.smtp import FaultyHandler, raws, start_smtp

from digest.deliver.memory import MemoryBackend
from digest.mailing.send import SendReport, send_digest
from digest.mailing.subscribers import add, unsubscribe
from digest.storage.engine import open_engine
from digest.storage.schema import digests, sends

# the send log, subscribers and archive on an SQLite file, then on PostgreSQL
pytestmark = pytest.mark.usefixtures("database")


@pytest.fixture(autouse=True)
def _empty_memory_outbox() -> None:
    MemoryBackend.clear()


def _sent() -> list[tuple[list[str], bytes]]:
    return [([m.recipient], m.data) for m in MemoryBackend.outbox]


def test_readme_first_commands_deliver_to_the_outbox(tmp_path: Path) -> None:
    imported = cli("subscribers", "import", "examples/subscribers.csv")
    assert imported.returncode == 0, imported.stderr
    assert "4 added" in imported.stdout
    result = cli("send", "--now")
    assert result.returncode == 0, result.stderr
    last = result.stdout.strip().splitlines()[-1]
    assert last.startswith("Messages are in ")
    folder = Path(last.removeprefix("Messages are in "))
    assert folder.name == "new" and folder.parent.parent.name == "data"  # under DIGEST_DATA_DIR
    assert "generated a signing key" in result.stderr  # the embedded default works, with a warning
    files = sorted(folder.glob("*.eml"))
    assert len(files) == 4 and list((folder.parent / "tmp").iterdir()) == []
    key = (folder.parent.parent / "unsubscribe.key").read_text().strip()
    wanted = [line.split(",")[0] for line in (ROOT / "examples/subscribers.csv").read_text().splitlines()[1:]]
    got = []
    for path in files:
        raw = path.read_bytes()
        msg = check_message(raw, re.search(rb"^To: .*?<?([\w.]+@[\w.]+)>?\r$", raw, re.M).group(1).decode(), key=key)
        got.append(msg["To"].addresses[0].addr_spec)
    assert sorted(got) == sorted(wanted)
    assert len(mailbox.Maildir(folder.parent, create=False)) == 4  # a real Maildir


def test_rerun_sends_only_to_those_not_reached(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = configure(monkeypatch, "memory://")
    first = seed(settings, 5)
    report = send_digest(settings)
    assert (report.sent, report.skipped) == (5, 0)
    engine = open_engine(settings)
    later = [f"late{i}@example.net" for i in range(3)]
    for address in later:
        add(engine, address)
    unsubscribe(engine, settings, later[0])
    MemoryBackend.clear()
    again = send_digest(settings)
    assert (again.sent, again.failed, again.skipped) == (2, 0, 5)
    check_all(_sent(), later[1:])  # the unsubscribed newcomer is never mailed
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(digests)).scalar_one() == 1
        assert conn.execute(select(digests.c.sent_at)).scalar_one() is not None
    assert set(first).isdisjoint(m.recipient for m in MemoryBackend.outbox)


def test_an_edition_is_frozen_once_sending_started(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    settings = configure(monkeypatch, "memory://")
    seed(settings, 2)
    send_digest(settings, edition="morning")
    subject = MemoryBackend.outbox[0].data.split(b"Subject: ")[1].split(b"\r\n")[0]
    monkeypatch.setenv("DIGEST_DIGEST__TITLE", "A Different Title")
    changed = configure(monkeypatch, "memory://")
    add(open_engine(changed), "new@example.net")
    MemoryBackend.clear()
    send_digest(changed, edition="morning")
    assert MemoryBackend.outbox[0].data.split(b"Subject: ")[1].split(b"\r\n")[0] == subject
    MemoryBackend.clear()
    send_digest(changed, edition="evening")  # a new edition is built afresh
    assert b"A Different Title" in MemoryBackend.outbox[0].data


def test_test_copies_are_marked_and_not_logged(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = configure(monkeypatch, "memory://")
    seed(settings, 3)
    report = send_digest(settings, to=["Editor@Example.net", "proof@example.com"])
    assert (report.sent, report.failed, report.skipped) == (2, 0, 0)
    check_all(_sent(), ["editor@example.net", "proof@example.com"], test=True)
    engine = open_engine(settings)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(sends)).scalar_one() == 0
    MemoryBackend.clear()
    real = send_digest(settings)
    assert real.sent == 3 and all(b"[TEST]" not in m.data for m in MemoryBackend.outbox)


def test_dry_run_builds_everything_and_sends_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = configure(monkeypatch, "outbox://outbox")
    seed(settings, 7)
    result = cli("send", "--dry-run", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "digest_id": None,
        "sent": 0,
        "failed": 0,
        "skipped": 0,
        "backend": "outbox://outbox",
        "dry_run": True,
        "would_send": 7,
    }
    assert not (settings.data_dir / "outbox").exists()
    engine = open_engine(settings)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(sends)).scalar_one() == 0


def test_subscribers_commands(tmp_path: Path) -> None:
    csv_file = tmp_path / "list.csv"
    csv_file.write_text(
        "Name,Email\nAnn,ann@example.org\nBad,not-an-address\n,\nBen,BEN@Example.ORG\nAnn again,ann@example.org\n"
        'Eve,"eve@example.org"\nMal,mal@@example.org\n',
        encoding="utf-8",
    )
    result = cli("subscribers", "import", str(csv_file), "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert (data["added"], data["updated"], data["unchanged"]) == (3, 0, 0)
    assert [(r["line"], r["value"]) for r in data["invalid"]] == [(3, "not-an-address"), (8, "mal@@example.org")]
    human = cli("subscribers", "import", str(csv_file))
    assert f"{csv_file}: line 3: " in human.stderr and f"{csv_file}: line 8: " in human.stderr
    assert cli("subscribers", "add", "zed@example.org", "--name", "Zed").returncode == 0
    assert cli("subscribers", "unsubscribe", "ben@example.org").returncode == 0
    again = cli("subscribers", "add", "ben@example.org")
    assert "stays unsubscribed" in again.stdout
    listed = json.loads(cli("subscribers", "list", "--json").stdout)
    assert {(s["email"], s["name"], s["status"]) for s in listed} == {
        ("ann@example.org", "Ann again", "active"),
        ("ben@example.org", "Ben", "unsubscribed"),
        ("eve@example.org", "Eve", "active"),
        ("zed@example.org", "Zed", "active"),
    }
    assert cli("subscribers", "remove", "eve@example.org").returncode == 0
    missing = cli("subscribers", "remove", "eve@example.org")
    assert missing.returncode == 1 and missing.stderr.strip() == "error: eve@example.org: not a subscriber"
    bad = cli("subscribers", "add", "bad@@example.org")
    assert bad.returncode == 1 and len(bad.stderr.strip().splitlines()) == 1
    nofile = cli("subscribers", "import", str(tmp_path / "nope.csv"))
    assert nofile.returncode == 1 and "file not found" in nofile.stderr


def test_console_backend_prints_messages_and_refuses_to_mix_with_json(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = configure(monkeypatch, "console://")
    seed(settings, 2)
    result = cli("send", "--now")
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("List-Unsubscribe-Post: List-Unsubscribe=One-Click") == 2
    clash = cli("send", "--now", "--json", "--edition", "x")
    assert clash.returncode == 2 and "--json" in clash.stderr


def test_nothing_to_send_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    config = tmp_path / "digest.toml"
    config.write_text(f'[[sources]]\ntype = "path"\npath = "{empty}"\n', encoding="utf-8")
    configure(monkeypatch, "memory://")
    result = cli("--config", str(config), "subscribers", "add", "a@example.org")
    assert result.returncode == 0
    result = cli("--config", str(config), "send", "--now")
    assert result.returncode == 1 and "nothing to send" in result.stderr
    assert len(result.stderr.strip().splitlines()) <= 2  # the skipped source may be reported first


def test_two_senders_of_one_edition_share_its_recipients(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two `send_digest` runs of the same edition at once split the list between them (claims on
    the send log): each recipient once, one digests row, and both did part of the work."""
    handler = FaultyHandler(slow_data=0.01)
    controller, _ = start_smtp(handler)
    try:
        settings = configure(monkeypatch, f"smtp://127.0.0.1:{controller.port}?tls=none")
        emails = seed(settings, 160)
        reports: list[SendReport] = []
        errors: list[BaseException] = []

        def sender() -> None:
            try:
                reports.append(send_digest(settings, edition="shared"))
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        threads = [threading.Thread(target=sender) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert not errors, errors
        check_all(raws(handler), emails)
        assert sorted(r.sent for r in reports) == sorted(r.sent for r in reports if r.sent > 0), reports
        assert sum(r.sent for r in reports) == 160
        assert len({r.digest_id for r in reports}) == 1
        engine = open_engine(settings)
        with engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(digests)).scalar_one() == 1
            rows = conn.execute(select(sends.c.status, sends.c.claimed_by)).all()
        engine.dispose()
        assert {r.status for r in rows} == {"sent"} and len(rows) == 160
        assert len({r.claimed_by for r in rows}) == 2, "both senders took part"
    finally:
        controller.stop()
