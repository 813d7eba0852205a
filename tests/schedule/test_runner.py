"""What a fire does: editions, overrides, exactly-once, skip when empty, failures."""

from __future__ import annotations

import logging
import shutil
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from tests.support.paths import ROOT
from tests.support.scheduler import write_job

from digest.config import load_settings
from digest.schedule.jobs import load_job_file
from digest.schedule.runner import edition_for, run_job, settings_for

DATA = ROOT / "tests" / "data"


def test_edition_is_job_name_and_fire_time_in_utc(tmp_path: Path) -> None:
    job = load_job_file(write_job(tmp_path, "daily", 'job = "digest"\ncron = "0 7 * * 1-5"\n'))
    london = ZoneInfo("Europe/London")
    summer = datetime(2026, 6, 1, 7, 0, tzinfo=london)
    assert edition_for(job, summer) == "daily@2026-06-01T06:00:00Z"
    assert edition_for(job, summer) == edition_for(job, summer.astimezone(UTC))  # same fire, same edition
    assert edition_for(job, datetime(2026, 6, 2, 7, 0, tzinfo=london)) != edition_for(job, summer)


def test_job_overrides_reach_the_settings(tmp_path: Path) -> None:
    (tmp_path / "mine").mkdir()
    job = load_job_file(
        write_job(
            tmp_path,
            "o",
            'job = "digest"\nevery = "1h"\nsources = ["mine"]\nsubject = "Evening {date}"\ntitle = "Evening"\n',
        )
    )
    settings = settings_for(job, load_settings())
    assert settings.email.subject == "Evening {date}"
    assert settings.digest.title == "Evening"
    assert [s.path for s in settings.sources] == [str((tmp_path / "mine").resolve())]


def test_social_job_without_editors_fails_with_a_clear_reason(tmp_path: Path) -> None:
    job = load_job_file(write_job(tmp_path, "social", 'job = "social"\nevery = "1h"\n'))
    outcome = run_job(job, load_settings(), fire_time=datetime(2026, 3, 2, 7, tzinfo=UTC))
    assert outcome.status == "failed"
    assert "no editors" in outcome.reason and "social.toml" in outcome.reason


