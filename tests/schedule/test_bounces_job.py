"""The "bounces" job: one fire reads a real Maildir of bounces and applies them."""

from __future__ import annotations

import json
import mailbox
import os
from pathlib import Path

import pytest
from tests.support.bounce_mail import COMPLAINT, HARD, bounce_for, plain_message
from tests.support.delivery import cli, configure, seed
from tests.support.scheduler import write_job

from digest.mailing import subscribers
from digest.schedule.jobs import JobFileError, load_job_file
from digest.storage.engine import open_engine


def test_a_bounces_job_runs_once_through_the_cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    settings = configure(monkeypatch, "memory://")
    readers = seed(settings, 3)
    box = mailbox.Maildir(tmp_path / "Maildir", create=True)
    for raw in (bounce_for(HARD, readers[0]), bounce_for(COMPLAINT, readers[2]), plain_message()):
        box.add(raw)
    box.close()
    jobs = tmp_path / "jobs"
    write_job(jobs, "bounce-check", f'job = "bounces"\nevery = "15m"\nsource = "maildir://{tmp_path}/Maildir"\n')

    listed = cli("schedule", "list", "--jobs", str(jobs), "--json")
    assert listed.returncode == 0, listed.stderr
    assert [j["job"] for j in json.loads(listed.stdout)] == ["bounces"]

    result = cli("schedule", "run-once", "bounce-check", "--jobs", str(jobs), "--json")
    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout)
    assert (outcome["kind"], outcome["status"]) == ("bounces", "processed")
    assert outcome["details"]["bounces"] == {
        "processed": 3,
        "hard": 1,
        "soft": 0,
        "complaints": 1,
        "not_bounces": 1,
        "unmatched": 0,
        "suppressed": [readers[0], readers[2]],
    }
    engine = open_engine(settings)
    assert [s.status for s in subscribers.get_all(engine, readers[0])] == ["bounced"]
    assert [s.status for s in subscribers.get_all(engine, readers[2])] == ["complained"]
    engine.dispose()
    assert os.listdir(tmp_path / "Maildir" / "new") == []

    again = cli("schedule", "run-once", "bounce-check", "--jobs", str(jobs), "--json")
    assert again.returncode == 0 and json.loads(again.stdout)["details"]["bounces"]["processed"] == 0


def test_a_bounces_job_with_a_missing_mailbox_fails_with_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    configure(monkeypatch, "memory://")
    jobs = tmp_path / "jobs"
    write_job(jobs, "bounce-check", f'job = "bounces"\nevery = "1h"\nsource = "maildir://{tmp_path}/nowhere"\n')
    result = cli("schedule", "run-once", "bounce-check", "--jobs", str(jobs), "--json")
    assert result.returncode == 1
    outcome = json.loads(result.stdout)
    assert outcome["status"] == "failed" and "not a Maildir" in outcome["reason"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('job = "bounces"\nevery = "1h"\n', "source: missing"),
        (
            'job = "bounces"\nevery = "1h"\nsource = "maildir:///m"\nrecipients = "vip"\n',
            "recipients: not a key of a bounces job",
        ),
        (
            'job = "bounces"\nevery = "1h"\nsource = "pop3://x@y/INBOX"\n',
            "source: pop3://x@y/INBOX: expected maildir://",
        ),
        (
            'job = "bounces"\nevery = "1h"\nsource = "imaps://u:pw@h/INBOX"\n',
            "source: put the IMAP password in DIGEST_IMAP_PASSWORD",
        ),
        ('job = "digest"\nevery = "1h"\nsource = "maildir:///m"\n', "source: only bounces jobs read a mailbox"),
    ],
)
def test_bad_bounces_job_files_are_one_line(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(JobFileError, match=message.replace("(", r"\(")) as caught:
        load_job_file(write_job(tmp_path, "b", body))
    assert "\n" not in str(caught.value)
