"""Job files: defaults, overrides, and bad files reported by name and key."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.support.paths import ROOT
from tests.support.scheduler import write_job

from digest.errors import ConfigError
from digest.schedule.jobs import DEFAULT_GRACE, load_job_file, load_jobs


def test_shipped_job_files_load() -> None:
    loaded = load_jobs(ROOT / "scheduled")
    assert not loaded.errors
    daily = loaded.get("daily-digest")
    assert daily is not None and daily.kind == "digest" and daily.cron == "0 7 * * 1-5"
    assert daily.misfire_grace == 3600 and daily.skip_if_empty is True
    assert loaded.get("social-copy") is not None and loaded.get("social-copy").kind == "social"


def test_defaults(tmp_path: Path) -> None:
    path = write_job(tmp_path, "d", 'job = "digest"\ncron = "0 7 * * 1-5"\n')
    job = load_job_file(path, default_timezone="Europe/Berlin")
    assert job.timezone == "Europe/Berlin"
    assert job.misfire_grace == DEFAULT_GRACE == 3600
    assert job.skip_if_empty is True
    assert (job.sources, job.recipients, job.editors, job.subject, job.title) == (None,) * 5
    assert job.trigger_text == "cron 0 7 * * 1-5"


def test_name_defaults_to_file_name(tmp_path: Path) -> None:
    (tmp_path / "morning.toml").write_text('job = "digest"\nevery = "6h"\n')
    job = load_job_file(tmp_path / "morning.toml")
    assert job.name == "morning" and job.trigger_text == "every 6h"


def test_overrides(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    path = write_job(
        tmp_path,
        "o",
        'job = "social"\nevery = "5s"\ntimezone = "America/New_York"\nmisfire_grace = "30m"\n'
        'skip_if_empty = false\neditors = ["ed@example.com"]\n'
        'subject = "Hello {date}"\ntitle = "Evening"\n'
        'sources = ["src", {type = "feed", url = "https://example.com/rss", name = "Feed"}]\n',
    )
    job = load_job_file(path)
    assert job.misfire_grace == 1800 and job.skip_if_empty is False
    assert job.recipients is None and job.editors == ("ed@example.com",)
    assert job.subject == "Hello {date}" and job.title == "Evening"
    assert job.sources is not None
    assert job.sources[0].type == "path" and job.sources[0].path == str((tmp_path / "src").resolve())
    assert job.sources[1].type == "feed" and job.sources[1].url == "https://example.com/rss"


def test_grace_accepts_seconds(tmp_path: Path) -> None:
    job = load_job_file(write_job(tmp_path, "g", 'job = "digest"\nevery = "1h"\nmisfire_grace = 90\n'))
    assert job.misfire_grace == 90


@pytest.mark.parametrize(
    ("body", "key", "problem"),
    [
        ('job = "digest"\ncron = "0 7 * * 8"\n', "cron", "day of week: 8 is out of range 0-7"),
        ('job = "digest"\ncron = "0 7 * *"\n', "cron", "expected 5 fields"),
        ('job = "digest"\nevery = "soon"\n', "every", 'expected a duration like "30s"'),
        ('job = "digest"\ncron = "0 7 * * *"\nevery = "1h"\n', "every", "not both"),
        ('job = "digest"\n', "cron", "missing"),
        ('job = "newsletter"\ncron = "0 7 * * *"\n', "job", 'expected "digest", "social" or "bounces"'),
        ('cron = "0 7 * * *"\n', "job", "missing"),
        ('job = "digest"\ncron = "0 7 * * *"\ntimezone = "Mars/Olympus"\n', "timezone", "IANA"),
        ('job = "digest"\ncron = "0 7 * * *"\nmisfire_grace = "later"\n', "misfire_grace", "duration"),
        ('job = "digest"\ncron = "0 7 * * *"\nskip_if_empty = "yes"\n', "skip_if_empty", "true or false"),
        ('job = "digest"\ncron = "0 7 * * *"\nrecipients = ["a@example.org"]\n', "recipients", "--list NAME"),
        ('job = "digest"\ncron = "0 7 * * *"\nrecipients = "no such/list"\n', "recipients", "a list name is"),
        ('job = "social"\ncron = "0 7 * * *"\nrecipients = "vip"\n', "recipients", "use editors"),
        ('job = "digest"\ncron = "0 7 * * *"\nsubject = "a\\nBcc: x@evil.example"\n', "subject", "one line"),
        ('job = "digest"\ncron = "0 7 * * *"\ncolour = "red"\n', "colour", "unknown key"),
        ('job = "digest"\ncron = "0 7 * * *"\nsources = [{type = "feed"}]\n', "sources", "needs a url"),
    ],
)
def test_bad_file_names_file_and_key(tmp_path: Path, body: str, key: str, problem: str) -> None:
    write_job(tmp_path, "bad", body)
    write_job(tmp_path, "good", 'job = "digest"\ncron = "0 7 * * 1-5"\n')
    loaded = load_jobs(tmp_path)
    assert [j.name for j in loaded.jobs] == ["good"]
    assert len(loaded.errors) == 1
    message = str(loaded.errors[0])
    assert "\n" not in message
    assert message.startswith(f"{tmp_path / 'bad.toml'}: {key}: "), message
    assert problem in message


def test_invalid_toml_is_reported_and_others_load(tmp_path: Path) -> None:
    (tmp_path / "broken.toml").write_text('job = "digest\n')
    write_job(tmp_path, "good", 'job = "digest"\ncron = "0 7 * * 1-5"\n')
    loaded = load_jobs(tmp_path)
    assert [j.name for j in loaded.jobs] == ["good"]
    assert "broken.toml: not valid TOML" in str(loaded.errors[0])


def test_duplicate_names_are_refused(tmp_path: Path) -> None:
    write_job(tmp_path, "a", 'job = "digest"\nevery = "1h"\n')
    (tmp_path / "b.toml").write_text('name = "a"\njob = "digest"\nevery = "2h"\n')
    loaded = load_jobs(tmp_path)
    assert [j.name for j in loaded.jobs] == ["a"]
    assert "b.toml: name: " in str(loaded.errors[0]) and "already used by" in str(loaded.errors[0])


def test_disabled_job_is_not_scheduled(tmp_path: Path) -> None:
    write_job(tmp_path, "off", 'job = "digest"\nevery = "1h"\nenabled = false\n')
    assert load_jobs(tmp_path).jobs == []
    assert [j.name for j in load_jobs(tmp_path, include_disabled=True).jobs] == ["off"]


def test_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such jobs folder"):
        load_jobs(tmp_path / "nope")


def test_deployment_examples_run_the_scheduler_the_documented_way() -> None:
    unit = (ROOT / "scheduled" / "digest.service").read_text()
    directives = dict(
        line.split("=", 1) for line in unit.splitlines() if "=" in line and not line.lstrip().startswith("#")
    )
    assert directives["Restart"] == "on-failure"
    assert directives["WorkingDirectory"] and directives["EnvironmentFile"]
    assert directives["ExecStart"].split()[1:3] == ["schedule", "run"]
    assert directives["KillSignal"] == "SIGTERM"
    cron_lines = [
        line
        for line in (ROOT / "scheduled" / "crontab.example").read_text().splitlines()
        if line and not line.startswith("#") and "=" not in line.split()[0]
    ]
    assert any(
        line.split()[:5] == ["0", "7", "*", "*", "1-5"] and "schedule run-once daily-digest" in line
        for line in cron_lines
    )
    assert "CRON_TZ=" in (ROOT / "scheduled" / "crontab.example").read_text()
