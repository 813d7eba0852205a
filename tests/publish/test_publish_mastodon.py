"""Posting to a real Mastodon API imitation (mastodon-mock) through digest's publisher."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from tests.support.mastodon import MastodonMock, running_mastodon_mock

from digest.errors import ConfigError, CredentialsError
from digest.publish import Account, LinkCard, PostKey, PostRequest, PublisherOptions, RetryPolicy, post_thread
from digest.publish.mastodon import REPLAY_SLACK, MastodonPublisher


def publisher(server: MastodonMock, name: str, token: str, options: PublisherOptions) -> MastodonPublisher:
    account = Account(name=name, platform="mastodon", instance=server.base)
    return MastodonPublisher(account, {f"DIGEST_MASTODON_TOKEN_{name.upper()}": token}, options)


def test_verify_says_who_the_account_is(mastodon: MastodonMock, unique: str, fast_options: PublisherOptions) -> None:
    account_id, token = mastodon.new_user(f"verify{unique}")
    with publisher(mastodon, unique, token, fast_options) as pub:
        info = pub.verify()
    assert info.id == account_id
    assert info.handle == f"@verify{unique}@127.0.0.1"
    assert info.platform == "mastodon" and info.account == unique
    assert mastodon.statuses(account_id, token) == []


def test_single_post(mastodon: MastodonMock, unique: str, fast_options: PublisherOptions) -> None:
    account_id, token = mastodon.new_user(f"single{unique}")
    text = "Harbour barrier approved after a decade of delays\n\nhttps://news.example/harbour"
    card = LinkCard("https://news.example/harbour", "Harbour barrier approved")
    with publisher(mastodon, unique, token, fast_options) as pub:
        result = pub.post(PostRequest(text=text, key=PostKey("story-1", unique), card=card))
    assert result.status == "posted", result.message
    assert result.warnings == ()
    statuses = mastodon.statuses(account_id, token)
    assert [s["id"] for s in statuses] == [result.ref.id if result.ref else None]
    assert "Harbour barrier approved" in statuses[0]["content"]
    assert result.url == statuses[0]["url"]


def test_thread_is_replies_in_order(mastodon: MastodonMock, unique: str, fast_options: PublisherOptions) -> None:
    account_id, token = mastodon.new_user(f"thread{unique}")
    parts = [PostRequest(text=f"{i}/3 part {i}", key=PostKey("story-thread", unique, i)) for i in (1, 2, 3)]
    with publisher(mastodon, unique, token, fast_options) as pub:
        results = post_thread(pub, parts)
    assert [r.status for r in results] == ["posted"] * 3
    ids = [r.ref.id for r in results if r.ref]
    got = [mastodon.status(i, token) for i in ids]
    assert [s["in_reply_to_id"] for s in got] == [None, ids[0], ids[1]]
    assert [s["content"] for s in got] == [f"<p>{i}/3 part {i}</p>" for i in (1, 2, 3)]


def test_same_key_twice_makes_one_status(mastodon: MastodonMock, unique: str, fast_options: PublisherOptions) -> None:
    account_id, token = mastodon.new_user(f"idem{unique}")
    request = PostRequest(text="Only once, please", key=PostKey("story-idem", unique))
    with publisher(mastodon, unique, token, fast_options) as pub:
        first = pub.post(request)
        second = pub.post(request)
        other = pub.post(PostRequest(text="Only once, please", key=PostKey("story-idem", unique, 2)))
    assert (first.status, second.status, other.status) == ("posted", "already_posted", "posted")
    assert first.ref == second.ref and other.ref != first.ref
    assert len(mastodon.statuses(account_id, token)) == 2


@pytest.mark.slow
def test_a_rerun_in_a_new_process_recognises_the_status(
    mastodon: MastodonMock, unique: str, fast_options: PublisherOptions
) -> None:
    """A fresh publisher (as after a crash) is told by Mastodon's idempotency and sees the old created_at."""
    account_id, token = mastodon.new_user(f"rerun{unique}")
    request = PostRequest(text="Posted before the crash", key=PostKey("story-rerun", unique))
    with publisher(mastodon, unique, token, fast_options) as pub:
        assert pub.post(request).status == "posted"
    time.sleep(REPLAY_SLACK + 1.2)
    with publisher(mastodon, unique, token, fast_options) as pub:
        again = pub.post(request)
    assert again.status == "already_posted"
    assert len(mastodon.statuses(account_id, token)) == 1


def test_server_errors_are_retried(mastodon: MastodonMock, unique: str, fast_options: PublisherOptions) -> None:
    account_id, token = mastodon.new_user(f"retry{unique}")
    mastodon.add_fault(
        {"match": {"methods": ["POST"], "path": "/api/v1/statuses"}, "effect": {"status": 503}, "count": 2}
    )
    with publisher(mastodon, unique, token, fast_options) as pub:
        result = pub.post(PostRequest(text="Third time lucky", key=PostKey("story-503", unique)))
    assert result.status == "posted" and result.attempts == 3
    assert len(mastodon.statuses(account_id, token)) == 1


def test_server_errors_give_up_after_the_policy(
    mastodon: MastodonMock, unique: str, fast_options: PublisherOptions
) -> None:
    account_id, token = mastodon.new_user(f"giveup{unique}")
    mastodon.add_fault(
        {"match": {"methods": ["POST"], "path": "/api/v1/statuses"}, "effect": {"status": 502}, "count": 5}
    )
    with publisher(mastodon, unique, token, fast_options) as pub:
        result = pub.post(PostRequest(text="Never", key=PostKey("story-502", unique)))
    assert result.status == "failed" and result.attempts == 3
    assert "server error 502" in result.message and "after 3 tries" in result.message
    assert mastodon.statuses(account_id, token) == []


