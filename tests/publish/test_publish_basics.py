"""The publish layer's pieces that need no server: keys, secrets, rate-limit arithmetic, the registry."""

from __future__ import annotations

import textwrap
from email.utils import formatdate
from pathlib import Path

import pytest
from atproto_client.models.string_formats import TID_RE

from digest.errors import ConfigError
from digest.models import SocialPost
from digest.publish import (
    Account,
    LinkCard,
    PostKey,
    PostRequest,
    PostResult,
    Publisher,
    env_name,
    known_platforms,
    post_requests,
    publisher_class,
    publisher_for,
    secret_names,
)
from digest.publish.base import Failure, call_with_retries
from digest.publish.bluesky import BlueskyPublisher, record_key
from digest.publish.limits import RateWindow, RetryPolicy, wait_seconds
from digest.publish.mastodon import MastodonPublisher
from digest.publish.x import XPublisher


def test_env_names() -> None:
    assert env_name("news-en") == "NEWS_EN" and env_name("Main Account 2") == "MAIN_ACCOUNT_2"
    assert secret_names("mastodon", "news-en") == {"token": "DIGEST_MASTODON_TOKEN_NEWS_EN"}
    assert secret_names("bluesky", "sky") == {"app_password": "DIGEST_BLUESKY_APP_PASSWORD_SKY"}
    assert list(secret_names("x", "x1").values()) == [
        "DIGEST_X_X1_API_KEY",
        "DIGEST_X_X1_API_SECRET",
        "DIGEST_X_X1_ACCESS_TOKEN",
        "DIGEST_X_X1_ACCESS_SECRET",
    ]


def test_secrets_come_from_env_and_dotenv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    account = Account(name="sky", platform="bluesky", handle="me.bsky.social")
    with pytest.raises(ConfigError, match="DIGEST_BLUESKY_APP_PASSWORD_SKY is not set"):
        account.secrets()
    (tmp_path / ".env").write_text("DIGEST_BLUESKY_APP_PASSWORD_SKY=from-dotenv\n")
    assert account.secrets() == {"app_password": "from-dotenv"}
    monkeypatch.setenv("DIGEST_BLUESKY_APP_PASSWORD_SKY", "from-env")
    secrets = account.secrets()
    assert secrets == {"app_password": "from-env"} and "from-env" not in repr(secrets)


def test_accounts_check_what_their_platform_needs() -> None:
    with pytest.raises(ConfigError, match="needs instance"):
        Account(name="m", platform="mastodon")
    with pytest.raises(ConfigError, match="needs handle"):
        Account(name="b", platform="bluesky")
    assert Account(name="b", platform="bluesky", handle="h.test").bluesky_service == "https://bsky.social"


def test_keys_are_stable_and_distinct() -> None:
    keys = [PostKey(s, a, p) for s in ("s1", "s2") for a in ("a", "b") for p in (0, 1, 2)]
    assert len({k.idempotency_key for k in keys}) == 12 and len({record_key(k) for k in keys}) == 12
    assert all(TID_RE.match(record_key(k)) for k in keys)
    assert PostKey("s1", "a", 1).idempotency_key == PostKey("s1", "a", 1).idempotency_key
    assert record_key(PostKey("s1", "a", 1)) == record_key(PostKey("s1", "a", 1))
    # fields cannot run into each other
    assert PostKey("ab", "c").idempotency_key != PostKey("a", "bc").idempotency_key


def test_wait_seconds_reads_every_platforms_headers() -> None:
    now = 1_800_000_000.0
    date = formatdate(now, usegmt=True)
    assert wait_seconds({"Retry-After": "7"}, now) == 7
    assert wait_seconds({"Retry-After": formatdate(now + 30, usegmt=True), "Date": date}) == pytest.approx(30)
    # Mastodon: an ISO time; Bluesky and X: Unix seconds; both measured on the server's clock (Date).
    assert (
        wait_seconds({"X-RateLimit-Reset": "2027-01-15T08:00:20.000Z", "Date": "Fri, 15 Jan 2027 08:00:00 GMT"}) == 20
    )
    assert wait_seconds({"ratelimit-reset": str(int(now) + 12), "Date": date}) == pytest.approx(12)
    assert wait_seconds({"x-rate-limit-reset": str(int(now) - 5)}, now) == 0
    assert wait_seconds({"ratelimit-reset": "40"}, now) == 40  # a delta, as the IETF draft has it
    assert wait_seconds({}, now) is None and wait_seconds({"Retry-After": "soon"}, now) is None


