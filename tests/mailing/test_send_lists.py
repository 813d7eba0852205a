"""Subscriber lists: one address on several lists, list-scoped sends, tokens and scheduled jobs.

A real aiosmtpd server, real SQLite files, the real `digest` command where a user would type it.
"""

from __future__ import annotations

import base64
import contextlib
import email
import email.policy
import hashlib
import hmac
import json
import shutil
import sqlite3
import threading
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from tests.support.delivery import ROOT, UNSUBSCRIBE_KEY, check_message, cli, configure
from tests.support.scheduler import write_job

from digest.errors import DatabaseError, InputError
from digest.mailing import editions, sendlog, subscribers
from digest.mailing import send as send_module
from digest.mailing.send import send_digest
from digest.mailing.subscribers import find_by_token
from digest.mailing.tokens import UnsubscribeSigner
from digest.render.email import RenderedEmail
from digest.schedule.jobs import load_job_file
from digest.schedule.runner import run_job
from digest.storage.engine import open_engine
from digest.storage.schema import digests, sends

# the send log, subscribers and archive on an SQLite file, then on PostgreSQL
pytestmark = pytest.mark.usefixtures("database")

DATA = ROOT / "tests" / "data"
MONDAY = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)


def _add(settings, emails: list[str], list_name: str = "default") -> None:  # type: ignore[no-untyped-def]
    engine = open_engine(settings)
    for address in emails:
        subscribers.add(engine, address, list_name=list_name)
    engine.dispose()


def _by_recipient(handler) -> dict[str, list]:  # type: ignore[no-untyped-def]
    found: dict[str, list] = {}
    for m in handler.messages:
        assert len(m.rcpt_tos) == 1
        found.setdefault(m.rcpt_tos[0], []).append(m)
    return found


def _token(msg) -> str:  # type: ignore[no-untyped-def]
    return str(msg["List-Unsubscribe"]).split("token=")[1].split(">")[0]


def test_same_edition_to_two_lists_reaches_each_list_once(monkeypatch: pytest.MonkeyPatch, smtp_server) -> None:  # type: ignore[no-untyped-def]
    host, port, handler = smtp_server
    settings = configure(monkeypatch, f"smtp://{host}:{port}?tls=none")
    _add(settings, ["ann@example.org", "both@example.org"])
    _add(settings, ["vic@example.org", "both@example.org"], "vip")

    first = send_digest(settings, edition="e1")
    assert (first.sent, first.failed, first.list_name) == (2, 0, "default")
    assert "list" not in first.to_json()  # the documented JSON shape for the default list
    vip = send_digest(settings, edition="e1", list_name="VIP")  # list names are case-insensitive
    assert (vip.sent, vip.failed) == (2, 0) and vip.to_json()["list"] == "vip"
    assert vip.digest_id == first.digest_id  # one edition, one frozen rendering, shared

    got = _by_recipient(handler)
    assert Counter({k: len(v) for k, v in got.items()}) == Counter(
        {"ann@example.org": 1, "vic@example.org": 1, "both@example.org": 2}
    )
    engine = open_engine(settings)
    lists_of_both = set()
    for address, received in got.items():
        for m in received:
            msg = check_message(m.raw, address)
            found = find_by_token(engine, settings, _token(msg))  # opaque: only the database knows
            list_name, email = found.list, found.email
            assert email == address
            lists_of_both.add((address, list_name, str(msg["List-Id"])))
    both = sorted(x for x in lists_of_both if x[0] == "both@example.org")
    assert [b[1] for b in both] == ["default", "vip"]
    assert both[0][2] != both[1][2] and "vip." in both[1][2]  # its own List-Id (RFC 2919)
    subjects = {m.message["Subject"] for received in got.values() for m in received}
    assert len(subjects) == 1  # the same edition went to both lists

    # Re-running either list reaches nobody twice; the send log keeps the lists apart.
    assert send_digest(settings, edition="e1").sent == 0
    again = send_digest(settings, edition="e1", list_name="vip")
    assert (again.sent, again.skipped) == (0, 2)
    assert handler.count() == 4
    engine = open_engine(settings)
    assert sendlog.counts(engine, first.digest_id).sent == 2  # type: ignore[arg-type]
    assert sendlog.counts(engine, first.digest_id, "vip").sent == 2  # type: ignore[arg-type]
    assert sendlog.counts(engine, first.digest_id, None).sent == 4  # type: ignore[arg-type]
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(digests)).scalar_one() == 1
        assert conn.execute(select(func.count()).select_from(sends)).scalar_one() == 4
    engine.dispose()


