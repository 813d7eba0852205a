"""Posting to a local X API v2 server that checks OAuth 1.0a signatures (tests/support/xserver.py)."""

from __future__ import annotations

import time

import pytest
import requests
from oauthlib.oauth1 import Client as OAuthClient
from tests.support.xserver import XCredentials, XServer

from digest.errors import CredentialsError
from digest.publish import Account, PostKey, PostRequest, PublisherOptions, RetryPolicy, post_thread
from digest.publish.x import XPublisher


def publisher(server: XServer, name: str, creds: XCredentials, options: PublisherOptions) -> XPublisher:
    account = Account(name=name, platform="x", api_url=server.base)
    return XPublisher(account, creds.env(name), options)


def test_the_server_rejects_a_bad_signature(x_server: XServer, unique: str) -> None:
    """The test server itself: a request signed with the wrong secret is a 401, a right one passes."""
    creds = x_server.add_user(f"sig{unique}")
    url = x_server.base + "/2/users/me"
    for secret, expected in ((creds.access_secret + "x", 401), (creds.access_secret, 200)):
        client = OAuthClient(creds.api_key, creds.api_secret, creds.access_token, secret)
        signed_url, headers, _ = client.sign(url, "GET")
        assert requests.get(signed_url, headers=headers, timeout=5).status_code == expected
    assert requests.get(url, timeout=5).status_code == 401


def test_verify(x_server: XServer, unique: str, fast_options: PublisherOptions) -> None:
    creds = x_server.add_user(f"verify{unique}")
    with publisher(x_server, unique, creds, fast_options) as pub:
        info = pub.verify()
    assert info.handle == f"@verify{unique}" and info.url == f"https://x.com/verify{unique}"
    assert XPublisher.idempotent is False


def test_single_post_and_thread(x_server: XServer, unique: str, fast_options: PublisherOptions) -> None:
    creds = x_server.add_user(f"thread{unique}")
    with publisher(x_server, unique, creds, fast_options) as pub:
        single = pub.post(PostRequest(text="One tweet https://news.example/a", key=PostKey("s1", unique)))
        parts = [PostRequest(text=f"{i}/3 tweet {i}", key=PostKey("s2", unique, i)) for i in (1, 2, 3)]
        thread = post_thread(pub, parts)
    assert single.status == "posted" and single.ref is not None
    assert single.url == f"https://x.com/i/web/status/{single.ref.id}"
    assert [r.status for r in thread] == ["posted"] * 3
    tweets = x_server.tweets_by(f"thread{unique}")
    ids = [r.ref.id for r in thread if r.ref]
    assert [t["text"] for t in tweets] == [
        "One tweet https://news.example/a",
        "1/3 tweet 1",
        "2/3 tweet 2",
        "3/3 tweet 3",
    ]
    assert [t["in_reply_to_tweet_id"] for t in tweets[1:]] == [None, ids[0], ids[1]]


def test_a_repeat_is_recognised_by_duplicate_content(
    x_server: XServer, unique: str, fast_options: PublisherOptions
) -> None:
    creds = x_server.add_user(f"dup{unique}")
    request = PostRequest(text="Said once", key=PostKey("s-dup", unique))
    with publisher(x_server, unique, creds, fast_options) as pub:
        first, second = pub.post(request), pub.post(request)
    assert (first.status, second.status) == ("posted", "already_posted")
    assert "duplicate content" in second.message and second.ref is None
    assert len(x_server.tweets_by(f"dup{unique}")) == 1


def test_a_5xx_is_uncertain_and_not_retried(x_server: XServer, unique: str, fast_options: PublisherOptions) -> None:
    """X may have posted when it answers 5xx: the window of doubt is reported, never retried blindly."""
    creds = x_server.add_user(f"doubt{unique}")
    x_server.fail_next.append(503)
    with publisher(x_server, unique, creds, fast_options) as pub:
        result = pub.post(PostRequest(text="In doubt", key=PostKey("s-doubt", unique)))
    assert result.status == "failed" and result.uncertain and result.attempts == 1
    assert "may have been posted" in result.message
    assert len(x_server.tweets_by(f"doubt{unique}")) == 1  # it did go out: hence no retry


