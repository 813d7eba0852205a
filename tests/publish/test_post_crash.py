"""kill -9 of a real `digest post --thread` mid-thread, then a re-run: complete, nothing doubled."""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from tests.publish.cli_support import ARTICLE, Project
from tests.support.faultproxy import fault_proxy
from tests.support.mastodon import MastodonMock
from tests.support.pds import LocalPDS

URL = "https://news.example/crash-story"
pytestmark = pytest.mark.slow


def kill_after_first_post(project: Project, account: str, count: Callable[[], int]) -> int:
    """Start the thread, SIGKILL the process once the first part is on the platform; the parts it had."""
    proc = project.popen("post", str(ARTICLE), "--account", account, "--url", URL, "--thread", "--json")
    try:
        deadline = time.monotonic() + 90
        while count() < 1:
            assert proc.poll() is None, f"digest post ended before the kill: {proc.communicate()}"
            assert time.monotonic() < deadline, "no post appeared"
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    return count()


def thread_length(project: Project, account: str) -> int:
    shown = project.json("post", str(ARTICLE), "--account", account, "--url", URL, "--thread", "--dry-run", "--json")
    return len(shown["posts"])


def test_mastodon_thread_killed_mid_way(project_dir: Path, mastodon: MastodonMock, unique: str) -> None:
    account_id, token = mastodon.new_user(f"crash{unique}")
    project = Project(project_dir)
    project.add({"DIGEST_MASTODON_TOKEN_MASTO": token}, name="masto", platform="mastodon", instance=mastodon.base)
    parts = thread_length(project, "masto")
    assert parts >= 3
    mastodon.add_fault(
        {
            "match": {"methods": ["POST"], "path": "/api/v1/statuses"},
            "effect": {"type": "latency", "delay_ms": 1500},
            "count": 100,
        }
    )
    before = kill_after_first_post(project, "masto", lambda: len(mastodon.statuses(account_id, token)))
    mastodon.clear_faults()
    assert before < parts, "the kill came too late to leave the thread unfinished"
    time.sleep(2)  # let an answer held by the fault finish on the server's side
    done = project.run("post", str(ARTICLE), "--account", "masto", "--url", URL, "--thread", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)["posts"]
    assert len(report) == parts and {p["status"] for p in report} <= {"posted", "already_posted"}
    assert report[0]["status"] == "already_posted"
    statuses = mastodon.statuses(account_id, token)
    assert len(statuses) == parts, "a part was doubled or is missing"
    by_id = {s["id"]: s for s in statuses}
    ids = [p["id"] for p in report]
    assert [by_id[i]["in_reply_to_id"] for i in ids] == [None, *ids[:-1]]


def test_bluesky_thread_killed_mid_way(project_dir: Path, pds: LocalPDS, unique: str) -> None:
    who = pds.create_account(f"crash{unique}.test")
    with fault_proxy(pds.base) as proxy:
        project = Project(project_dir)
        project.add({"DIGEST_BLUESKY_APP_PASSWORD_SKY": who.app_password}, name="sky", platform="bluesky",
                    handle=who.handle, service=proxy.base)  # fmt: skip
        parts = thread_length(project, "sky")
        proxy.slow["com.atproto.repo.createRecord"] = 1.5  # the record is written, the answer held
        before = kill_after_first_post(project, "sky", lambda: len(pds.list_posts(who.did)))
        proxy.slow.clear()
        assert before < parts, "the kill came too late to leave the thread unfinished"
        done = project.run("post", str(ARTICLE), "--account", "sky", "--url", URL, "--thread", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)["posts"]
    assert len(report) == parts and {p["status"] for p in report} <= {"posted", "already_posted"}
    records = {r["uri"]: r["value"] for r in pds.list_posts(who.did)}
    assert len(records) == parts, "a part was doubled or is missing"
    uris = [p["id"] for p in report]
    assert "reply" not in records[uris[0]]
    for before_uri, uri in zip(uris, uris[1:], strict=False):
        assert records[uri]["reply"]["parent"]["uri"] == before_uri
        assert records[uri]["reply"]["root"]["uri"] == uris[0]


@pytest.fixture
def project_dir(tmp_path: Path) -> Path:
    return tmp_path
