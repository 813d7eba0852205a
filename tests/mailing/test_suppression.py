"""Bounces and complaints applied to subscribers; what the sends record so a bounce can be
attributed (VERP envelope sender, Message-ID); the send-side faults found through a real Postfix."""

from __future__ import annotations

import email
import email.policy
import json
import time

import pytest
from sqlalchemy import select
from tests.support.delivery import UNSUBSCRIBE_KEY, cli, configure, seed
from tests.support.smtp import FaultyHandler, RecordingHandler, start_smtp

from digest.config import with_overrides
from digest.deliver.smtp_options import default_helo
from digest.errors import ConfigError
from digest.mailing import subscribers
from digest.mailing.message import Envelope, MessageFactory
from digest.mailing.send import send_digest
from digest.mailing.suppression import Incoming, apply, attribute, reactivate
from digest.mailing.tokens import UnsubscribeSigner
from digest.render.email import RenderedEmail
from digest.storage.engine import open_engine
from digest.storage.schema import bounce_events, sends

RETURN_PATH = "bounces+{token}@news.example.org"


def test_list_id_phrase_is_quoted_when_it_holds_specials(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = with_overrides(configure(monkeypatch, "memory://"), "digest", title="News: Morning, Edition")
    env = Envelope.from_settings(settings)
    assert env.list_id == '"News: Morning, Edition" <news-morning-edition.example.com>'
    assert env.for_list("vip").list_id == '"News: Morning, Edition (vip)" <vip.news-morning-edition.example.com>'
    rendered = RenderedEmail(subject="S", html="<p>x</p>", text="x")
    raw = MessageFactory(settings, rendered, UnsubscribeSigner(UNSUBSCRIBE_KEY)).build("a@example.org").data
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert str(parsed["List-Id"]) == '"News: Morning, Edition" <news-morning-edition.example.com>'
    plain = with_overrides(settings, "digest", title="Morning Brief")
    assert Envelope.from_settings(plain).list_id == "Morning Brief <morning-brief.example.com>"


def test_helo_is_a_fully_qualified_name() -> None:
    name = default_helo("digest@news.example.org")
    assert "." in name and name not in ("localhost", "localhost.localdomain")


def test_return_path_is_checked_at_load(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = configure(monkeypatch, "memory://", DIGEST_DELIVERY__RETURN_PATH="bounces@example.org")
    with pytest.raises(ConfigError, match=r"\[delivery\] return_path: expected an address with one \{token\}"):
        Envelope.from_settings(settings)


def _delivered(handler: RecordingHandler) -> list[tuple[str, str, str]]:
    out = []
    for m in handler.messages:
        parsed = email.message_from_bytes(m.raw, policy=email.policy.default)
        out.append((m.mail_from, m.rcpt_tos[0], str(parsed["Message-ID"])))
    return out


@pytest.fixture
def verp_send(monkeypatch: pytest.MonkeyPatch, database):  # type: ignore[no-untyped-def]
    controller, handler = start_smtp()
    settings = configure(
        monkeypatch, f"smtp://127.0.0.1:{controller.port}?tls=none", DIGEST_DELIVERY__RETURN_PATH=RETURN_PATH
    )
    readers = seed(settings, 4)
    try:
        report = send_digest(settings)
        assert report.sent == 4
        yield settings, handler, readers
    finally:
        controller.stop()


def test_each_message_has_its_own_envelope_sender_and_the_log_keeps_it(verp_send) -> None:  # type: ignore[no-untyped-def]
    settings, handler, readers = verp_send
    delivered = _delivered(handler)
    senders = [d[0] for d in delivered]
    assert len(set(senders)) == 4 and all(s.startswith("bounces+") and s.endswith("@news.example.org") for s in senders)
    assert not any(r.split("@")[0] in s for s, r, _ in delivered)  # the address is not in the token
    engine = open_engine(settings)
    with engine.connect() as conn:
        logged = {
            (r.message_id, r.bounce_token) for r in conn.execute(select(sends.c.message_id, sends.c.bounce_token))
        }
    engine.dispose()
    assert {(mid, s.split("+")[1].split("@")[0]) for s, _, mid in delivered} == logged


def test_a_bounce_is_found_by_verp_token_then_message_id_then_address(verp_send) -> None:  # type: ignore[no-untyped-def]
    settings, handler, readers = verp_send
    engine = open_engine(settings)
    (sender, who, message_id), *_ = _delivered(handler)
    hidden = Incoming(recipient=None, kind="hard", envelope_to=(sender.upper(),))  # rewritten and hidden
    assert attribute(engine, settings, hidden) == (who, 1)
    by_id = Incoming(recipient="someone-else@elsewhere.example", kind="hard", message_id=message_id.strip("<>"))
    assert attribute(engine, settings, by_id) == (who, 1)
    assert attribute(engine, settings, Incoming(recipient=readers[2].upper(), kind="soft")) == (readers[2], None)
    assert attribute(engine, settings, Incoming(recipient="stranger@example.net", kind="hard")) is None
    forged = Incoming(recipient=None, kind="hard", envelope_to=("bounces+aaaaaaaaaaaaaaaa@news.example.org",))
    assert attribute(engine, settings, forged) is None
    engine.dispose()


@pytest.mark.usefixtures("database")
def test_policy_hard_soft_complaint_and_reactivate(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = configure(monkeypatch, "memory://", DIGEST_BOUNCES__SOFT_LIMIT="3")
    engine = open_engine(settings)
    for list_name in ("default", "vip"):
        for address in ("hard@example.org", "soft@example.org", "spam@example.org", "fine@example.org"):
            subscribers.add(engine, address, list_name=list_name)
    found = [
        Incoming("hard@example.org", "hard", "userunknown", "5.1.1", source="m1"),
        Incoming("soft@example.org", "soft", "mailboxfull", "4.2.2", source="m2"),
        Incoming("soft@example.org", "soft", "mailboxfull", "4.2.2", source="m3"),
        Incoming("spam@example.org", "complaint", "feedback", None, source="m4"),
        Incoming("nobody@example.org", "hard", "userunknown", "5.1.1", source="m5"),
    ]
    preview = apply(engine, settings, found, dry_run=True)
    assert preview.suppressed == ["hard@example.org", "spam@example.org"]
    assert all(s.status == "active" for s in subscribers.get_all(engine, "hard@example.org"))  # dry run: nothing
    report = apply(engine, settings, found)
    assert report.to_json() == {
        "processed": 0,
        "hard": 1,
        "soft": 2,
        "complaints": 1,
        "not_bounces": 0,
        "unmatched": 1,
        "suppressed": ["hard@example.org", "spam@example.org"],
    }
    assert {s.status for s in subscribers.get_all(engine, "hard@example.org")} == {"bounced"}
    assert {s.status for s in subscribers.get_all(engine, "spam@example.org")} == {"complained"}
    assert {s.status for s in subscribers.get_all(engine, "soft@example.org")} == {"active"}  # 2 of 3
    third = apply(engine, settings, [Incoming("soft@example.org", "soft", "mailboxfull", "4.2.2")])
    assert third.suppressed == ["soft@example.org"]
    assert subscribers.count_active(engine, None) == 2  # fine@ on both lists
    with engine.connect() as conn:
        assert conn.execute(select(bounce_events.c.source).where(bounce_events.c.kind == "complaint")).scalar() == "m4"
    back = reactivate(engine, "HARD@example.org")
    assert {s.status for s in back} == {"active"}
    engine.dispose()


@pytest.mark.usefixtures("database")
def test_reactivate_cli_asks_first(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = configure(monkeypatch, "memory://")
    engine = open_engine(settings)
    subscribers.add(engine, "gone@example.org")
    apply(engine, settings, [Incoming("gone@example.org", "hard", "userunknown", "5.1.1")])
    engine.dispose()
    asked = cli("subscribers", "reactivate", "gone@example.org")
    assert asked.returncode == 2 and "confirm with --yes" in asked.stderr
    done = cli("subscribers", "reactivate", "gone@example.org", "--yes", "--json")
    assert done.returncode == 0, done.stderr
    assert [r["status"] for r in json.loads(done.stdout)] == ["active"]
    again = cli("subscribers", "reactivate", "gone@example.org", "--yes")
    assert again.returncode == 1 and "not bounced or complained" in again.stderr


@pytest.mark.usefixtures("database")
def test_send_exits_1_when_nobody_could_be_reached(monkeypatch: pytest.MonkeyPatch) -> None:
    handler = FaultyHandler(reject={f"reader{i:03d}@example.org": "550 5.7.1 Rejected by policy" for i in range(3)})
    controller, _ = start_smtp(handler)
    try:
        settings = configure(monkeypatch, f"smtp://127.0.0.1:{controller.port}?tls=none")
        seed(settings, 3)
        result = cli("send", "--now")
        assert result.returncode == 1, result.stdout
        assert "error: edition" in result.stderr and "nothing could be delivered" in result.stderr
        as_json = cli("send", "--now", "--json", "--retry-failed")
        assert as_json.returncode == 1 and json.loads(as_json.stdout)["failed"] == 3
    finally:
        controller.stop()


def test_a_relay_that_answers_late_gets_each_message_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """It queues every message but answers 3 s later: with timeout=1&data_timeout=1 each reader
    got 4 copies before. Now: one copy each, all "unknown", exit 1, and a warning about the
    short data_timeout quoting RFC 5321's 10 minutes."""
    handler = FaultyHandler(slow_data=3.0)
    controller, _ = start_smtp(handler)
    try:
        settings = configure(monkeypatch, f"smtp://127.0.0.1:{controller.port}?tls=none&timeout=1&data_timeout=1")
        readers = seed(settings, 2)
        result = cli("send", "--now", "--json", timeout=120)
        assert result.returncode == 1, result.stderr
        report = json.loads(result.stdout)
        assert (report["sent"], report["failed"], report["unknown"]) == (0, 0, 2)
        assert "10 minutes" in result.stderr and "--retry-unknown" in result.stderr
        time.sleep(3.5)  # the relay finishes queueing
        assert sorted(r for m in handler.messages for r in m.rcpt_tos) == readers  # once each
    finally:
        controller.stop()


UNKNOWN_USER = "550 5.1.1 <reader001@example.org>: Recipient address rejected: User unknown in local recipient table"


def test_an_unknown_user_reply_during_a_send_makes_the_address_bounced(monkeypatch: pytest.MonkeyPatch) -> None:
    handler = FaultyHandler(reject={"reader001@example.org": UNKNOWN_USER})
    controller, _ = start_smtp(handler)
    try:
        settings = configure(monkeypatch, f"smtp://127.0.0.1:{controller.port}?tls=none")
        readers = seed(settings, 3)
        result = cli("send", "--now")
        assert result.returncode == 0, result.stderr  # a hard bounce alone is not a failed run
        assert "2 sent, 1 failed (1 of them do not exist: now bounced)" in result.stdout
        assert "--retry-failed" not in result.stdout
        engine = open_engine(settings)
        assert {s.status for s in subscribers.get_all(engine, readers[1])} == {"bounced"}
        assert {s.status for s in subscribers.get_all(engine, readers[0])} == {"active"}
        with engine.connect() as conn:
            event = conn.execute(select(bounce_events)).one()
        engine.dispose()
        assert (event.email, event.kind, event.status, event.digest_id) == (readers[1], "hard", "5.1.1", 1)
        assert event.source.startswith("smtp: ") and "550 5.1.1" in event.source

        handler.messages.clear()
        evening = cli("send", "--now", "--edition", "evening", "--json")
        assert evening.returncode == 0, evening.stderr
        assert json.loads(evening.stdout)["sent"] == 2
        assert sorted(r for m in handler.messages for r in m.rcpt_tos) == [readers[0], readers[2]]
    finally:
        controller.stop()


def test_other_permanent_failures_stay_per_edition_and_fail_the_run(monkeypatch: pytest.MonkeyPatch) -> None:
    handler = FaultyHandler(
        reject={
            "reader001@example.org": UNKNOWN_USER,
            "reader002@example.org": "550 5.2.2 <reader002@example.org>: mailbox full",
        }
    )
    controller, _ = start_smtp(handler)
    try:
        settings = configure(monkeypatch, f"smtp://127.0.0.1:{controller.port}?tls=none")
        readers = seed(settings, 3)
        result = cli("send", "--now", "--json")
        assert result.returncode == 1, result.stderr
        report = json.loads(result.stdout)
        assert (report["sent"], report["failed"], report["hard_bounced"]) == (1, 2, 1)
        assert "1 recipient(s) not reached (1 address(es) do not exist and are now bounced)" in result.stderr
        engine = open_engine(settings)
        assert {s.status for s in subscribers.get_all(engine, readers[1])} == {"bounced"}
        assert {s.status for s in subscribers.get_all(engine, readers[2])} == {
            "active"
        }  # mailbox full: not a hard bounce
        engine.dispose()
    finally:
        controller.stop()


class _EhloRecorder(RecordingHandler):
    """Remembers the name each client greeted the server with."""

    def __init__(self) -> None:
        super().__init__()
        self.greetings: list[str] = []

    async def handle_EHLO(self, server, session, envelope, hostname, responses):  # type: ignore[no-untyped-def]
        self.greetings.append(hostname)
        session.host_name = hostname
        return responses


@pytest.mark.parametrize(
    ("fqdn", "option", "expected"),
    [
        ("mail.news.example.org", "", "mail.news.example.org"),
        ("vm", "", "news.example.org"),  # a short name: the From address's domain instead
        ("localhost.localdomain", "", "news.example.org"),
        ("vm", "&helo=relay.example.net", "relay.example.net"),
    ],
)
def test_the_server_is_greeted_with_a_fully_qualified_name(
    monkeypatch: pytest.MonkeyPatch, fqdn: str, option: str, expected: str
) -> None:
    import digest.deliver.smtp_options as smtp_options

    monkeypatch.setattr(smtp_options, "_fqdn", lambda: fqdn)
    handler = _EhloRecorder()
    controller, _ = start_smtp(handler)
    try:
        settings = configure(
            monkeypatch,
            f"smtp://127.0.0.1:{controller.port}?tls=none{option}",
            DIGEST_DELIVERY__FROM_ADDRESS="digest@news.example.org",
        )
        seed(settings, 1)
        assert send_digest(settings).sent == 1
        assert handler.greetings and set(handler.greetings) == {expected}
    finally:
        controller.stop()