def test_unsubscribe_token_leaves_only_its_list(monkeypatch: pytest.MonkeyPatch, smtp_server) -> None:  # type: ignore[no-untyped-def]
    host, port, handler = smtp_server
    settings = configure(monkeypatch, f"smtp://{host}:{port}?tls=none")
    _add(settings, ["both@example.org"])
    _add(settings, ["both@example.org"], "vip")
    send_digest(settings, edition="e1", list_name="vip")
    token = _token(check_message(handler.messages[0].raw, "both@example.org"))

    wrong = cli("subscribers", "unsubscribe", token, "--list", "default")
    assert wrong.returncode == 1 and "issued for list 'vip'" in wrong.stderr
    done = cli("subscribers", "unsubscribe", token, "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert (data["changed"], data["list"], data["status"]) == (True, "vip", "unsubscribed")
    engine = open_engine(settings)
    assert subscribers.get(engine, "both@example.org", "vip").active is False  # type: ignore[union-attr]
    assert subscribers.get(engine, "both@example.org").active is True  # type: ignore[union-attr]
    engine.dispose()
    assert send_digest(settings, edition="e2", list_name="vip").sent == 0  # never mailed again
    assert send_digest(settings, edition="e2").sent == 1  # the default list still is

    # A token made before lists (address and MAC only) means the default list.
    mac = hmac.new(UNSUBSCRIBE_KEY.encode(), b"unsubscribe:both@example.org", hashlib.sha256).digest()[:16]

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    legacy = f"{b64(b'both@example.org')}.{b64(mac)}"
    assert UnsubscribeSigner(UNSUBSCRIBE_KEY).verify_target(legacy) == ("default", "both@example.org")
    engine = open_engine(settings)
    sub, changed = subscribers.unsubscribe(engine, settings, legacy)
    assert changed and sub.list == "default" and not sub.active
    # A version 1 token whose list was altered is refused, and so is an altered opaque one.
    head, list_part, tail = UnsubscribeSigner(UNSUBSCRIBE_KEY).token("both@example.org", "vip").split(".")
    with pytest.raises(InputError, match="signature does not match"):
        subscribers.unsubscribe(engine, settings, f"{head}.{b64(b'default')}.{tail}")
    altered = token[:-1] + ("a" if token[-1] != "a" else "b")
    with pytest.raises(InputError, match="signature does not match"):
        subscribers.unsubscribe(engine, settings, altered)
    engine.dispose()


def test_subscribers_commands_take_a_list(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = configure(monkeypatch, "outbox://outbox")
    csv_file = tmp_path / "vip.csv"
    csv_file.write_text("email,name\nvic@example.org,Vic\nbad@@x\nann@example.org,Ann\n", encoding="utf-8")
    imported = json.loads(cli("subscribers", "import", str(csv_file), "--list", "vip", "--json").stdout)
    assert (imported["added"], [r["line"] for r in imported["invalid"]]) == (2, [3])
    assert cli("subscribers", "add", "ann@example.org").returncode == 0  # default list: a separate entry
    listed = json.loads(cli("subscribers", "list", "--list", "vip", "--json").stdout)
    assert {(s["email"], s["list"]) for s in listed} == {("vic@example.org", "vip"), ("ann@example.org", "vip")}
    everyone = json.loads(cli("subscribers", "list", "--all-lists", "--json").stdout)
    assert len(everyone) == 3
    lists = json.loads(cli("subscribers", "lists", "--json").stdout)
    assert lists == [{"list": "default", "active": 1, "total": 1}, {"list": "vip", "active": 2, "total": 2}]

    sent = cli("send", "--now", "--list", "vip", "--json")
    assert sent.returncode == 0, sent.stderr
    assert {k: v for k, v in json.loads(sent.stdout).items() if k != "backend"} == {
        "digest_id": 1,
        "sent": 2,
        "failed": 0,
        "skipped": 0,
        "list": "vip",
    }
    outbox = sorted((tmp_path / "data" / "outbox" / "new").glob("*.eml"))
    recipients = []
    engine = open_engine(settings)
    for path in outbox:
        raw = path.read_bytes()
        to = email.message_from_bytes(raw, policy=email.policy.default)["To"].addresses[0].addr_spec
        msg = check_message(raw, to)
        found = find_by_token(engine, settings, _token(msg))
        assert (found.list, found.email) == ("vip", to)
        recipients.append(to)
    assert sorted(recipients) == ["ann@example.org", "vic@example.org"]
    engine.dispose()

    removed = cli("subscribers", "remove", "vic@example.org", "--list", "vip", "--json")
    assert json.loads(removed.stdout) == {"removed": "vic@example.org", "list": "vip"}
    missing = cli("subscribers", "remove", "vic@example.org", "--list", "vip")
    assert missing.returncode == 1
    assert missing.stderr.strip() == "error: vic@example.org: not a subscriber of list 'vip'"
    bad = cli("subscribers", "add", "x@example.org", "--list", "no/such")
    assert bad.returncode == 1 and len(bad.stderr.strip().splitlines()) == 1 and "list name" in bad.stderr
    empty = cli("send", "--now", "--list", "nobody")
    assert empty.returncode == 0 and "No active subscribers on list nobody" in empty.stdout


def test_scheduled_job_sends_to_its_list_exactly_once(  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch, smtp_server, tmp_path: Path
) -> None:
    """recipients = "vip" is a real, logged send; "new" is per list, so two jobs with the same
    sources both carry the stories, and each list's second fire has nothing new."""
    host, port, handler = smtp_server
    settings = configure(monkeypatch, f"smtp://{host}:{port}?tls=none")
    _add(settings, ["ann@example.org", "ben@example.org"])
    _add(settings, ["vic@example.org"], "vip")
    articles = tmp_path / "articles"
    articles.mkdir()
    shutil.copy(DATA / "qonversations-xi-blinken.txt", articles)
    jobs = tmp_path / "jobs"
    daily = load_job_file(write_job(jobs, "daily", f'job = "digest"\ncron = "0 7 * * *"\nsources = ["{articles}"]\n'))
    vip = load_job_file(
        write_job(jobs, "vip", f'job = "digest"\ncron = "0 7 * * *"\nsources = ["{articles}"]\nrecipients = "vip"\n')
    )
    assert vip.recipients == "vip"

    assert run_job(daily, settings, fire_time=MONDAY).sent == 2
    first = run_job(vip, settings, fire_time=MONDAY)
    assert (first.status, first.sent, first.details["list"]) == ("sent", 1, "vip"), first.reason
    assert sorted(_by_recipient(handler)) == ["ann@example.org", "ben@example.org", "vic@example.org"]
    assert "Blinken" in handler.messages[-1].message.get_body(("plain",)).get_content()

    again = run_job(vip, settings, fire_time=MONDAY)  # a catch-up of the same fire
    assert (again.status, again.sent) == ("duplicate", 0)
    later = run_job(vip, settings, fire_time=datetime(2026, 3, 3, 7, tzinfo=UTC))
    assert later.status == "skipped"  # nothing new for this list
    assert handler.count() == 3


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)  # an SQLite file as early 0.1.0 made it
def test_an_old_database_is_upgraded_to_lists(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    settings = configure(monkeypatch, "memory://")
    data = tmp_path / "data"
    data.mkdir()
    db = sqlite3.connect(data / "digest.sqlite3")
    db.execute(
        "CREATE TABLE subscribers (id INTEGER PRIMARY KEY, email VARCHAR(320) NOT NULL UNIQUE, name VARCHAR(256), "
        "active BOOLEAN NOT NULL, created_at DATETIME NOT NULL, unsubscribed_at DATETIME)"
    )
    db.execute("INSERT INTO subscribers VALUES (1, 'old@example.org', 'Old', 1, '2025-01-01 00:00:00', NULL)")
    db.commit()
    db.close()
    with pytest.raises(DatabaseError, match="digest db upgrade"):
        open_engine(settings)
    upgrade = cli("db", "upgrade")
    assert upgrade.returncode == 0, upgrade.stderr
    engine = open_engine(settings)
    old = subscribers.get(engine, "old@example.org")
    assert old is not None and old.list == "default" and old.active
    assert subscribers.add(engine, "new@example.org", list_name="vip").outcome == "added"
    # the upgrade rebuilt the table: the old one-list-per-address uniqueness is gone
    assert subscribers.add(engine, "old@example.org", list_name="vip").outcome == "added"
    engine.dispose()
    open_engine(settings).dispose()  # opening again is a no-op
    assert send_digest(settings).sent == 1


def _story(folder: Path, name: str, title: str, sentences: list[str]) -> None:
    data = {"title": title, "url": f"https://news.example.com/{name}", "text": " ".join(sentences)}
    (folder / f"{name}.json").write_text(json.dumps(data), encoding="utf-8")


def test_two_lists_sending_a_new_edition_at_once_share_one_rendering(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two scheduled jobs (one per list) fire together on an edition nobody has built yet. Their
    lists have seen different stories, so their own builds differ; the edition is one frozen
    rendering all the same, and neither run may fail on the shared row."""
    articles = tmp_path / "articles"
    articles.mkdir()
    cfg = tmp_path / "digest.toml"
    cfg.write_text(f'[[sources]]\ntype = "path"\npath = "{articles}"\n', encoding="utf-8")
    outbox = tmp_path / "outbox"
    configure(monkeypatch, f"outbox://{outbox}", DIGEST_CONFIG=str(cfg))
    from digest.config import load_settings

    settings = load_settings(cfg)
    _add(settings, ["ann@example.org"])
    _add(settings, ["vic@example.org"], "vip")
    _story(articles, "bridge", "Bridge reopens", [
        "The old river bridge reopened to traffic on Monday after two years of repairs.",
        "Engineers replaced the steel deck and strengthened the piers against floods.",
        "Local shops said they expected more customers from across the river.",
    ])  # fmt: skip
    assert send_digest(settings, edition="e1", only_new=True).sent == 1  # the default list saw it
    _story(articles, "library", "Library expands", [
        "The city library opened a new wing for children and teenagers this week.",
        "The expansion adds study rooms, a maker space and three thousand new books.",
        "Librarians said visits had doubled since the pandemic ended.",
    ])  # fmt: skip

    # The worst interleaving, made certain: both runs build before either stores its rendering
    # (where builds are serialized, the first one waits out the timeout and goes on alone).
    built = threading.Barrier(2)
    rendering = send_module.prepare_edition

    def rendering_then_wait(*args, **kwargs):  # type: ignore[no-untyped-def]
        edition = rendering(*args, **kwargs)
        with contextlib.suppress(threading.BrokenBarrierError):
            built.wait(timeout=3)
        return edition

    monkeypatch.setattr(send_module, "prepare_edition", rendering_then_wait)
    reports: dict[str, object] = {}

    def send(list_name: str) -> None:
        try:
            reports[list_name] = send_digest(settings, edition="e2", only_new=True, list_name=list_name)
        except Exception as exc:  # noqa: BLE001 - the assertion below shows it
            reports[list_name] = exc

    threads = [threading.Thread(target=send, args=(name,)) for name in ("default", "vip")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert all(not isinstance(r, Exception) for r in reports.values()), reports
    assert [(r.sent, r.failed) for r in reports.values()] == [(1, 0), (1, 0)]  # type: ignore[attr-defined]
    assert reports["default"].digest_id == reports["vip"].digest_id  # type: ignore[attr-defined]

    engine = open_engine(settings)
    frozen = editions.find_digest(engine, "e2")[1]  # type: ignore[index]
    engine.dispose()
    assert frozen is not None
    sent = sorted((outbox / "new").iterdir(), key=lambda p: p.stat().st_mtime_ns)[1:]  # e2's two messages
    assert len(sent) == 2
    for path in sent:  # each is the frozen edition, personalized for its reader
        msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        url = str(msg["List-Unsubscribe"]).split("<")[1].split(">")[0]
        html = msg.get_body(("html",)).get_content()
        assert html.replace("\r\n", "\n").strip() == frozen.personalize(url, None)[0].replace("\r\n", "\n").strip()


def test_an_edition_frozen_by_another_machine_meanwhile_stands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A shared database, no shared lock folder: the other run's insert commits while ours waits
    to insert. Ours must not fail; the first rendering stands and is what we get back."""
    settings = configure(monkeypatch, f"outbox://{tmp_path / 'outbox'}")
    ours = RenderedEmail(subject="S", html="<p>ours</p>", text="ours")
    other = open_engine(settings)
    mine = open_engine(settings)
    conn = other.connect()
    trans = conn.begin()
    conn.execute(
        digests.insert().values(
            edition="e9", title="T", created_at=datetime.now(UTC), subject="S", html="<p>theirs</p>", text="theirs"
        )
    )
    result: list[object] = []
    worker = threading.Thread(target=lambda: result.append(editions.save_digest(mine, "e9", "T", ours)))
    worker.start()
    worker.join(0.5)
    assert worker.is_alive()  # waiting on the other run's write
    trans.commit()
    conn.close()
    worker.join(30)
    found = editions.find_digest(mine, "e9")
    assert found is not None and result == [found[0]]
    assert found[1] is not None and found[1].html == "<p>theirs</p>"
    other.dispose()
    mine.dispose()