def test_every_source_broken_is_a_logged_failure(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    job = load_job_file(
        write_job(
            tmp_path,
            "social",
            'job = "social"\nevery = "1h"\neditors = ["ed@example.com"]\nsources = ["missing-a", "missing-b"]\n',
        )
    )
    outcome = run_job(job, load_settings(), fire_time=datetime(2026, 3, 2, 7, tzinfo=UTC))
    assert outcome.status == "failed"
    assert outcome.reason.startswith("every source failed") and "missing-a" in outcome.reason
    assert any("social: edition social@2026-03-02T07:00:00Z failed" in r.getMessage() for r in caplog.records)


# ---------------------------------------------------------------- with the real send code


@pytest.fixture
def newsroom(tmp_path: Path, smtp_server, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Real send code, a real SMTP server, two subscribers, one source folder."""
    from digest.mailing import subscribers
    from digest.storage.engine import open_engine

    host, port, handler = smtp_server
    monkeypatch.setenv("DIGEST_BACKEND", f"smtp://{host}:{port}?tls=none")
    monkeypatch.setenv("DIGEST_UNSUBSCRIBE_KEY", "test-key-not-secret")
    articles = tmp_path / "articles"
    articles.mkdir()
    shutil.copy(DATA / "qonversations-xi-blinken.txt", articles)
    settings = load_settings()
    engine = open_engine(settings)
    for address in ("ana@example.org", "ben@example.org"):
        subscribers.add(engine, address)
    engine.dispose()
    job = load_job_file(
        write_job(tmp_path / "jobs", "daily", f'job = "digest"\ncron = "0 7 * * 1-5"\nsources = ["{articles}"]\n')
    )
    return settings, job, handler, articles


MONDAY = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)


def _recipients(handler) -> list[str]:  # type: ignore[no-untyped-def]
    return sorted(r for m in handler.messages for r in m.rcpt_tos)


def test_same_fire_twice_never_reaches_a_recipient_twice(newsroom) -> None:  # type: ignore[no-untyped-def]
    settings, job, handler, _ = newsroom
    first = run_job(job, settings, fire_time=MONDAY)
    assert first.status == "sent" and first.sent == 2, first.reason
    assert _recipients(handler) == ["ana@example.org", "ben@example.org"]
    again = run_job(job, settings, fire_time=MONDAY)  # catch-up / retry of the same fire
    assert again.edition == first.edition and again.sent == 0
    assert again.status in {"duplicate", "skipped"}
    assert _recipients(handler) == ["ana@example.org", "ben@example.org"]


def test_nothing_new_is_skipped_and_logged(newsroom, caplog: pytest.LogCaptureFixture) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.INFO)
    settings, job, handler, _ = newsroom
    assert run_job(job, settings, fire_time=MONDAY).status == "sent"
    tuesday = run_job(job, settings, fire_time=datetime(2026, 3, 3, 7, 0, tzinfo=UTC))
    assert tuesday.status == "skipped" and tuesday.sent == 0
    assert len(handler.messages) == 2  # two identical digests are never sent
    assert any(
        "daily: edition daily@2026-03-03T07:00:00Z: nothing new: skipped" in r.getMessage() for r in caplog.records
    )


def test_new_article_makes_the_next_fire_send_only_it(newsroom) -> None:  # type: ignore[no-untyped-def]
    settings, job, handler, articles = newsroom
    assert run_job(job, settings, fire_time=MONDAY).status == "sent"
    (articles / "park.txt").write_text(
        "Council approves new riverside park\n\nThe city council voted on Tuesday to approve a new riverside "
        "park after two years of debate. The park will cover twelve hectares along the east bank. "
        "Construction starts in the spring, officials said.\n",
        encoding="utf-8",
    )
    tuesday = run_job(job, settings, fire_time=datetime(2026, 3, 3, 7, 0, tzinfo=UTC))
    assert tuesday.status == "sent" and tuesday.sent == 2
    latest = handler.messages[-1].message.get_body(("plain",)).get_content()
    assert "riverside park" in latest and "Blinken" not in latest


def test_restart_catch_up_of_a_sent_fire_sends_nothing(newsroom, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Crash after the send but before the job store moved on: the catch-up reuses the edition."""
    import time_machine
    from tests.support.scheduler import SteppedScheduler

    from digest.schedule import runner
    from digest.schedule.runner import RunContext
    from digest.schedule.service import configure_scheduler

    settings, job, handler, _ = newsroom
    assert run_job(job, settings, fire_time=MONDAY).status == "sent"  # the fire that "crashed"
    outcomes: list = []
    runner.configure(RunContext(settings=settings, jobs={job.name: job}, on_outcome=outcomes.append))
    try:
        with time_machine.travel(datetime(2026, 3, 2, 6, 0, tzinfo=UTC), tick=False) as traveller:
            sched = SteppedScheduler(timezone=UTC)
            configure_scheduler(sched, settings, [job], inline=True)
            sched.start()  # stored next run: Monday 07:00
            sched.shutdown()
            traveller.move_to(datetime(2026, 3, 2, 7, 20, tzinfo=UTC))  # restarted within grace
            sched = SteppedScheduler(timezone=UTC)
            configure_scheduler(sched, settings, [job], inline=True)
            sched.start()
            sched.step()
            sched.shutdown()
    finally:
        runner.configure(None)
    assert [o.edition for o in outcomes] == ["daily@2026-03-02T07:00:00Z"]
    assert outcomes[0].sent == 0
    assert len(handler.messages) == 2


def test_shutdown_finishes_the_message_in_flight_then_the_edition_resumes(newsroom) -> None:  # type: ignore[no-untyped-def]
    """SIGTERM mid-send: the message in flight completes, the rest stays owed; a resume sends
    only the owed ones, so every subscriber gets the edition exactly once."""
    import threading

    from digest.mailing import subscribers
    from digest.storage.engine import open_engine

    settings, job, handler, _ = newsroom
    engine = open_engine(settings)
    subscribers.add(engine, "cy@example.org")
    engine.dispose()
    stop = threading.Event()
    original = handler.handle_DATA

    async def stop_after_first(server, session, envelope):  # type: ignore[no-untyped-def]
        reply = await original(server, session, envelope)
        stop.set()  # the service received SIGTERM while this message was being delivered
        return reply

    handler.handle_DATA = stop_after_first
    first = run_job(job, settings, fire_time=MONDAY, stop=stop)
    assert first.status == "interrupted" and first.sent == 1, first.reason
    assert "run-once daily --at 2026-03-02T07:00:00+00:00" in first.reason
    assert len(handler.messages) == 1

    handler.handle_DATA = original
    resumed = run_job(job, settings, fire_time=MONDAY)  # same fire: same edition
    assert resumed.status == "sent" and resumed.sent == 2
    assert _recipients(handler) == ["ana@example.org", "ben@example.org", "cy@example.org"]


def test_fire_outside_the_service_loads_jobs_itself(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The stored textual reference works on its own (e.g. a job store opened by another tool)."""
    from digest.schedule import runner

    write_job(tmp_path / "scheduled", "lonely", 'job = "social"\nevery = "1h"\n')
    monkeypatch.chdir(tmp_path)
    runner.configure(None)
    result = runner.fire("lonely", schedule="every 1h UTC")
    assert result["job"] == "lonely" and result["edition"].startswith("lonely@")
    assert result["status"] == "failed" and "no editors" in result["reason"]
    assert runner.fire("gone")["reason"] == "no such job"


def test_digest_with_every_source_broken_fails_with_the_reason(newsroom, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings, _, handler, _ = newsroom
    job = load_job_file(
        write_job(tmp_path / "jobs2", "broken", 'job = "digest"\nevery = "1h"\nsources = ["nowhere-a", "nowhere-b"]\n')
    )
    outcome = run_job(job, settings, fire_time=MONDAY, scheduled=True)
    assert outcome.status == "failed" and "every source failed" in outcome.reason
    assert handler.messages == []
