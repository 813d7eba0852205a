"""SMTP delivery against a real aiosmtpd server on 127.0.0.1: TLS, AUTH and injected faults.

Every test checks each received message (count per recipient, headers, both parts, CRLF and
line lengths) and, where it matters, the send log.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from tests.support.delivery import PASSWORD, UNSUBSCRIBE_KEY, check_all, cli, configure, seed
from tests.support.net import free_port
from tests.support.smtp import Authenticator, FaultyHandler, RestartableServer, raws, start_smtp, tls_material

from digest.errors import DeliveryError
from digest.mailing.send import send_digest
from digest.storage.engine import open_engine
from digest.storage.schema import sends, subscribers


@pytest.fixture
def faulty() -> Iterator[tuple[int, FaultyHandler]]:
    controller, handler = start_smtp(FaultyHandler())
    try:
        yield controller.port, handler
    finally:
        controller.stop()


def _log(settings) -> dict[str, tuple[str, int, int | None, str | None]]:  # type: ignore[no-untyped-def]
    engine = open_engine(settings)
    with engine.connect() as conn:
        rows = conn.execute(
            select(subscribers.c.email, sends.c.status, sends.c.attempts, sends.c.code, sends.c.reply).join(
                sends, sends.c.subscriber_id == subscribers.c.id
            )
        ).all()
    engine.dispose()
    return {r.email: (r.status, r.attempts, r.code, r.reply) for r in rows}


def test_fifty_subscribers_end_to_end(monkeypatch: pytest.MonkeyPatch, faulty: tuple[int, FaultyHandler]) -> None:
    port, handler = faulty
    settings = configure(monkeypatch, f"smtp://127.0.0.1:{port}?tls=none")
    emails = seed(settings, 50)
    result = cli("send", "--now", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "digest_id": 1,
        "sent": 50,
        "failed": 0,
        "skipped": 0,
        "backend": f"smtp://127.0.0.1:{port}?tls=none",
    }
    check_all(raws(handler), emails)
    assert {status for status, *_ in _log(settings).values()} == {"sent"}
    assert all(reply and "accepted" in reply and code == 250 for _s, _a, code, reply in _log(settings).values())
    # Running it again reaches nobody twice.
    again = cli("send", "--now", "--json")
    assert json.loads(again.stdout)["sent"] == 0 and json.loads(again.stdout)["skipped"] == 50
    assert handler.count() == 50


def test_starttls_and_auth_never_show_the_password(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    tls = tls_material(tmp_path)
    auth = Authenticator("digest", PASSWORD)
    controller, handler = start_smtp(
        FaultyHandler(), tls_context=tls.server_context, require_starttls=True, auth_required=True, authenticator=auth
    )
    try:
        url = f"smtp://digest@127.0.0.1:{controller.port}?tls=starttls&cafile={tls.ca_file}"
        settings = configure(monkeypatch, url, DIGEST_SMTP_PASSWORD=PASSWORD)
        emails = seed(settings, 5)
        result = cli("--debug", "-v", "send", "--now")
        assert result.returncode == 0, result.stderr
        assert PASSWORD not in result.stdout + result.stderr
        assert UNSUBSCRIBE_KEY not in result.stdout + result.stderr
        assert "sent to reader000@example.org" in result.stderr  # the logs really were on
        check_all(raws(handler), emails)
        assert auth.attempts and set(auth.attempts) == {"digest"}
        # A wrong password: one clear line, exit 1, nothing marked sent, secret not echoed.
        bad = cli("send", "--now", "--edition", "second", env={"DIGEST_SMTP_PASSWORD": "wrong-" + PASSWORD})
        assert bad.returncode == 1
        assert bad.stderr.count("\n") == 1 and "login refused for user 'digest'" in bad.stderr
        assert PASSWORD not in bad.stdout + bad.stderr
        assert handler.count() == 5
    finally:
        controller.stop()


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_implicit_tls(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    tls = tls_material(tmp_path)
    auth = Authenticator("digest", PASSWORD)
    # aiosmtpd only counts STARTTLS as TLS for AUTH; this whole connection is TLS already.
    controller, handler = start_smtp(
        FaultyHandler(), ssl_context=tls.server_context, auth_required=True, auth_require_tls=False, authenticator=auth
    )
    try:
        url = f"smtps://digest@127.0.0.1:{controller.port}?cafile={tls.ca_file}"
        settings = configure(monkeypatch, url, DIGEST_SMTP_PASSWORD=PASSWORD)
        emails = seed(settings, 4)
        report = send_digest(settings)
        assert (report.sent, report.failed) == (4, 0)
        check_all(raws(handler), emails)
    finally:
        controller.stop()


def test_an_untrusted_certificate_stops_the_run(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    tls = tls_material(tmp_path)
    controller, handler = start_smtp(FaultyHandler(), tls_context=tls.server_context, require_starttls=True)
    try:
        settings = configure(monkeypatch, f"smtp://127.0.0.1:{controller.port}?tls=starttls")
        seed(settings, 2)
        with pytest.raises(DeliveryError, match="certificate not trusted"):
            send_digest(settings)
        assert handler.count() == 0
        assert {s for s, *_ in _log(settings).values()} == {"pending"}
    finally:
        controller.stop()


FAULTS = {
    "421 at DATA": {"data_script": ["ok", "ok", "421 4.3.2 Service shutting down"]},
    "451 at DATA": {"data_script": ["ok", "ok", "451 4.3.0 Local error, try later"]},
    "drop at RCPT": {"rcpt_script": ["ok", "ok", "drop"]},
    "drop at DATA": {"data_script": ["ok", "ok", "drop"]},
    "reply slower than the timeout": {"rcpt_script": ["ok", "ok", "slow:2.0"]},
    "two faults in a row": {"data_script": ["ok", "451 4.3.0 busy", "drop", "ok"]},
}


@pytest.mark.parametrize("fault", list(FAULTS))
def test_transient_faults_are_retried(
    monkeypatch: pytest.MonkeyPatch, faulty: tuple[int, FaultyHandler], fault: str
) -> None:
    port, handler = faulty
    for attr, script in FAULTS[fault].items():
        setattr(handler, attr, list(script))
    settings = configure(monkeypatch, f"smtp://127.0.0.1:{port}?tls=none&timeout=0.5")
    emails = seed(settings, 6)
    report = send_digest(settings)
    assert (report.sent, report.failed, report.skipped) == (6, 0, 0)
    check_all(raws(handler), emails)  # exactly once each, the retried one included
    log = _log(settings)
    assert {s for s, *_ in log.values()} == {"sent"}
    retried = {e: a for e, (_s, a, _c, _r) in log.items() if a > 1}
    assert retried, "the faulted message must have needed a second attempt"


def test_permanent_refusal_fails_one_recipient_and_the_rest_go_on(
    monkeypatch: pytest.MonkeyPatch, faulty: tuple[int, FaultyHandler]
) -> None:
    port, handler = faulty
    settings = configure(monkeypatch, f"smtp://127.0.0.1:{port}?tls=none")
    emails = seed(settings, 8)
    handler.reject[emails[3]] = "550 5.1.1 No such user here"
    report = send_digest(settings)
    assert (report.sent, report.failed) == (7, 1)
    assert report.failures == [{"email": emails[3], "code": 550, "reason": "RCPT TO: 550 5.1.1 No such user here"}]
    check_all(raws(handler), [e for e in emails if e != emails[3]])
    status, attempts, code, reply = _log(settings)[emails[3]]
    assert (status, attempts, code) == ("failed", 1, 550) and "No such user" in (reply or "")
    # A plain re-run leaves the failed one alone; --retry-failed tries it again.
    assert send_digest(settings).sent == 0 and handler.count() == 7
    del handler.reject[emails[3]]
    retry = send_digest(settings, retry_failed=True)
    assert (retry.sent, retry.failed, retry.skipped) == (1, 0, 7)
    check_all(raws(handler), emails)


def test_server_stopped_and_restarted_mid_run(monkeypatch: pytest.MonkeyPatch) -> None:
    server = RestartableServer(FaultyHandler())
    server.start()
    server.restart_after(8, downtime=0.6)
    try:
        settings = configure(
            monkeypatch,
            f"smtp://127.0.0.1:{server.port}?tls=none",
            DIGEST_DELIVERY__RETRY_BACKOFF="0.2",
            DIGEST_DELIVERY__MAX_ATTEMPTS="6",
        )
        emails = seed(settings, 20)
        report = send_digest(settings)
        assert server.restarts == 1
        assert (report.sent, report.failed) == (20, 0)
        check_all(raws(server.handler), emails)
    finally:
        server.stop()


def test_dead_server_one_line_error_and_everyone_kept_for_retry(monkeypatch: pytest.MonkeyPatch) -> None:
    port = free_port()
    settings = configure(monkeypatch, f"smtp://127.0.0.1:{port}?tls=none")
    emails = seed(settings, 10)
    result = cli("send", "--now")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "cannot reach 127.0.0.1" in lines[0]
    assert "Traceback" not in result.stderr
    log = _log(settings)
    assert set(log) == set(emails) and {s for s, *_ in log.values()} == {"pending"}
    # The server comes up: a re-run delivers to everyone, once.
    controller, handler = start_smtp(FaultyHandler(), port=port)
    try:
        again = cli("send", "--now", "--json")
        assert again.returncode == 0, again.stderr
        assert json.loads(again.stdout)["sent"] == 10
        check_all(raws(handler), emails)
    finally:
        controller.stop()


def test_parallel_connections(monkeypatch: pytest.MonkeyPatch, faulty: tuple[int, FaultyHandler]) -> None:
    port, handler = faulty
    handler.slow_data = 0.02  # lets the three connections overlap
    handler.data_script = ["ok"] * 10 + ["451 4.3.0 busy"]
    settings = configure(monkeypatch, f"smtp://127.0.0.1:{port}?tls=none&connections=3&rate=500")
    emails = seed(settings, 30)
    report = send_digest(settings)
    assert (report.sent, report.failed) == (30, 0)
    check_all(raws(handler), emails)
    assert len({peer[1] for peer in handler.peers}) >= 3  # really several connections
    assert {s for s, *_ in _log(settings).values()} == {"sent"}


def test_a_server_slow_to_accept_the_message_is_waited_for_not_mailed_twice(
    monkeypatch: pytest.MonkeyPatch, faulty: tuple[int, FaultyHandler]
) -> None:
    """Giving up on the reply to the message's last byte is how a retry mails someone twice:
    that wait is data_timeout (600 s by default, as MTAs), not the per-command timeout."""
    port, handler = faulty
    handler.data_script = ["ok", "slow:1.5"]  # the second message takes 1.5 s to be accepted
    settings = configure(monkeypatch, f"smtp://127.0.0.1:{port}?tls=none&timeout=0.5")
    emails = seed(settings, 3)
    report = send_digest(settings)
    assert (report.sent, report.failed, report.unknown) == (3, 0, 0)
    check_all(raws(handler), emails)
    assert max(a for _s, a, _c, _r in _log(settings).values()) == 1


def test_an_unanswered_message_is_unknown_never_resent_by_itself(
    monkeypatch: pytest.MonkeyPatch, faulty: tuple[int, FaultyHandler]
) -> None:
    """The relay has the whole message but answers after data_timeout: it may deliver it, so the
    recipient is "unknown", not failed, and only --retry-unknown sends again (RFC 1047)."""
    port, handler = faulty
    handler.data_script = ["ok", "slow:1.5"]
    settings = configure(monkeypatch, f"smtp://127.0.0.1:{port}?tls=none&timeout=0.5&data_timeout=0.6")
    emails = seed(settings, 3)
    report = send_digest(settings)
    assert (report.sent, report.failed, report.unknown) == (2, 0, 1) and not report.ok
    assert report.to_json()["unknown"] == 1
    assert sorted(s for s, *_ in _log(settings).values()) == ["sent", "sent", "unknown"]
    again = send_digest(settings)  # a plain re-run leaves it alone
    assert (again.sent, again.unknown, again.skipped) == (0, 0, 3)
    resend = send_digest(settings, retry_unknown=True)
    assert (resend.sent, resend.unknown) == (1, 0)
    check_all(raws(handler), emails)
