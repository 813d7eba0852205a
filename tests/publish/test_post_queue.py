"""Social jobs with post_to: spaced posting at the fire, approval, edit, drop, and a restart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tests.docs.test_json_shapes import check
from tests.publish.cli_support import Project
from tests.support.mastodon import MastodonMock
from tests.support.paths import ROOT

from digest.config import load_settings
from digest.errors import ConfigError
from digest.publish import postlog
from digest.publish.queue import post_due
from digest.schedule.jobs import JobFileError, parse_job
from digest.storage.engine import open_engine

ARTICLES = ROOT / "examples" / "articles"


def job_file(project: Project, **keys: object) -> Path:
    folder = project.root / "scheduled"
    folder.mkdir(exist_ok=True)
    lines = ['job = "social"', 'every = "1d"', f'sources = ["{ARTICLES}"]']
    lines += [
        f"{k} = {str(v).lower() if isinstance(v, bool) else repr(v).replace(chr(39), chr(34))}" for k, v in keys.items()
    ]
    (folder / "posts.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def post_due_later(project: Project, minutes: int) -> list[str]:
    settings = load_settings(project.config, env={**project.env()})
    engine = open_engine(settings)
    try:
        return [o.status for o in post_due(engine, settings, datetime.now(UTC) + timedelta(minutes=minutes))]
    finally:
        engine.dispose()


@pytest.fixture
def project(tmp_path: Path, mastodon: MastodonMock, unique: str) -> tuple[Project, str, str]:
    account_id, token = mastodon.new_user(f"q{unique}")
    p = Project(tmp_path, social={"spacing": "10m"})
    p.add({"DIGEST_MASTODON_TOKEN_DESK": token}, name="desk", platform="mastodon", instance=mastodon.base)
    return p, account_id, token


@pytest.mark.slow
def test_posts_go_out_spaced_and_survive_a_restart(
    project: tuple[Project, str, str], mastodon: MastodonMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    p, account_id, token = project
    jobs = job_file(p, post_to=["desk"])
    fired = p.json("schedule", "run-once", "posts", "--jobs", str(jobs), "--json")
    assert fired["status"] == "sent", fired
    stories = fired["details"]["stories"]
    assert stories >= 3 and fired["details"]["queued_posts"] == stories
    assert len(mastodon.statuses(account_id, token)) == 1  # the first at the fire, the rest spaced
    waiting = p.json("social", "queue", "--json")
    check("digest social queue --json", waiting)
    times = [datetime.fromisoformat(x["not_before"]) for x in waiting["posts"]]
    assert {x["status"] for x in waiting["posts"]} == {"approved"}
    assert all(b - a == timedelta(minutes=10) for a, b in zip(times, times[1:], strict=False))
    assert waiting["counts"]["posted"] == 1 and waiting["counts"]["approved"] == stories - 1
    # a new process (the scheduler restarted) finds them in the post log and posts what is due
    for name, value in {"DIGEST_DATA_DIR": str(p.data), **p.secrets}.items():
        monkeypatch.setenv(name, value)
    assert post_due_later(p, 11) == ["posted"]
    assert post_due_later(p, 60 * 24) == ["posted"] * (stories - 2)
    assert len(mastodon.statuses(account_id, token)) == stories
    again = p.json("schedule", "run-once", "posts", "--jobs", str(jobs), "--json")
    assert again["status"] in ("skipped", "duplicate")
    assert len(mastodon.statuses(account_id, token)) == stories


@pytest.mark.slow
def test_approve_edit_drop(project: tuple[Project, str, str], mastodon: MastodonMock, tmp_path: Path,
                           monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    p, account_id, token = project
    jobs = job_file(p, post_to=["desk"], approve=True)
    fired = p.json("schedule", "run-once", "posts", "--jobs", str(jobs), "--json")
    assert fired["status"] == "sent"
    assert mastodon.statuses(account_id, token) == []
    waiting = p.json("social", "queue", "--json")["posts"]
    assert {x["status"] for x in waiting} == {"queued"} and all(x["not_before"] is None for x in waiting)
    first, second = waiting[0]["id"], waiting[1]["id"]
    edited = tmp_path / "edited.txt"
    edited.write_text("An editor's words https://news.example/edited\n", encoding="utf-8")
    assert p.run("social", "edit", str(first), "--text-file", str(edited)).returncode == 0
    too_long = tmp_path / "long.txt"
    too_long.write_text("word " * 200, encoding="utf-8")
    refused = p.run("social", "edit", str(first), "--text-file", str(too_long))
    assert refused.returncode == 1 and "/500" in refused.stderr
    assert p.run("social", "drop", str(second)).returncode == 0
    assert p.run("social", "approve", "--all").returncode == 0
    for name, value in {"DIGEST_DATA_DIR": str(p.data), **p.secrets}.items():
        monkeypatch.setenv(name, value)
    statuses = post_due_later(p, 60 * 24)
    assert statuses == ["posted"] * (len(waiting) - 1)
    posted = mastodon.statuses(account_id, token)
    assert len(posted) == len(waiting) - 1
    assert any("An editor&#39;s words" in s["content"] or "An editor's words" in s["content"] for s in posted)
    counts = p.json("social", "queue", "--json")["counts"]
    assert counts["dropped"] == 1 and counts["posted"] == len(waiting) - 1
    dropped_again = p.run("social", "approve", str(second))
    assert dropped_again.returncode == 1 and "dropped" in dropped_again.stderr


def test_job_file_keys(tmp_path: Path) -> None:
    path = tmp_path / "j.toml"
    job = parse_job({"job": "social", "every": "1h", "post_to": ["a", "b"], "approve": True}, path)
    assert job.post_to == ("a", "b") and job.approve
    with pytest.raises(JobFileError, match="post_to: only a social job posts"):
        parse_job({"job": "digest", "every": "1h", "post_to": ["a"]}, path)
    with pytest.raises(JobFileError, match="approve: a social job without post_to"):
        parse_job({"job": "social", "every": "1h", "approve": True}, path)
    with pytest.raises(JobFileError, match="post_to: an account is named twice"):
        parse_job({"job": "social", "every": "1h", "post_to": ["a", "a"]}, path)


def test_config_accounts(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('[[social.accounts]]\nname = "a"\nplatform = "mastodon"\ninstanse = "x"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"instanse: unknown key \(did you mean instance\?"):
        load_settings(config, env={})
    config.write_text('[[social.accounts]]\nname = "a"\nplatform = "bluesky"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="a bluesky account needs handle"):
        load_settings(config, env={})
    config.write_text('[social]\nspacing = "soon"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\[social\] spacing: expected a duration"):
        load_settings(config, env={})
    config.write_text(
        '[[social.accounts]]\nname = "a"\nplatform = "mastodon"\ninstance = "https://m.example/"\n'
        '[[social.accounts]]\nname = "a"\nplatform = "x"\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="the name is used by an earlier account"):
        load_settings(config, env={})


def test_an_edited_bluesky_text_keeps_its_links_and_tags() -> None:
    from digest.publish.queue import edited_facets

    old = "Harbour barrier approved news.example/harbour #Harbour"
    target = "https://news.example/harbour?utm=1"
    link = {
        "index": {"byteStart": 25, "byteEnd": 45},
        "features": [{"$type": "app.bsky.richtext.facet#link", "uri": target}],
    }
    tag = {
        "index": {"byteStart": 46, "byteEnd": 54},
        "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": "Harbour"}],
    }
    new = "Ça y est : news.example/harbour #Harbour and https://other.example/x"
    facets = edited_facets(old, [link, tag], new)
    assert facets is not None
    raw = new.encode("utf-8")
    found = [(raw[f["index"]["byteStart"] : f["index"]["byteEnd"]].decode(), f["features"][0]) for f in facets]
    assert found == [
        ("news.example/harbour", link["features"][0]),
        ("#Harbour", tag["features"][0]),
        ("https://other.example/x", {"$type": "app.bsky.richtext.facet#link", "uri": "https://other.example/x"}),
    ]


def test_the_scheduler_looks_at_the_queue_only_for_posting_jobs(tmp_path: Path) -> None:
    from tests.support.scheduler import SteppedScheduler

    from digest.schedule.service import QUEUE_CHECK_SECONDS, configure_scheduler

    settings = load_settings(env={"DIGEST_DATA_DIR": str(tmp_path / "data")})
    posting = parse_job({"job": "social", "every": "1h", "post_to": ["desk"]}, tmp_path / "posts.toml")
    copy_only = parse_job({"job": "social", "every": "1h"}, tmp_path / "copy.toml")
    for jobs, expected in (([copy_only], False), ([copy_only, posting], True)):
        sched = SteppedScheduler(timezone=UTC)
        configure_scheduler(sched, settings, jobs, inline=True)
        found = sched.get_job("post-queue")
        assert (found is not None) == expected
        if found is not None:
            assert found.trigger.interval == timedelta(seconds=QUEUE_CHECK_SECONDS)
            assert found.func.__name__ == "post_queued"


def test_one_refused_account_leaves_the_others_posting(
    tmp_path: Path, mastodon: MastodonMock, unique: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from digest.publish.accounts import Account
    from digest.publish.queue import QueueItem, enqueue

    good_id, good_token = mastodon.new_user(f"good{unique}")
    p = Project(tmp_path, social={"spacing": "1m"})
    p.add({"DIGEST_MASTODON_TOKEN_GOOD": good_token}, name="good", platform="mastodon", instance=mastodon.base)
    p.add({"DIGEST_MASTODON_TOKEN_BAD": "revoked-token-456"}, name="bad", platform="mastodon", instance=mastodon.base)
    for name, value in {"DIGEST_DATA_DIR": str(p.data), **p.secrets}.items():
        monkeypatch.setenv(name, value)
    settings = load_settings(p.config)
    engine = open_engine(settings)
    try:
        now = datetime.now(UTC)
        for name in ("bad", "good"):
            account = Account(name=name, platform="mastodon", instance=mastodon.base)
            items = [QueueItem(story=f"url:https://news.example/{i}", text=f"Story {i} for {name}") for i in (1, 2)]
            enqueue(engine, settings, account, items, job="posts", approve=False, start=now)
        outcomes = post_due(engine, settings, now + timedelta(minutes=5))
        assert [(o.account, o.status) for o in outcomes] == [("good", "posted"), ("good", "posted")]
        bad = [r for r in postlog.listing(engine) if r.account == "bad"]
        assert [r.status for r in bad] == ["failed", "approved"]  # the first was tried; the second waits
        assert "revoked-token-456" not in (bad[0].message or "") and "DIGEST_MASTODON_TOKEN_BAD" in (
            bad[0].message or ""
        )
    finally:
        engine.dispose()
    assert len(mastodon.statuses(good_id, good_token)) == 2
