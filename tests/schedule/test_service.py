"""The scheduler's own misfire, coalesce and restart logic on a real SQLite job store.

Time is driven with time-machine; jobs run inline (synchronous executor) in the real
BlockingScheduler's job-processing step, so nothing sleeps.
"""

from __future__ import annotations

import logging
import shutil
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from tests.support.paths import DATA
from tests.support.scheduler import SteppedScheduler, write_job

from digest.config import load_settings
from digest.schedule import runner
from digest.schedule.jobs import load_jobs
from digest.schedule.outcome import RunOutcome
from digest.schedule.runner import RunContext
from digest.schedule.service import FIRE_REF, JOBS_TABLE, configure_scheduler, open_jobstore

LONDON = ZoneInfo("Europe/London")
DAILY = 'job = "digest"\ncron = "0 7 * * 1-5"\ntimezone = "Europe/London"\nmisfire_grace = "1h"\n'


@pytest.fixture
def outcomes() -> Iterator[list[RunOutcome]]:
    got: list[RunOutcome] = []
    yield got
    runner.configure(None)


def _start(jobs_dir: Path, outcomes: list[RunOutcome]) -> tuple[SteppedScheduler, object]:
    """What `digest schedule run` does at start, on a scheduler we step by hand."""
    settings = load_settings()
    loaded = load_jobs(jobs_dir, settings.digest.timezone)
    assert not loaded.errors
    runner.configure(RunContext(settings=settings, jobs={j.name: j for j in loaded.jobs}, on_outcome=outcomes.append))
    sched = SteppedScheduler(timezone=UTC)
    report = configure_scheduler(sched, settings, loaded.jobs, inline=True)
    sched.start()
    return sched, report


def _at(*args: int, tz: ZoneInfo = LONDON) -> time_machine.travel:
    return time_machine.travel(datetime(*args, tzinfo=tz), tick=False)


def _stored_next_run(data_dir: Path, job_id: str) -> datetime:
    with sqlite3.connect(data_dir / "jobs.sqlite3") as db:
        (ts,) = db.execute(f"SELECT next_run_time FROM {JOBS_TABLE} WHERE id = ?", (job_id,)).fetchone()
    return datetime.fromtimestamp(ts, UTC)


def test_jobs_are_stored_by_textual_reference_with_stable_ids(tmp_path: Path, outcomes: list) -> None:
    write_job(tmp_path / "jobs", "daily", DAILY)
    with _at(2026, 3, 2, 6, 0):
        sched, _ = _start(tmp_path / "jobs", outcomes)
        job = sched.get_job("daily")
        assert job.func_ref == FIRE_REF
        assert (job.coalesce, job.max_instances, job.misfire_grace_time) == (True, 1, 3600)
        assert job.next_run_time == datetime(2026, 3, 2, 7, 0, tzinfo=LONDON)
        sched.shutdown()
    assert (tmp_path / "data" / "jobs.sqlite3").is_file()


def test_downtime_shorter_than_grace_gives_one_catch_up_run(tmp_path: Path, outcomes: list) -> None:
    jobs = tmp_path / "jobs"
    write_job(jobs, "daily", DAILY)
    with _at(2026, 3, 2, 6, 0):  # Monday 06:00: the service starts, then goes down
        sched, _ = _start(jobs, outcomes)
        assert sched.step() == 3600  # seconds until 07:00
        assert outcomes == []
        sched.shutdown()
    with _at(2026, 3, 2, 7, 40):  # back 40 minutes after the 07:00 fire, grace is 1 hour
        sched, report = _start(jobs, outcomes)
        assert report.kept == ["daily"]
        sched.step()
        sched.step()
        sched.shutdown()
    assert [o.edition for o in outcomes] == ["daily@2026-03-02T07:00:00Z"]
    assert _stored_next_run(tmp_path / "data", "daily") == datetime(2026, 3, 3, 7, 0, tzinfo=UTC)


def test_several_missed_fires_coalesce_into_one(tmp_path: Path, outcomes: list) -> None:
    jobs = tmp_path / "jobs"
    write_job(jobs, "daily", DAILY)
    with _at(2026, 3, 2, 6, 0):
        sched, _ = _start(jobs, outcomes)
        sched.shutdown()
    with _at(2026, 3, 4, 7, 30):  # down Monday to Wednesday: only Wednesday's fire is in grace
        sched, _ = _start(jobs, outcomes)
        sched.step()
        sched.shutdown()
    assert [o.edition for o in outcomes] == ["daily@2026-03-04T07:00:00Z"]