def test_rate_window_pauses_only_when_nothing_is_left() -> None:
    clock = [100.0]
    window = RateWindow(clock=lambda: clock[0])
    window.update({"X-RateLimit-Remaining": "3", "X-RateLimit-Reset": "2030-01-01T00:00:00Z"})
    assert window.pause_needed() == 0
    window.update({"ratelimit-remaining": "0", "Retry-After": "10"})
    assert window.pause_needed() == 10
    clock[0] += 4
    assert window.pause_needed() == 6


def test_retries_are_bounded() -> None:
    slept: list[float] = []
    policy = RetryPolicy(attempts=3, backoff=1, max_backoff=1.5, max_wait=60, sleep=slept.append)
    calls = []

    def flaky() -> str:
        calls.append(1)
        raise OSError("boom")

    outcome = call_with_retries(flaky, lambda e: Failure("transient", "down"), policy, RateWindow(), "test")
    assert outcome.failure is not None and outcome.failure.message == "down (after 3 tries)"
    assert len(calls) == 3 and slept == [1, 1.5]

    slept.clear()
    limited = call_with_retries(flaky, lambda e: Failure("rate_limited", "", 3600), policy, RateWindow(), "test")
    assert limited.failure is not None and limited.failure.message.startswith("rate limited by test for 60 min")
    assert slept == [] and limited.attempts == 1


def test_post_requests_from_a_social_thread() -> None:
    facets = [[{"index": {"byteStart": 0, "byteEnd": 1}, "features": []}], []]
    post = SocialPost("bluesky", "whole", 5, 300, thread=["1/2 a", "2/2 b"], facets=[], thread_facets=facets)
    card = LinkCard("https://news.example/a", "A")
    single = post_requests(post, "story", "sky", card=card)
    assert [(r.text, r.key.part, r.card) for r in single] == [("whole", 0, card)]
    parts = post_requests(post, "story", "sky", thread=True, card=card, language="en")
    assert [(r.text, r.key, r.card, r.language) for r in parts] == [
        ("1/2 a", PostKey("story", "sky", 1), card, "en"),
        ("2/2 b", PostKey("story", "sky", 2), None, "en"),
    ]
    assert [r.facets for r in parts] == facets


def test_registry_knows_the_builtins_and_names_the_missing() -> None:
    assert {"mastodon", "bluesky", "x"} <= set(known_platforms())
    assert publisher_class("mastodon") is MastodonPublisher
    assert publisher_class("bluesky") is BlueskyPublisher and publisher_class("x") is XPublisher
    with pytest.raises(ConfigError, match="unknown platform 'myspace'.*digest.publishers"):
        publisher_for(Account(name="old", platform="myspace"), {})


def test_a_plugin_platform_through_an_entry_point(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = tmp_path / "site"
    (site / "digest_smoke").mkdir(parents=True)
    (site / "digest_smoke" / "__init__.py").write_text(
        textwrap.dedent(
            """
            from digest.publish import AccountInfo, PostRef, PostResult, Publisher

            class SmokePublisher(Publisher):
                platform = "smoke"
                sent = []

                def verify(self):
                    return AccountInfo("smoke", self.account.name, "1", "@hill")

                def post(self, request):
                    self.sent.append(request.text)
                    return PostResult("posted", request.key, ref=PostRef(str(len(self.sent))))
            """
        )
    )
    dist = site / "digest_smoke-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: digest-smoke\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[digest.publishers]\nsmoke = digest_smoke:SmokePublisher\n")
    monkeypatch.syspath_prepend(str(site))
    assert "smoke" in known_platforms()
    publisher = publisher_for(Account(name="hill", platform="smoke"), {})
    assert isinstance(publisher, Publisher) and publisher.verify().handle == "@hill"
    result: PostResult = publisher.post(PostRequest("puff", PostKey("s", "hill")))
    assert result.status == "posted" and result.ref is not None and result.ref.id == "1"
