"""Draft, review, approve: a job with approve = true drafts the edition and mails the editors;
edits survive a restart; approval sends it once; a deadline sends or skips it."""

from __future__ import annotations

import email
import email.policy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tests.support.delivery import UNSUBSCRIBE_KEY, check_all, cli, seed
from tests.support.scheduler import write_job
from tests.support.smtp import raws, start_smtp

from digest.config import load_settings
from digest.errors import InputError
from digest.mailing import drafts
from digest.mailing.drafts import Edit, apply_edits, parse_edit
from digest.models import Article, Digest, Story, Summary
from digest.storage.engine import open_engine

FIRE = "2026-03-02T07:00:00Z"
EDITION = "morning@2026-03-02T07:00:00Z"
EDITORS = ["desk@example.org", "night@example.org"]
STORIES = [
    ("harbour", "Harbour barrier approved after a decade of delays"),
    ("ferry", "Night ferry returns to the island route"),
    ("library", "Town library opens on Sundays from March"),
]


@pytest.fixture
def newsroom(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database):  # type: ignore[no-untyped-def]
    """A config with three stories, an approve = true job, editors, a real SMTP server, 4 readers."""
    controller, handler = start_smtp()
    folder = tmp_path / "articles"
    folder.mkdir()
    for n, (name, title) in enumerate(STORIES, start=1):
        text = f"{title}. " + "The council said the change follows months of requests from residents. " * 4
        (folder / f"{n}-{name}.json").write_text(
            json.dumps({"title": title, "text": text, "url": f"https://n.example/{name}"})
        )
    cfg = tmp_path / "digest.toml"
    cfg.write_text(
        f'[[sources]]\ntype = "path"\npath = "{folder}/*.json"\n'
        f'[delivery]\neditors = {json.dumps(EDITORS)}\n[schedule]\nreview_url = "http://127.0.0.1:8765/"\n',
        encoding="utf-8",
    )
    jobs = tmp_path / "jobs"
    write_job(
        jobs, "morning", 'job = "digest"\ncron = "0 7 * * *"\ntimezone = "UTC"\napprove = true\napprove_by = "09:30"\n'
    )
    env = {
        "DIGEST_CONFIG": str(cfg),
        "DIGEST_BACKEND": f"smtp://127.0.0.1:{controller.port}?tls=none",
        "DIGEST_UNSUBSCRIBE_KEY": UNSUBSCRIBE_KEY,
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    settings = load_settings(cfg)
    readers = seed(settings, 4)
    try:
        yield settings, handler, jobs, readers
    finally:
        controller.stop()


def _json(*args: str) -> object:
    result = cli(*args, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.slow
def test_draft_edit_restart_approve_send(newsroom) -> None:  # type: ignore[no-untyped-def]
    settings, handler, jobs, readers = newsroom
    fired = cli("schedule", "run-once", "morning", "--at", FIRE, "--jobs", str(jobs), "--json")
    assert fired.returncode == 0, fired.stderr
    outcome = json.loads(fired.stdout)
    assert outcome["status"] == "draft" and outcome["edition"] == EDITION

    # Only the editors heard of it: a review mail with the link and the stories.
    assert sorted(r for m in handler.messages for r in m.rcpt_tos) == EDITORS
    review = email.message_from_bytes(handler.messages[0].raw, policy=email.policy.default)
    body = review.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "http://127.0.0.1:8765/editions/morning%402026-03-02T07%3A00%3A00Z" in body
    assert all(title in body for _, title in STORIES) and "09:30" in body

    listed = _json("editions", "list")
    assert listed == [{"edition": EDITION, "status": "draft", "stories": 3, "created_at": listed[0]["created_at"]}]  # type: ignore[index]
    refused = cli("send", "--now", "--edition", EDITION)
    assert refused.returncode == 1 and "draft waiting for review" in refused.stderr

    # Each CLI call is its own process: the edits live in the database, not in memory.
    edited = cli("editions", "edit", EDITION, "--drop", "2", "--lede", '1:"Our own first line."')
    assert edited.returncode == 0, edited.stderr
    again = cli("editions", "edit", EDITION, "--pin", "2", "--point", "2:1:An editor's key point.")  # pins go first
    assert again.returncode == 0, again.stderr
    shown = _json("editions", "show", EDITION)
    stories = shown["story_list"]  # type: ignore[index]
    assert [s["title"] for s in stories] == [STORIES[2][1], STORIES[0][1]]
    assert stories[1]["lede"] == "Our own first line." and stories[1]["key_points"][0] == "An editor's key point."
    assert stories[1]["edited"] == ["lede", "key_points.1"] and stories[0]["edited"] == []
    assert len(shown["edits"]) == 4  # type: ignore[index]

    approved = cli("editions", "approve", EDITION, "--json")
    assert approved.returncode == 0, approved.stderr
    assert json.loads(approved.stdout)["sent"] == 4
    sent = [(r, m) for r, m in raws(handler) if r[0] in readers]
    check_all(sent, readers)
    html = email.message_from_bytes(sent[0][1], policy=email.policy.default).get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "Our own first line." in html and "An editor&#39;s key point." in html.replace("&#x27;", "&#39;")
    assert STORIES[1][1] not in html and html.index(STORIES[2][1]) < html.index(STORIES[0][1])

    assert _json("editions", "list")[0]["status"] == "sent"  # type: ignore[index]
    before = len(handler.messages)
    assert cli("editions", "approve", EDITION).returncode == 0  # approving again doubles nobody
    assert len(handler.messages) == before
    refused = cli("editions", "edit", EDITION, "--drop", "1")
    assert refused.returncode == 1 and "not a draft" in refused.stderr
    # A catch-up of the same fire finds the edition: no second review mail, nothing sent.
    catch_up = json.loads(cli("schedule", "run-once", "morning", "--at", FIRE, "--jobs", str(jobs), "--json").stdout)
    assert catch_up["status"] == "duplicate" and len(handler.messages) == before


def test_a_deadline_sends_or_skips_a_draft_nobody_approved(newsroom) -> None:  # type: ignore[no-untyped-def]
    settings, handler, jobs, readers = newsroom
    from digest.schedule.jobs import load_job_file
    from digest.schedule.runner import run_job

    job = load_job_file(jobs / "morning.toml")
    fire = datetime(2026, 3, 2, 7, tzinfo=UTC)
    assert run_job(job, settings, fire_time=fire).status == "draft"
    engine = open_engine(settings)
    (draft,) = drafts.list_editions(engine)
    assert draft.review_by == datetime(2026, 3, 2, 9, 30, tzinfo=UTC).replace(tzinfo=draft.review_by.tzinfo)  # type: ignore[union-attr]
    assert drafts.settle_overdue(settings, now=fire + timedelta(hours=2)) == []  # 09:00: not yet
    ((late, what),) = drafts.settle_overdue(settings, now=fire + timedelta(hours=3))
    assert (late.edition, what) == (EDITION, "skipped")
    assert drafts.get_edition(engine, EDITION).status == "discarded"
    assert not [r for r, _ in raws(handler) if r[0] in readers]

    send_job = job.__class__(**{**job.__dict__, "on_timeout": "send", "name": "evening"})
    assert run_job(send_job, settings, fire_time=fire + timedelta(hours=12)).status == "draft"
    settled = drafts.settle_overdue(settings, now=fire + timedelta(days=1, hours=3))
    assert [what for _, what in settled] == ["sent to 4"]
    assert sorted(r[0] for r, _ in raws(handler) if r[0] in readers) == readers
    engine.dispose()


def test_discard_means_never_sent(newsroom) -> None:  # type: ignore[no-untyped-def]
    settings, handler, jobs, readers = newsroom
    from digest.schedule.jobs import load_job_file
    from digest.schedule.runner import run_job

    run_job(load_job_file(jobs / "morning.toml"), settings, fire_time=datetime(2026, 3, 2, 7, tzinfo=UTC))
    assert drafts.discard(settings, EDITION).status == "discarded"
    with pytest.raises(InputError, match="discarded, not a draft"):
        drafts.approve(settings, EDITION)
    refused = cli("send", "--now", "--edition", EDITION)
    assert refused.returncode == 1 and "was discarded" in refused.stderr
    assert not [r for r, _ in raws(handler) if r[0] in readers]


def _digest(n: int) -> Digest:
    stories = [
        Story(Article(title=f"S{i}", text="t", source="s"), Summary(lede=f"L{i}", key_points=[f"P{i}.1", f"P{i}.2"]))
        for i in range(1, n + 1)
    ]
    return Digest(title="T", date=datetime(2026, 3, 2).date(), stories=stories)


def test_edits_apply_in_order_and_bad_ones_are_one_clear_line() -> None:
    d = _digest(4)
    out = apply_edits(d, [Edit("move", 4, to=1), Edit("drop", 3), Edit("point", 1, point=3, text="New")])
    assert [s.article.title for s in out.stories] == ["S4", "S1", "S3"]
    assert out.stories[0].summary.key_points == ["P4.1", "P4.2", "New"] and out.stories[0].edited == ["key_points.3"]
    assert [s.summary.key_points for s in d.stories][3] == ["P4.1", "P4.2"]  # the original is untouched
    with pytest.raises(InputError, match=r"edit 1 \(drop story 9\): there is no story 9; the draft has 4"):
        apply_edits(d, [Edit("drop", 9)])
    with pytest.raises(InputError, match="story 1 has 2 key points"):
        apply_edits(d, [Edit("point", 1, point=5, text="x")])
    for op, value, message in [
        ("move", "2", "expected FROM:TO"),
        ("lede", '1:""', "expected the new words"),
        ("image", "1:http://plain.example/x.jpg", "an https image URL"),
        ("drop", "zero", "expected a story number"),
    ]:
        with pytest.raises(InputError, match=message):
            parse_edit(op, value)
    assert parse_edit("point", '2:1:"Quoted: with a colon"').text == "Quoted: with a colon"
