"""`digest post` and `digest social accounts` as real processes, posting to the local servers."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.docs.test_json_shapes import check
from tests.publish.cli_support import ARTICLE, Project
from tests.support.mastodon import MastodonMock
from tests.support.pds import LocalPDS
from tests.support.xserver import XServer

URL = "https://news.example/xi-blinken"
pytestmark = pytest.mark.slow  # each test starts `digest` as a real process two or more times


@pytest.fixture
def project(tmp_path: Path) -> Project:
    p = Project(tmp_path)
    p.write_config()
    return p


def test_post_to_mastodon_once_then_already_posted(project: Project, mastodon: MastodonMock, unique: str) -> None:
    account_id, token = mastodon.new_user(f"cli{unique}")
    project.add({"DIGEST_MASTODON_TOKEN_NEWS": token}, name="news", platform="mastodon", instance=mastodon.base)
    first = project.json("post", str(ARTICLE), "--account", "news", "--url", URL, "--json")
    check("digest post SOURCE --json", first)
    [posted] = first["posts"]
    assert posted["status"] == "posted" and posted["platform"] == "mastodon" and posted["account"] == "news"
    again = project.json("post", str(ARTICLE), "--account", "news", "--url", URL, "--json")
    assert [(p["status"], p["id"]) for p in again["posts"]] == [("already_posted", posted["id"])]
    statuses = mastodon.statuses(account_id, token)
    assert [s["id"] for s in statuses] == [posted["id"]]
    assert "news.example/xi-blinken" in statuses[0]["content"]


def test_text_file_and_a_too_long_text(project: Project, mastodon: MastodonMock, unique: str, tmp_path: Path) -> None:
    account_id, token = mastodon.new_user(f"edit{unique}")
    project.add({"DIGEST_MASTODON_TOKEN_DESK": token}, name="desk", platform="mastodon", instance=mastodon.base)
    long = tmp_path / "long.txt"
    long.write_text("word " * 200, encoding="utf-8")
    refused = project.run("post", str(ARTICLE), "--account", "desk", "--url", URL, "--text-file", str(long))
    assert refused.returncode == 1 and "mastodon" in refused.stderr and "/500" in refused.stderr
    assert "Traceback" not in refused.stderr
    edited = tmp_path / "edited.txt"
    edited.write_text("Our own words on the meeting\n\nhttps://news.example/xi-blinken\n", encoding="utf-8")
    done = project.json("post", str(ARTICLE), "--account", "desk", "--url", URL, "--text-file", str(edited), "--json")
    assert done["posts"][0]["status"] == "posted"
    [status] = mastodon.statuses(account_id, token)
    assert "Our own words on the meeting" in status["content"]


def test_dry_run_posts_nothing(project: Project, mastodon: MastodonMock, unique: str) -> None:
    account_id, token = mastodon.new_user(f"dry{unique}")
    project.add({"DIGEST_MASTODON_TOKEN_DRY": token}, name="dry", platform="mastodon", instance=mastodon.base)
    shown = project.json("post", str(ARTICLE), "--account", "dry", "--url", URL, "--thread", "--dry-run", "--json")
    check("digest post SOURCE --json", shown)
    assert len(shown["posts"]) > 1 and {p["status"] for p in shown["posts"]} == {"would_post"}
    assert mastodon.statuses(account_id, token) == []


def test_unknown_account_and_a_refused_token_are_one_line(
    project: Project, mastodon: MastodonMock, unique: str
) -> None:
    project.add({"DIGEST_MASTODON_TOKEN_BAD": "not-a-real-token-123"}, name="bad", platform="mastodon",
                instance=mastodon.base)  # fmt: skip
    nope = project.run("post", str(ARTICLE), "--account", "nobody", "--url", URL)
    assert nope.returncode == 1 and nope.stderr.strip().splitlines() == [
        "error: no social account named 'nobody' ([[social.accounts]] in digest.toml: bad)"
    ]
    refused = project.run("post", str(ARTICLE), "--account", "bad", "--url", URL)
    assert refused.returncode == 1
    assert "not-a-real-token-123" not in refused.stderr + refused.stdout
    assert refused.stderr.strip().splitlines()[-1].startswith("error: ")
    listed = project.run("social", "accounts", "--json")
    assert listed.returncode == 1
    assert "not-a-real-token-123" not in listed.stdout + listed.stderr


def test_social_accounts_verifies_without_posting(
    project: Project, mastodon: MastodonMock, pds: LocalPDS, unique: str
) -> None:
    account_id, token = mastodon.new_user(f"acct{unique}")
    who = pds.create_account(f"acct{unique}.test")
    project.add({"DIGEST_MASTODON_TOKEN_MASTO": token}, name="masto", platform="mastodon", instance=mastodon.base)
    project.add({"DIGEST_BLUESKY_APP_PASSWORD_SKY": who.app_password}, name="sky", platform="bluesky",
                handle=who.handle, service=pds.base)  # fmt: skip
    listed = project.json("social", "accounts", "--json")
    check("digest social accounts --json", listed)
    assert [(a["name"], a["ok"], a["handle"]) for a in listed["accounts"]] == [
        ("masto", True, f"@acct{unique}@127.0.0.1"),
        ("sky", True, f"@{who.handle}"),
    ]
    text = project.run("social", "accounts")
    assert text.returncode == 0 and token not in text.stdout and who.app_password not in text.stdout
    assert mastodon.statuses(account_id, token) == [] and pds.list_posts(who.did) == []


def test_bluesky_thread_replies_in_order_with_card_and_facets(project: Project, pds: LocalPDS, unique: str) -> None:
    who = pds.create_account(f"thr{unique}.test")
    project.add({"DIGEST_BLUESKY_APP_PASSWORD_SKY": who.app_password}, name="sky", platform="bluesky",
                handle=who.handle, service=pds.base)  # fmt: skip
    done = project.json("post", str(ARTICLE), "--account", "sky", "--url", URL, "--thread", "--json")
    check("digest post SOURCE --json", done)
    parts = done["posts"]
    assert len(parts) > 1 and {p["status"] for p in parts} == {"posted"}
    assert [p["part"] for p in parts] == list(range(1, len(parts) + 1))
    records = {p["uri"]: p for p in pds.list_posts(who.did)}
    first = records[parts[0]["id"]]["value"]
    assert first["embed"]["external"]["uri"].startswith(URL)
    assert any(f["features"][0]["$type"] == "app.bsky.richtext.facet#link" for f in first["facets"])
    for before, after in zip(parts, parts[1:], strict=False):
        reply = records[after["id"]]["value"]["reply"]
        assert reply["parent"]["uri"] == before["id"] and reply["root"]["uri"] == parts[0]["id"]
    again = project.json("post", str(ARTICLE), "--account", "sky", "--url", URL, "--thread", "--json")
    assert [p["status"] for p in again["posts"]] == ["already_posted"] * len(parts)
    assert len(pds.list_posts(who.did)) == len(parts)


def test_x_unknown_needs_confirmation(project: Project, x_server: XServer, unique: str) -> None:
    creds = x_server.add_user(f"x{unique}")
    project.add(creds.env("bird"), name="bird", platform="x", service=x_server.base)
    x_server.fail_next.append(503)  # the tweet is made, the answer says 503: did it go out?
    first = project.run("post", str(ARTICLE), "--account", "bird", "--url", URL, "--json")
    assert first.returncode == 1 and "--confirm-unknown" in first.stderr
    again = project.run("post", str(ARTICLE), "--account", "bird", "--url", URL, "--json")
    assert again.returncode == 1 and "may have been posted" in again.stderr
    assert len(x_server.tweets_by(f"x{unique}")) == 1  # nothing sent while in doubt
    confirmed = project.run("post", str(ARTICLE), "--account", "bird", "--url", URL, "--confirm-unknown", "--json")
    assert "may appear twice" in confirmed.stderr
    # X recognises the same text as a duplicate: reported as already there, still one tweet
    assert confirmed.returncode == 0, confirmed.stderr
    assert '"already_posted"' in confirmed.stdout
    assert len(x_server.tweets_by(f"x{unique}")) == 1
    later = project.run("post", str(ARTICLE), "--account", "bird", "--url", URL, "--json")
    assert later.returncode == 0 and '"already_posted"' in later.stdout
