"""`digest social` and `digest length` as a user runs them (a real subprocess)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.support.paths import DATA, ROOT

SEED = DATA / "qonversations-xi-blinken.txt"
URL = "https://qonversations.com/news/xi-jinping-blinken"


def digest(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    return subprocess.run(
        [sys.executable, "-m", "digest", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )


def test_social_json_for_the_seed_article() -> None:
    result = digest("social", str(SEED), "--url", URL, "--json")
    assert result.returncode == 0, result.stderr
    posts = json.loads(result.stdout)["posts"]
    assert [p["platform"] for p in posts] == ["x", "bluesky", "mastodon", "linkedin", "threads"]
    for post in posts:
        assert {"platform", "text", "length", "limit", "links", "hashtags"} <= post.keys()
        assert "thread" not in post
        assert 0 < post["length"] <= post["limit"]
        assert post["links"][0] == f"{URL}?utm_source={post['platform']}&utm_medium=social"
        assert post["text"].startswith("The key words used by both China’s leader Xi Jinping")
        assert all(tag.startswith("#") for tag in post["hashtags"]) and len(post["hashtags"]) <= 2
        checked = json.loads(digest("length", "--platform", post["platform"], "-", "--json", stdin=post["text"]).stdout)
        assert checked == {
            "platform": post["platform"],
            "length": post["length"],
            "limit": post["limit"],
            "valid": True,
        }
    bluesky = posts[1]
    data = bluesky["text"].encode("utf-8")
    link = next(f for f in bluesky["facets"] if f["features"][0]["$type"] == "app.bsky.richtext.facet#link")
    assert link["features"][0]["uri"] == bluesky["links"][0]
    assert data[link["index"]["byteStart"] : link["index"]["byteEnd"]].decode().startswith("qonversations.com/")
    assert "facets" not in posts[0]


def test_social_thread_and_platform_selection() -> None:
    result = digest(
        "social", str(SEED), "--url", URL, "--platform", "X", "--platform", "mastodon", "--thread", "--json"
    )
    assert result.returncode == 0, result.stderr
    posts = json.loads(result.stdout)["posts"]
    assert [p["platform"] for p in posts] == ["x", "mastodon"]
    for post in posts:
        parts = post["thread"]
        assert len(parts) >= 2
        assert all(part.startswith(f"{i}/{len(parts)} ") for i, part in enumerate(parts, start=1))


def test_social_human_output_has_a_header_per_post() -> None:
    result = digest("social", "-", "--url", URL, "--platform", "x", stdin=SEED.read_text(encoding="utf-8"))
    assert result.returncode == 0, result.stderr
    header, _, body = result.stdout.partition("\n")
    assert header.startswith("x  (") and header.endswith("/280)")
    assert f"{URL}?utm_source=x&utm_medium=social" in body


def test_unknown_platform_is_a_usage_error_listing_the_valid_ones() -> None:
    result = digest("social", str(SEED), "--platform", "myspace")
    assert result.returncode == 2
    for name in ("x", "bluesky", "mastodon", "linkedin", "threads"):
        assert name in result.stderr
    assert digest("length", "--platform", "friendster", "hi").returncode == 2


def test_empty_article_is_one_line_error(tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("  \n\n", encoding="utf-8")
    result = digest("social", str(empty))
    assert result.returncode == 1
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1 and "empty" in result.stderr
    assert "Traceback" not in result.stderr


def test_length_command() -> None:
    result = digest("length", "--platform", "x", "Hi http://test.co", "--json")
    assert json.loads(result.stdout) == {"platform": "x", "length": 26, "limit": 280, "valid": True}
    over = digest("length", "--platform", "bluesky", "-", "--json", stdin="é" * 301 + "\n")
    assert json.loads(over.stdout) == {"platform": "bluesky", "length": 301, "limit": 300, "valid": False}
    human = digest("length", "--platform", "threads", "😷 " * 300)
    assert human.returncode == 0 and human.stdout.startswith("threads  900/500  does NOT fit")
