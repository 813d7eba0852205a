"""The "social" job against a real SMTP server: copy-ready posts, JSON, exactly once, only new."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from tests.support.scheduler import write_job

from digest.config import load_settings
from digest.schedule.jobs import load_job_file
from digest.schedule.runner import run_job

PARK = (
    "Council approves new riverside park\n\n"
    "The city council voted on Tuesday to approve a new riverside park after two years of debate. "
    "The park will cover twelve hectares along the east bank. Construction starts in the spring and "
    "should finish within three years, officials said. Residents had campaigned for more green space.\n"
)
TRAMS = (
    "Night trams return to the city centre\n\n"
    "Night trams will run again on weekends from next month, the transport authority announced. "
    "The service was cut three years ago to save money. Late-shift workers and venue owners had "
    "asked for its return. Trams will run every twenty minutes until four in the morning.\n"
)


@pytest.fixture
def setup(tmp_path: Path, smtp_server, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    host, port, handler = smtp_server
    monkeypatch.setenv("DIGEST_BACKEND", f"smtp://{host}:{port}?tls=none")
    articles = tmp_path / "articles"
    articles.mkdir()
    (articles / "park.txt").write_text(PARK, encoding="utf-8")
    job = load_job_file(
        write_job(
            tmp_path / "jobs",
            "social",
            'job = "social"\ncron = "30 6 * * 1-5"\neditors = ["desk@example.org", "web@example.org"]\n'
            f'sources = ["{articles}"]\n',
        )
    )
    return load_settings(), job, handler, articles


def test_social_copy_email_and_json(setup, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings, job, handler, _ = setup
    outcome = run_job(job, settings, fire_time=datetime(2026, 3, 2, 6, 30, tzinfo=UTC))
    assert outcome.status == "sent", outcome.reason
    assert sorted(r for m in handler.messages for r in m.rcpt_tos) == ["desk@example.org", "web@example.org"]
    msg = handler.messages[0].message
    assert msg["Subject"].startswith("Social copy") and "1 new story" in msg["Subject"]
    text = msg.get_body(("plain",)).get_content()
    record = json.loads((tmp_path / "data" / "social" / "social@2026-03-02T06-30-00Z.json").read_text())
    assert record["edition"] == "social@2026-03-02T06:30:00Z"
    (story,) = record["stories"]
    assert story["title"] == "Council approves new riverside park"
    platforms = [p["platform"] for p in story["posts"]]
    assert platforms == list(settings.social.platforms)
    for post in story["posts"]:
        assert post["counter"] == f"{post['length']}/{post['limit']}" and post["fits"]
        assert f"--- {post['platform']} ({post['counter']}) ---" in text
        assert post["text"] in text.replace("\r\n", "\n"), text  # copy-ready: the exact post text, unwrapped
    html = msg.get_body(("html",)).get_content()
    assert "riverside park" in html and "<script" not in html


def test_social_copy_is_sent_once_per_fire_and_only_for_new_stories(setup) -> None:  # type: ignore[no-untyped-def]
    settings, job, handler, articles = setup
    first = datetime(2026, 3, 2, 6, 30, tzinfo=UTC)
    assert run_job(job, settings, fire_time=first).status == "sent"
    assert len(handler.messages) == 2  # one per editor

    again = run_job(job, settings, fire_time=first)  # catch-up or retry of the same fire
    assert again.status == "duplicate" and len(handler.messages) == 2

    quiet = run_job(job, settings, fire_time=datetime(2026, 3, 3, 6, 30, tzinfo=UTC))
    assert quiet.status == "skipped" and quiet.reason == "nothing new" and len(handler.messages) == 2

    (articles / "trams.txt").write_text(TRAMS, encoding="utf-8")
    news = run_job(job, settings, fire_time=datetime(2026, 3, 4, 6, 30, tzinfo=UTC))
    assert news.status == "sent" and len(handler.messages) == 4
    text = handler.messages[-1].message.get_body(("plain",)).get_content()
    assert "Night trams return" in text and "riverside park" not in text