@pytest.mark.slow
def test_a_timeout_is_retried_with_the_same_key(mastodon: MastodonMock, unique: str) -> None:
    """The first request times out on our side but the server still makes the status: the retry returns it."""
    account_id, token = mastodon.new_user(f"timeout{unique}")
    mastodon.add_fault(
        {
            "match": {"methods": ["POST"], "path": "/api/v1/statuses"},
            "effect": {"type": "latency", "delay_ms": 1200},
            "count": 1,
        }
    )
    options = PublisherOptions(timeout=0.4, retry=RetryPolicy(attempts=3, backoff=2.0, max_wait=5.0))
    with publisher(mastodon, unique, token, options) as pub:
        result = pub.post(PostRequest(text="Slow server", key=PostKey("story-slow", unique)))
    assert result.status == "posted" and result.attempts == 2
    assert len(mastodon.statuses(account_id, token)) == 1


def test_429_with_retry_after_is_honoured(mastodon: MastodonMock, unique: str, fast_options: PublisherOptions) -> None:
    account_id, token = mastodon.new_user(f"limited{unique}")
    mastodon.add_fault(
        {
            "match": {"methods": ["POST"], "path": "/api/v1/statuses"},
            "effect": {"type": "ratelimit", "headers": {"Retry-After": "1"}},
            "count": 1,
        }
    )
    started = time.monotonic()
    with publisher(mastodon, unique, token, fast_options) as pub:
        result = pub.post(PostRequest(text="After the pause", key=PostKey("story-429", unique)))
    elapsed = time.monotonic() - started
    assert result.status == "posted" and result.attempts == 2
    assert 0.9 <= elapsed < 4
    assert len(mastodon.statuses(account_id, token)) == 1


def test_a_long_rate_limit_fails_fast_with_when(
    mastodon: MastodonMock, unique: str, fast_options: PublisherOptions
) -> None:
    account_id, token = mastodon.new_user(f"longlimit{unique}")
    mastodon.add_fault(
        {
            "match": {"methods": ["POST"], "path": "/api/v1/statuses"},
            "effect": {"type": "ratelimit", "headers": {"Retry-After": "3600"}},
            "count": 1,
        }
    )
    started = time.monotonic()
    with publisher(mastodon, unique, token, fast_options) as pub:
        result = pub.post(PostRequest(text="Not now", key=PostKey("story-429-long", unique)))
    assert time.monotonic() - started < 2
    assert result.status == "failed"
    assert result.message.startswith("rate limited by mastodon for 60 min") and "try again after" in result.message
    assert mastodon.statuses(account_id, token) == []


@pytest.mark.slow
def test_ratelimit_headers_pace_posting(tmp_path: Path, fast_options: PublisherOptions) -> None:
    """With 3 requests per 2 s, six posts go out paced by X-RateLimit-Remaining/Reset, none lost."""
    with running_mastodon_mock(tmp_path / "limited", ratelimit=(3, 2)) as server:
        account_id, token = server.new_user("paced")
        options = PublisherOptions(timeout=5, retry=RetryPolicy(attempts=6, backoff=0.25, max_wait=5.0))
        started = time.monotonic()
        with publisher(server, "paced", token, options) as pub:
            results = [pub.post(PostRequest(text=f"paced {i}", key=PostKey(f"paced-{i}", "paced"))) for i in range(6)]
        elapsed = time.monotonic() - started
        assert [r.status for r in results] == ["posted"] * 6, [r.message for r in results]
        assert elapsed >= 2.0
        assert [r.attempts for r in results] == [1] * 6  # paced by the headers: no 429 met
        assert len(server.statuses(account_id, server.another_token("paced"))) == 6


def test_a_rejected_post_fails_with_mastodons_message(
    mastodon: MastodonMock, unique: str, fast_options: PublisherOptions
) -> None:
    account_id, token = mastodon.new_user(f"reject{unique}")
    with publisher(mastodon, unique, token, fast_options) as pub:
        result = pub.post(PostRequest(text="x" * 501, key=PostKey("story-long", unique)))
        after = pub.post(PostRequest(text="short and fine", key=PostKey("story-short", unique)))
    assert result.status == "failed" and result.attempts == 1
    assert (
        result.message == "mastodon refused the post: Validation failed: Text is too long (maximum is 500 characters)"
    )
    assert after.status == "posted"
    assert len(mastodon.statuses(account_id, token)) == 1


def test_a_bad_token_is_one_clear_error(mastodon: MastodonMock, unique: str, fast_options: PublisherOptions) -> None:
    secret = "expired-token-value-1234"
    with publisher(mastodon, unique, secret, fast_options) as pub, pytest.raises(CredentialsError) as err:
        pub.post(PostRequest(text="never", key=PostKey("story-401", unique)))
    message = str(err.value)
    assert "\n" not in message and secret not in message
    assert "access token was refused" in message and f"DIGEST_MASTODON_TOKEN_{unique.upper()}" in message
    with publisher(mastodon, unique, secret, fast_options) as pub, pytest.raises(CredentialsError):
        pub.verify()


def test_a_missing_token_names_the_variable(mastodon: MastodonMock) -> None:
    account = Account(name="news-en", platform="mastodon", instance=mastodon.base)
    with pytest.raises(ConfigError, match="DIGEST_MASTODON_TOKEN_NEWS_EN is not set"):
        MastodonPublisher(account, {})