def test_a_read_timeout_is_uncertain(x_server: XServer, unique: str) -> None:
    creds = x_server.add_user(f"slow{unique}")
    x_server.delay_next.append(1.0)
    options = PublisherOptions(timeout=0.3, retry=RetryPolicy(attempts=3, backoff=0.05, max_wait=5))
    with publisher(x_server, unique, creds, options) as pub:
        result = pub.post(PostRequest(text="Slow answer", key=PostKey("s-slow", unique)))
    assert result.status == "failed" and result.uncertain and result.attempts == 1
    time.sleep(1.0)
    assert len(x_server.tweets_by(f"slow{unique}")) == 1


def test_a_limit_that_never_lifts_gives_up(x_server: XServer, unique: str, fast_options: PublisherOptions) -> None:
    creds = x_server.add_user(f"limited{unique}")
    with publisher(x_server, unique, creds, fast_options) as pub:
        x_server.rate_limit, x_server.rate_window = 0, 1.0  # every call refused until the window turns
        x_server._window_start, x_server._used = time.time(), 0
        started = time.monotonic()
        try:
            result = pub.post(PostRequest(text="After the window", key=PostKey("s-429", unique)))
        finally:
            x_server.rate_limit, x_server.rate_window = 10_000, 900.0
    elapsed = time.monotonic() - started
    assert result.status == "failed"
    assert result.message.startswith("rate limited by x"), result.message
    assert elapsed < 6
    assert x_server.tweets_by(f"limited{unique}") == []


def test_429_then_posted_after_the_reset(x_server: XServer, unique: str, fast_options: PublisherOptions) -> None:
    creds = x_server.add_user(f"reset{unique}")
    with publisher(x_server, unique, creds, fast_options) as pub:
        x_server.rate_limit, x_server.rate_window = 1, 2.0
        x_server._window_start, x_server._used = time.time(), 1  # the budget is spent for ~2 s
        started = time.monotonic()
        try:
            result = pub.post(PostRequest(text="Once the window turns", key=PostKey("s-reset", unique)))
        finally:
            x_server.rate_limit, x_server.rate_window = 10_000, 900.0
    elapsed = time.monotonic() - started
    assert result.status == "posted", result.message
    assert result.attempts >= 2 and 0.9 <= elapsed < 6
    assert len(x_server.tweets_by(f"reset{unique}")) == 1


def test_a_too_long_tweet_fails_with_xs_message(x_server: XServer, unique: str, fast_options: PublisherOptions) -> None:
    creds = x_server.add_user(f"long{unique}")
    with publisher(x_server, unique, creds, fast_options) as pub:
        result = pub.post(PostRequest(text="x" * 281, key=PostKey("s-long", unique)))
        after = pub.post(PostRequest(text="short", key=PostKey("s-short", unique)))
    assert result.status == "failed" and not result.uncertain
    assert result.message.startswith("X refused the post: Your Tweet text is too long.")
    assert after.status == "posted"


def test_bad_credentials_are_one_clear_error(x_server: XServer, unique: str, fast_options: PublisherOptions) -> None:
    creds = x_server.add_user(f"bad{unique}")
    wrong = XCredentials(creds.api_key, creds.api_secret, creds.access_token, "not-the-secret-42")
    before = x_server.rejected_signatures
    with publisher(x_server, unique, wrong, fast_options) as pub, pytest.raises(CredentialsError) as err:
        pub.post(PostRequest(text="never", key=PostKey("s-401", unique)))
    message = str(err.value)
    assert "\n" not in message and "not-the-secret-42" not in message
    assert "X refused the OAuth credentials" in message and f"DIGEST_X_{unique.upper()}_ACCESS_SECRET" in message
    assert x_server.rejected_signatures == before + 1
    assert x_server.tweets_by(f"bad{unique}") == []
