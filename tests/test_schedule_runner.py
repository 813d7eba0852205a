"""What a fire does: editions, overrides, exactly-once, skip when empty, failures."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from tests.support.scheduler import write_job

from digest.config import load_settings
from digest.schedule.jobs import load_job_file
from digest.schedule.runner import edition_for, run_job, settings_for

ROOT = Path(__file__).resolve().parent.parent
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