def test_downtime_longer_than_grace_gives_no_run_and_a_logged_miss(
    tmp_path: Path, outcomes: list, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    jobs = tmp_path / "jobs"
    write_job(jobs, "daily", DAILY)
    with _at(2026, 3, 2, 6, 0):
        sched, _ = _start(jobs, outcomes)
        sched.shutdown()
    with _at(2026, 3, 2, 8, 30):  # 90 minutes late, grace 1 hour
        sched, _ = _start(jobs, outcomes)
        sched.step()
        sched.shutdown()
    assert outcomes == []
    missed = [r.getMessage() for r in caplog.records if "missed the fire" in r.getMessage()]
    assert len(missed) == 1
    assert "daily" in missed[0] and "2026-03-02T07:00:00+00:00" in missed[0] and "misfire_grace 1h" in missed[0]
    assert _stored_next_run(tmp_path / "data", "daily") == datetime(2026, 3, 3, 7, 0, tzinfo=UTC)


def test_restart_keeps_the_store_and_does_not_fire_again(tmp_path: Path, outcomes: list) -> None:
    jobs = tmp_path / "jobs"
    write_job(jobs, "daily", DAILY)
    with _at(2026, 3, 2, 6, 59):
        sched, _ = _start(jobs, outcomes)
    with _at(2026, 3, 2, 7, 0, 1):
        sched.step()
        sched.shutdown()
    assert len(outcomes) == 1
    with _at(2026, 3, 2, 7, 10):  # restarted ten minutes later, well within grace
        sched, report = _start(jobs, outcomes)
        assert report.kept == ["daily"]
        sched.step()
        sched.shutdown()
    assert len(outcomes) == 1
    assert _stored_next_run(tmp_path / "data", "daily") == datetime(2026, 3, 3, 7, 0, tzinfo=UTC)


def test_changed_schedule_is_rescheduled_and_removed_jobs_are_deleted(tmp_path: Path, outcomes: list) -> None:
    jobs = tmp_path / "jobs"
    write_job(jobs, "daily", DAILY)
    write_job(jobs, "old", 'job = "digest"\nevery = "6h"\n')
    with _at(2026, 3, 2, 6, 0):
        sched, report = _start(jobs, outcomes)
        assert sorted(report.added) == ["daily", "old"]
        sched.shutdown()
    (jobs / "old.toml").unlink()
    write_job(jobs, "daily", DAILY.replace("0 7", "30 8"))
    with _at(2026, 3, 2, 7, 40):  # the old 07:00 fire must not be caught up under the new schedule
        sched, report = _start(jobs, outcomes)
        assert report.removed == ["old"] and report.rescheduled == ["daily"]
        sched.step()
        assert [j.id for j in sched.get_jobs()] == ["daily"]
        assert sched.get_job("daily").next_run_time == datetime(2026, 3, 2, 8, 30, tzinfo=LONDON)
        sched.shutdown()
    assert outcomes == []


def test_every_job_fires_on_its_interval(tmp_path: Path, outcomes: list) -> None:
    jobs = tmp_path / "jobs"
    write_job(jobs, "pulse", 'job = "digest"\nevery = "15m"\n')
    with _at(2026, 3, 2, 9, 0, tz=UTC) as traveller:
        sched, _ = _start(jobs, outcomes)
        for _ in range(3):
            traveller.shift(15 * 60)
            sched.step()
        sched.shutdown()
    assert [o.edition for o in outcomes] == [
        "pulse@2026-03-02T09:15:00Z",
        "pulse@2026-03-02T09:30:00Z",
        "pulse@2026-03-02T09:45:00Z",
    ]


def test_a_failing_fire_is_logged_and_the_scheduler_keeps_going(
    tmp_path: Path, outcomes: list, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SMTP down: every fire fails with its reason; the next fire still happens."""
    from digest.mailing import subscribers
    from digest.storage.engine import open_engine

    caplog.set_level(logging.INFO)
    monkeypatch.setenv("DIGEST_BACKEND", "smtp://127.0.0.1:9?tls=none")  # nothing listens on the discard port
    monkeypatch.setenv("DIGEST_DELIVERY__MAX_ATTEMPTS", "1")  # no retry backoff (real sleeps) in this test
    articles = tmp_path / "articles"
    articles.mkdir()
    shutil.copy(DATA / "qonversations-xi-blinken.txt", articles)
    subscribers.add(open_engine(load_settings()), "reader@example.org")
    jobs = tmp_path / "jobs"
    write_job(jobs, "pulse", f'job = "digest"\nevery = "1h"\nsources = ["{articles}"]\n')
    with _at(2026, 3, 2, 9, 0, tz=UTC) as traveller:
        sched, _ = _start(jobs, outcomes)
        traveller.shift(3600)
        sched.step()
        traveller.shift(3600)
        sched.step()
        assert sched.running
        sched.shutdown()
    assert [o.status for o in outcomes] == ["failed", "failed"]
    assert all("127.0.0.1:9" in o.reason for o in outcomes), [o.reason for o in outcomes]
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR and r.name == "digest.schedule"]
    assert len(errors) == 2 and all("will run again at its next fire time" in e for e in errors)


def test_jobstore_is_sqlite_under_the_data_dir_unless_archive_is_postgres(tmp_path: Path) -> None:
    from dataclasses import replace

    from digest.schedule.service import jobstore_url

    settings = load_settings()
    assert jobstore_url(settings) == f"sqlite:///{(tmp_path / 'data' / 'jobs.sqlite3').resolve()}"
    pg = replace(settings, archive=replace(settings.archive, url="postgresql+psycopg://digest@db/digest"))
    assert jobstore_url(pg) == "postgresql+psycopg://digest@db/digest"
    plain = replace(settings, archive=replace(settings.archive, url="postgresql://digest:pw@db/digest"))
    assert jobstore_url(plain) == "postgresql+psycopg://digest:pw@db/digest"  # psycopg 3, as the archive uses
    assert open_jobstore(settings).jobs_t.name == JOBS_TABLE


def test_very_long_downtime_is_reported_without_replaying_every_fire(
    tmp_path: Path, outcomes: list, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    jobs = tmp_path / "jobs"
    write_job(jobs, "minutely", 'job = "digest"\ncron = "* * * * *"\nmisfire_grace = "5m"\n')
    with _at(2026, 1, 1, 0, 0, tz=UTC):
        sched, _ = _start(jobs, outcomes)
        sched.shutdown()
    with _at(2026, 3, 1, 12, 0, 30, tz=UTC):  # two months later
        sched, report = _start(jobs, outcomes)
        assert report.rescheduled == ["minutely"]
        sched.step()
        assert sched.get_job("minutely").next_run_time == datetime(2026, 3, 1, 12, 1, tzinfo=UTC)
        sched.shutdown()
    assert outcomes == []
    assert any("missed every fire since 2026-01-01T00:00:00+00:00" in r.getMessage() for r in caplog.records)
