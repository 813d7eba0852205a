"""Posting to Mastodon with Mastodon.py.

Exactly once: every status is sent with ``Idempotency-Key`` derived from its PostKey, so a
retry after a timeout, a 5xx or a crash returns the status already made instead of a second one
(Mastodon remembers a key for an hour; beyond that only the caller's post log protects).
Threads are replies (``in_reply_to_id``); the link card is built by the server from the URL in
the text, so nothing is uploaded.

Rate limits: Mastodon.py runs in "throw" mode and we do the waiting, bounded, from the headers
of the last response (``X-RateLimit-*``, ``Retry-After``), captured by a requests hook.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import requests
from mastodon import Mastodon
from mastodon.errors import (
    MastodonAPIError,
    MastodonNetworkError,
    MastodonRatelimitError,
    MastodonServerError,
    MastodonUnauthorizedError,
)

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

USER_AGENT = "digest/0.1 (+https://github.com/digest-news/digest)"
REPLAY_SLACK = 2.0  # seconds: a status created this long before the call began is a replay


class MastodonPublisher(Publisher):
    platform = "mastodon"
    idempotent = True

    def __init__(
        self,
        account: Account,
        secrets: Mapping[str, str] | None = None,
        options: PublisherOptions | None = None,
    ) -> None:
        super().__init__(account, secrets, options)
        assert account.instance is not None  # Account checks it
        self.instance = account.instance.rstrip("/")
        self.window = RateWindow()
        self._last_headers: dict[str, str] = {}
        self._seen_keys: dict[str, str] = {}  # idempotency key -> status id, in this process
        self._session = requests.Session()
        self._session.trust_env = False  # a proxy from the environment would see the token
        self._session.hooks["response"].append(self._remember_headers)
        self._api = Mastodon(
            access_token=self._secrets["token"],
            api_base_url=self.instance,
            ratelimit_method="throw",
            request_timeout=self.options.timeout,
            session=self._session,
            version_check_mode="none",
            user_agent=USER_AGENT,
        )

    def close(self) -> None:
        self._session.close()

    def _remember_headers(self, response: requests.Response, *args: Any, **kwargs: Any) -> requests.Response:
        self._last_headers = dict(response.headers)
        self.window.update(self._last_headers)
        return response

    # -- errors --------------------------------------------------------------
    def _classify(self, exc: Exception) -> Failure | Recovered[Any] | None:
        if isinstance(exc, MastodonRatelimitError):
            return Failure("rate_limited", "rate limited", wait_seconds(self._last_headers))
        if isinstance(exc, MastodonUnauthorizedError):
            variable = secret_names("mastodon", self.account.name)["token"]
            reason = self.redact(str(_api_message(exc) or "401 Unauthorized"))
            return Failure(
                "credentials",
                f"{self.label} ({self.instance}): the access token was refused ({reason}); "
                f"create a new one and set {variable}",
            )
        if isinstance(exc, MastodonServerError):
            return Failure("transient", f"mastodon server error {_api_status(exc)}: {self.redact(_api_message(exc))}")
        if isinstance(exc, MastodonNetworkError):
            return Failure("transient", f"cannot reach {self.instance}: {self.redact(_network_reason(exc))}")
        if isinstance(exc, MastodonAPIError):
            message = self.redact(_api_message(exc) or f"HTTP {_api_status(exc)}")
            return Failure("rejected", f"mastodon refused the post: {message}")
        return None

    # -- the interface ---------------------------------------------------------
    def verify(self) -> AccountInfo:
        outcome = call_with_retries(
            self._api.account_verify_credentials, self._classify, self.options.retry, self.window, self.platform
        )
        if outcome.failure is not None or outcome.value is None:
            reason = outcome.failure.message if outcome.failure else "no answer"
            raise PublishError(f"{self.label} ({self.instance}): cannot verify the account: {reason}")
        me = outcome.value
        host = urlsplit(self.instance).hostname or self.instance
        return AccountInfo(
            platform=self.platform,
            account=self.account.name,
            id=str(me["id"]),
            handle=f"@{me['acct']}@{host}" if "@" not in str(me["acct"]) else f"@{me['acct']}",
            display_name=str(me.get("display_name") or ""),
            url=str(me.get("url") or "") or None,
        )

    def post(self, request: PostRequest) -> PostResult:
        key = request.key.idempotency_key
        warnings: list[str] = []
        if request.card is not None and request.card.uri not in request.text:
            warnings.append("mastodon builds link cards from a URL in the text; the card's URL is not in it")
        parent = request.reply_to.parent.id if request.reply_to else None
        started_wall = time.time()

        def send() -> Any:
            return self._api.status_post(
                request.text, in_reply_to_id=parent, idempotency_key=key, language=request.language
            )

        outcome = call_with_retries(send, self._classify, self.options.retry, self.window, self.platform)
        if outcome.failure is not None or outcome.value is None:
            message = outcome.failure.message if outcome.failure else "no status came back"
            return PostResult(
                "failed", request.key, message=message, attempts=outcome.attempts, warnings=tuple(warnings)
            )
        status = outcome.value
        ref = PostRef(id=str(status["id"]), url=str(status.get("url") or status.get("uri") or "") or None)
        replay = self._seen_keys.get(key) == ref.id or self._made_before(status, started_wall)
        self._seen_keys[key] = ref.id
        return PostResult(
            "already_posted" if replay else "posted",
            request.key,
            ref=ref,
            attempts=outcome.attempts,
            warnings=tuple(warnings),
        )

    @staticmethod
    def _made_before(status: Mapping[str, Any], started_wall: float) -> bool:
        """Whether the server handed back a status created before this call began (an idempotent replay).

        Judged on the local clock with some slack (servers keep NTP time; their Date header has
        whole seconds and may lag another second, too coarse to correct by). Only the report
        depends on it (posted or already_posted): the status exists once either way.
        """
        created = status.get("created_at")
        if not isinstance(created, datetime):
            return False
        return created.timestamp() < started_wall - REPLAY_SLACK


def _api_status(exc: Exception) -> str:
    return str(exc.args[1]) if len(exc.args) > 1 else "?"


def _api_message(exc: Exception) -> str:
    if len(exc.args) > 3 and exc.args[3]:
        return str(exc.args[3])
    if len(exc.args) > 2 and exc.args[2]:
        return str(exc.args[2])
    return str(exc)


def _network_reason(exc: Exception) -> str:
    text = " ".join(str(exc).split())
    return text.removeprefix("Could not complete request: ") or type(exc).__name__
