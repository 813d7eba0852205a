"""Posting to X with tweepy's v2 Client (OAuth 1.0a user context).

X has no idempotency key and no caller-chosen ids, so exactly-once has a window of doubt:
between the moment ``POST /2/tweets`` is sent and the moment its answer is read, a crash, a
timeout or a 5xx leaves it unknown whether the tweet exists. The caller closes what it can: it
records the attempt durably BEFORE calling ``post`` (so a re-run knows an attempt was made) and
never retries an attempt whose outcome is unknown without a person's say-so. This publisher
does its part by retrying only what certainly did not post (429, a connection that never
opened) and by returning ``uncertain=True`` for everything in the window (read timeouts, 5xx,
a connection dropped mid-request). X refuses a tweet whose text equals a recent one with 403
"duplicate content": that is reported as ``already_posted`` (without an id, which X does not
give back).

``Account.api_url`` replaces X's API root (tests run a local server; tweepy hard-codes the
host, so our requests session rewrites it before the OAuth signature is computed).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import requests
import tweepy
from urllib3.exceptions import MaxRetryError, NewConnectionError

from digest.errors import PublishError
from digest.publish.accounts import Account, secret_names
from digest.publish.base import (
    AccountInfo,
    Failure,
    PostRef,
    PostRequest,
    PostResult,
    Publisher,
    PublisherOptions,
    Recovered,
    call_with_retries,
)
from digest.publish.limits import RateWindow, wait_seconds

TWEEPY_HOST = "https://api.twitter.com"
_DUPLICATE = "duplicate content"


def tweet_url(tweet_id: str) -> str:
    return f"https://x.com/i/web/status/{tweet_id}"


class _APISession(requests.Session):
    """requests, with X's host swapped for ``api_url``, a timeout on every call, and no proxies from env."""

    def __init__(self, api_url: str, timeout: float) -> None:
        super().__init__()
        self.api_url = api_url.rstrip("/")
        self.timeout = timeout
        self.trust_env = False

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        if url.startswith(TWEEPY_HOST):
            url = self.api_url + url[len(TWEEPY_HOST) :]
        kwargs.setdefault("timeout", self.timeout)
        return super().request(method, url, *args, **kwargs)


def _never_connected(exc: requests.RequestException) -> bool:
    """True when the request certainly never reached X (refused or timed-out connect)."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    if isinstance(exc, requests.ConnectionError):
        cause = exc.args[0] if exc.args else None
        return isinstance(cause, MaxRetryError) and isinstance(cause.reason, NewConnectionError)
    return False


def _messages(exc: tweepy.HTTPException) -> str:
    found = [str(m) for m in exc.api_messages if m]
    if not found:
        try:
            body = exc.response.json()
        except ValueError:
            body = {}
        if isinstance(body, dict):
            found = [str(body[k]) for k in ("detail", "title") if body.get(k)][:1]
    return "; ".join(found) or f"HTTP {exc.response.status_code}"


class XPublisher(Publisher):
    platform = "x"
    idempotent = False

    def __init__(
        self,
        account: Account,
        secrets: Mapping[str, str] | None = None,
        options: PublisherOptions | None = None,
    ) -> None:
        super().__init__(account, secrets, options)
        self.api_url = account.x_api_url
        self.window = RateWindow()
        self._session = _APISession(self.api_url, self.options.timeout)
        self._session.hooks["response"].append(self._remember_headers)
        self._client = tweepy.Client(
            consumer_key=self._secrets["api_key"],
            consumer_secret=self._secrets["api_secret"],
            access_token=self._secrets["access_token"],
            access_token_secret=self._secrets["access_secret"],
            return_type=dict,
        )
        self._client.session = self._session

    def close(self) -> None:
        self._session.close()

    def _remember_headers(self, response: requests.Response, *args: Any, **kwargs: Any) -> requests.Response:
        self.window.update(dict(response.headers))
        return response

    def _classify(self, exc: Exception) -> Failure | Recovered[Any] | None:
        if isinstance(exc, tweepy.TooManyRequests):
            return Failure("rate_limited", "rate limited", wait_seconds(dict(exc.response.headers)))
        if isinstance(exc, tweepy.Unauthorized):
            names = ", ".join(secret_names("x", self.account.name).values())
            return Failure(
                "credentials",
                f"{self.label}: X refused the OAuth credentials ({self.redact(_messages(exc))}); check {names}",
            )
        if isinstance(exc, tweepy.TwitterServerError):
            return Failure(
                "uncertain",
                f"X server error {exc.response.status_code}; the tweet may have been posted: "
                "check the account before posting it again",
            )
        if isinstance(exc, tweepy.HTTPException):
            message = self.redact(_messages(exc))
            if isinstance(exc, tweepy.Forbidden) and _DUPLICATE in message.lower():
                return Recovered({"duplicate": message})
            return Failure("rejected", f"X refused the post: {message}")
        if isinstance(exc, requests.RequestException):
            reason = self.redact(" ".join(str(exc).split()) or type(exc).__name__)
            if _never_connected(exc):
                return Failure("transient", f"cannot reach {self.api_url}: {reason}")
            return Failure(
                "uncertain",
                f"no answer from X ({reason}); the tweet may have been posted: "
                "check the account before posting it again",
            )
        return None

    def verify(self) -> AccountInfo:
        outcome = call_with_retries(self._client.get_me, self._classify, self.options.retry, self.window, self.platform)
        if outcome.failure is not None or not isinstance(outcome.value, dict):
            reason = outcome.failure.message if outcome.failure else "no answer"
            raise PublishError(f"{self.label}: cannot verify the account: {reason}")
        me = outcome.value.get("data") or {}
        username = str(me.get("username") or "")
        return AccountInfo(
            platform=self.platform,
            account=self.account.name,
            id=str(me.get("id") or ""),
            handle=f"@{username}",
            display_name=str(me.get("name") or ""),
            url=f"https://x.com/{username}" if username else None,
        )

    def post(self, request: PostRequest) -> PostResult:
        parent = request.reply_to.parent.id if request.reply_to else None

        def send() -> Any:
            return self._client.create_tweet(text=request.text, in_reply_to_tweet_id=parent)

        outcome = call_with_retries(send, self._classify, self.options.retry, self.window, self.platform)
        failure = outcome.failure
        if failure is not None or not isinstance(outcome.value, dict):
            message = failure.message if failure else "no tweet came back"
            uncertain = failure is not None and failure.kind == "uncertain"
            return PostResult("failed", request.key, message=message, attempts=outcome.attempts, uncertain=uncertain)
        if "duplicate" in outcome.value:
            return PostResult(
                "already_posted",
                request.key,
                message=f"X says the same text was posted already: {outcome.value['duplicate']}",
                attempts=outcome.attempts,
            )
        data = outcome.value.get("data") or {}
        tweet_id = str(data.get("id") or "")
        if not tweet_id:
            return PostResult(
                "failed",
                request.key,
                message="X answered without a tweet id",
                attempts=outcome.attempts,
                uncertain=True,
            )
        return PostResult(
            "posted", request.key, ref=PostRef(id=tweet_id, url=tweet_url(tweet_id)), attempts=outcome.attempts
        )
