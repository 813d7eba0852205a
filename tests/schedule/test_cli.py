"""`digest schedule list / run-once` through the real CLI (click runner, real files)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
import time_machine
from click.testing import CliRunner
from tests.support.paths import ROOT
from tests.support.scheduler import write_job

from digest.cli import cli


def _invoke(*args: str) -> object:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@time_machine.travel(datetime.fromisoformat("2026-03-27T12:05:00+00:00"), tick=False)  # a Friday
def test_list_json_gives_next_run_in_its_zone_and_utc(tmp_path: Path) -> None:
    write_job(tmp_path, "daily", 'job = "digest"\ncron = "0 7 * * 1-5"\ntimezone = "Europe/London"\n')
    write_job(tmp_path, "pulse", 'job = "social"\nevery = "15m"\ntimezone = "America/New_York"\n')
    result = _invoke("schedule", "list", "--jobs", str(tmp_path), "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    daily = next(r for r in rows if r["name"] == "daily")
    assert {"name", "trigger", "timezone", "next_run"} <= set(daily)
    assert daily["trigger"] == "cron 0 7 * * 1-5" and daily["timezone"] == "Europe/London"
    # Friday noon -> next is Monday 30 March 07:00, already British Summer Time (06:00 UTC)
    assert daily["next_run"] == "2026-03-30T07:00:00+01:00"
    assert daily["next_run_utc"] == "2026-03-30T06:00:00+00:00"
    pulse = next(r for r in rows if r["name"] == "pulse")
    assert pulse["trigger"] == "every 15m"
    assert datetime.fromisoformat(pulse["next_run"]) == datetime.fromisoformat("2026-03-27T12:15:00+00:00")


@time_machine.travel(datetime.fromisoformat("2026-03-27T12:00:00+00:00"), tick=False)
def test_list_text_shows_both_times(tmp_path: Path) -> None:
    write_job(tmp_path, "daily", 'job = "digest"\ncron = "0 7 * * 1-5"\ntimezone = "Europe/London"\n')
    result = _invoke("schedule", "list", "--jobs", str(tmp_path))
    assert result.exit_code == 0
    assert "Mon 2026-03-30 07:00 Europe/London" in result.stdout
    assert "Mon 2026-03-30 06:00 UTC" in result.stdout


def test_list_reports_bad_file_and_still_lists_the_others(tmp_path: Path) -> None:
    write_job(tmp_path, "good", 'job = "digest"\ncron = "0 7 * * 1-5"\n')
    write_job(tmp_path, "bad", 'job = "digest"\ncron = "0 7 * * mon-funday"\n')
    result = _invoke("schedule", "list", "--jobs", str(tmp_path), "--json")
    assert result.exit_code == 1
    assert [r["name"] for r in json.loads(result.stdout)] == ["good"]
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert errors == [
        f'error: {tmp_path / "bad.toml"}: cron: day of week: "funday" is not a number 0-7 or a name (sun..sat)'
    ]
    assert "Traceback" not in result.stderr


def test_missing_jobs_folder_is_one_line(tmp_path: Path) -> None:
    result = _invoke("schedule", "list", "--jobs", str(tmp_path / "nope"))
    assert result.exit_code == 1
    assert result.stderr.strip().startswith("error: ") and "no such jobs folder" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_default_jobs_folder_falls_back_to_the_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Installed digest, run from any folder: no ./scheduled, so [schedule] jobs_dir is used."""
    (tmp_path / "conf").mkdir()
    write_job(tmp_path / "myjobs", "daily", 'job = "digest"\ncron = "0 7 * * 1-5"\n')
    (tmp_path / "conf" / "digest.toml").write_text('[schedule]\njobs_dir = "../myjobs"\n')
    monkeypatch.chdir(tmp_path)
    result = _invoke("--config", "conf/digest.toml", "schedule", "list", "--json")
    assert result.exit_code == 0, result.stderr
    assert [r["name"] for r in json.loads(result.stdout)] == ["daily"]
    write_job(tmp_path / "scheduled", "local", 'job = "digest"\nevery = "1h"\n')  # ./scheduled wins
    result = _invoke("--config", "conf/digest.toml", "schedule", "list", "--json")
    assert [r["name"] for r in json.loads(result.stdout)] == ["local"]


def test_run_once_unknown_job_names_the_known_ones(tmp_path: Path) -> None:
    write_job(tmp_path, "daily", 'job = "digest"\ncron = "0 7 * * 1-5"\n')
    result = _invoke("schedule", "run-once", "weekly", "--jobs", str(tmp_path))
    assert result.exit_code == 1
    assert 'no job named "weekly"' in result.stderr and "(jobs: daily)" in result.stderr


def test_run_once_bad_at_is_a_usage_error(tmp_path: Path) -> None:
    write_job(tmp_path, "daily", 'job = "digest"\ncron = "0 7 * * 1-5"\n')
    result = _invoke("schedule", "run-once", "daily", "--jobs", str(tmp_path), "--at", "yesterday")
    assert result.exit_code == 2


def test_shipped_jobs_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    result = _invoke("schedule", "list", "--json")
    assert result.exit_code == 0, result.stderr
    assert {r["name"] for r in json.loads(result.stdout)} == {"daily-digest", "social-copy"}
