"""Social cards on the preview page: the same posts and numbers as `digest social --json`,
live counters while editing, and copy buttons that put the post on the clipboard."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from tests.support.preview import preview_server, write_articles, write_config

from digest.render.platforms import check_length

pytestmark = pytest.mark.browser


def run_digest(config: Path, *args: str, stdin: str | None = None) -> Any:
    proc = subprocess.run(
        [sys.executable, "-m", "digest", *args, "--json"],
        input=stdin,
        capture_output=True,
        text=True,
        env={**os.environ, "DIGEST_CONFIG": str(config)},
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def cards(page: Any) -> list[dict[str, Any]]:
    return page.eval_on_selector_all(
        "[data-post]",
        """cs => cs.map(c => ({platform: c.dataset.platform, limit: Number(c.dataset.limit),
            text: c.querySelector('textarea').value,
            length: Number(c.querySelector('[data-length]').textContent),
            over: c.classList.contains('over'), problems: c.querySelector('[data-problems]').textContent}))""",
    )


def test_cards_match_digest_social_and_copy_to_the_clipboard(tmp_path: Path, browser: Any, artifacts_dir: Path) -> None:
    (article,) = write_articles(tmp_path / "articles", ["Night trains return to the northern line"], with_urls=True)
    config = write_config(tmp_path, tmp_path / "articles")
    expected = run_digest(config, "social", str(article.path))["posts"]
    assert [p["platform"] for p in expected] == ["x", "bluesky", "mastodon", "linkedin", "threads"]

    with preview_server(config) as server:
        ctx = browser.new_context(viewport={"width": 1280, "height": 900})
        ctx.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url.rstrip("/"))
        try:
            page = ctx.new_page()
            page.set_default_timeout(10_000)
            page.goto(server.url)
            page.wait_for_function("() => document.body.dataset.counters === 'live'")
            shown = cards(page)
            # the same posts as `digest social --json`, and the live counters show its numbers
            assert [c["platform"] for c in shown] == [p["platform"] for p in expected]
            for card, post in zip(shown, expected, strict=True):
                assert card["text"] == post["text"], card["platform"]
                assert (card["length"], card["limit"]) == (post["length"], post["limit"]), card["platform"]
                assert not card["over"]
            page.locator("#story-1").screenshot(path=str(artifacts_dir / "preview-app-social-cards.png"))
            # /posts.json (linked from the page) holds the same posts
            served = page.request.get(server.url + "posts.json").json()["stories"][0]["posts"]
            assert [(p["platform"], p["text"], p["length"]) for p in served] == [
                (p["platform"], p["text"], p["length"]) for p in expected
            ]

            # copy: X as shown; Bluesky with the link it shows shortened given in full
            page.click("#post-1-x [data-copy]")
            page.wait_for_function("() => document.querySelector('#post-1-x [data-copy]').textContent === 'Copied'")
            assert page.evaluate("navigator.clipboard.readText()") == expected[0]["text"]
            page.click("#post-1-bluesky [data-copy]")
            page.wait_for_timeout(100)
            pasted = page.evaluate("navigator.clipboard.readText()")
            full = expected[1]["links"][0]
            assert full in pasted and "…" not in pasted and "utm_source=bluesky" in full

            # editing updates the counter by the platform's rules, as `digest length` counts
            draft = expected[0]["text"] + " 👨‍👩‍👧‍👦 東京 e\u0301 https://example.org/" + "x" * 80
            page.fill("#post-1-x textarea", draft)
            want = run_digest(config, "length", "--platform", "x", "-", stdin=draft)["length"]
            assert want == check_length(draft, "x").length
            assert page.text_content("#post-1-x [data-length]") == str(want)
            page.click("#post-1-x [data-copy]")
            page.wait_for_timeout(100)
            assert page.evaluate("navigator.clipboard.readText()") == draft

            # over the limit: the card says so, in `digest length`'s words
            page.fill("#post-1-x textarea", "界" * 150)
            assert page.text_content("#post-1-x [data-length]") == "300"
            assert page.get_attribute("#post-1-x", "class").split().count("over") == 1
            assert page.text_content("#post-1-x [data-problems]") == "20 over the limit of 280"
            page.fill("#post-1-threads textarea", " ".join(f"https://example.com/{i}" for i in range(6)))
            assert "6 links, at most 5 allowed" in page.text_content("#post-1-threads [data-problems]")
        finally:
            ctx.close()
