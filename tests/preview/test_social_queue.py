"""The post queue in `digest preview --serve`, in real Chromium: counters, approve with the form,
and a form without the page's token refused."""

from __future__ import annotations

import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import pytest
from tests.support.preview import preview_server, write_articles, write_config

from digest.config import load_settings
from digest.publish import postlog
from digest.publish.accounts import Account
from digest.publish.queue import QueueItem, enqueue
from digest.storage.engine import open_engine

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def queued(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, list[int]]:
    articles = tmp_path / "articles"
    write_articles(articles, paragraphs=2, with_urls=True)
    config = write_config(tmp_path, articles)
    monkeypatch.setenv("DIGEST_CONFIG", str(config))
    settings = load_settings(config)
    engine = open_engine(settings)
    try:
        account = Account(name="desk", platform="mastodon", instance="https://mastodon.example")
        items = [
            QueueItem(
                story=f"url:https://news.example/{i}",
                text=f"Story {i} in a few words https://news.example/{i}",
                title=f"Story {i}",
            )  # fmt: skip
            for i in (1, 2)
        ]
        rows = enqueue(engine, settings, account, items, job="posts", approve=True, start=datetime.now(UTC))
    finally:
        engine.dispose()
    return config, [r.id for r in rows]


def test_approve_from_the_queue_page(browser, queued) -> None:  # type: ignore[no-untyped-def]
    config, ids = queued
    with preview_server(config) as server:
        page = browser.new_page(viewport={"width": 1100, "height": 900})
        try:
            page.goto(server.url + "social")
            assert "2 queued" in page.locator(".counts").inner_text()
            assert page.locator(f"#post-{ids[0]} .counter").inner_text() == "45/500"  # Mastodon counts every link as 23
            page.get_by_role("button", name=f"Approve #{ids[0]}").click()
            page.wait_for_load_state("load")
            assert f"Approved post {ids[0]}" in page.get_by_role("status").inner_text()
            assert "1 queued" in page.locator(".counts").inner_text()
            assert "1 approved" in page.locator(".counts").inner_text()
            req = urllib.request.Request(
                server.url + "social/approve", data=f"token=x&id={ids[1]}".encode(), method="POST"
            )
            req.add_header("Origin", server.url.rstrip("/"))
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(req, timeout=10)
            refused.value.close()  # the error holds the open response: close it, not the GC
            assert refused.value.code == 403
        finally:
            page.close()
    settings = load_settings(config)
    engine = open_engine(settings)
    try:
        assert [postlog.get(engine, i).status for i in ids] == ["approved", "queued"]
    finally:
        engine.dispose()
