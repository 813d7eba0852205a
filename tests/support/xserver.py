"""A local X API v2 server for the publish tests: ``POST /2/tweets`` and ``GET /2/users/me``.

Every request must carry a valid OAuth 1.0a HMAC-SHA1 signature: oauthlib's own server-side
ResourceEndpoint checks it (with nonce replay and timestamp checks), and a bad one gets X's 401
problem document. Tweets are kept in memory so tests can read them back; tests can set the
rate-limit budget, make the next answers 5xx or slow, and see how many calls arrived.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from oauthlib.oauth1 import RequestValidator, ResourceEndpoint
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from tests.support.net import free_port

MAX_TWEET = 280


@dataclass
class XUser:
    id: str
    username: str
    name: str


@dataclass
class XCredentials:
    api_key: str
    api_secret: str
    access_token: str
    access_secret: str

    def env(self, account: str) -> dict[str, str]:
        name = account.upper().replace("-", "_")
        return {
            f"DIGEST_X_{name}_API_KEY": self.api_key,
            f"DIGEST_X_{name}_API_SECRET": self.api_secret,
            f"DIGEST_X_{name}_ACCESS_TOKEN": self.access_token,
            f"DIGEST_X_{name}_ACCESS_SECRET": self.access_secret,
        }


class _Validator(RequestValidator):  # type: ignore[misc]
    """oauthlib asks this what it knows; the signature maths stays oauthlib's."""

    enforce_ssl = False

    def __init__(self, server: XServer) -> None:
        super().__init__()
        self.server = server
        self._nonces: set[tuple[str, str, str]] = set()

    # The defaults demand 20-30 letters and digits; X's access tokens look like "12345-AbC...".
    def check_client_key(self, client_key: str) -> bool:
        return bool(client_key) and set(client_key) <= self.safe_characters

    def check_access_token(self, request_token: str) -> bool:
        return bool(request_token) and set(request_token) <= self.safe_characters | {"-"}

    @property
    def dummy_client(self) -> str:
        return "dummyclient"

    @property
    def dummy_access_token(self) -> str:
        return "dummytoken"

    def validate_client_key(self, client_key: str, request: Any) -> bool:
        return client_key in self.server.apps

    def validate_access_token(self, client_key: str, token: str, request: Any) -> bool:
        return token in self.server.tokens

    def validate_timestamp_and_nonce(
        self,
        client_key: str,
        timestamp: str,
        nonce: str,
        request: Any,
        request_token: str | None = None,
        access_token: str | None = None,
    ) -> bool:
        seen = (client_key, timestamp, nonce)
        if seen in self._nonces:
            return False
        self._nonces.add(seen)
        return True

    def validate_realms(self, *args: Any, **kwargs: Any) -> bool:
        return True

    def get_client_secret(self, client_key: str, request: Any) -> str:
        return self.server.apps.get(client_key, "dummysecret")

    def get_access_token_secret(self, client_key: str, token: str, request: Any) -> str:
        entry = self.server.tokens.get(token)
        return entry[0] if entry else "dummysecret"


@dataclass
class XServer:
    apps: dict[str, str] = field(default_factory=dict)  # api key -> api secret
    tokens: dict[str, tuple[str, XUser]] = field(default_factory=dict)  # access token -> (secret, user)
    tweets: list[dict[str, Any]] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)
    rejected_signatures: int = 0
    rate_limit: int = 10_000
    rate_window: float = 900.0
    fail_next: list[int] = field(default_factory=list)  # statuses to answer (after storing, for 5xx)
    delay_next: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._ids = itertools.count(1_700_000_000_000_000_001)
        self._lock = threading.Lock()
        self._used = 0
        self._window_start = time.time()
        self._endpoint = ResourceEndpoint(_Validator(self))
        self.base = ""

    def add_user(self, username: str) -> XCredentials:
        n = len(self.tokens) + 1
        creds = XCredentials(f"key{n}{username}", f"secret{n}x", f"{n}-token{username}", f"tokensecret{n}")
        self.apps[creds.api_key] = creds.api_secret
        self.tokens[creds.access_token] = (creds.access_secret, XUser(str(1000 + n), username, username.title()))
        return creds

    def tweets_by(self, username: str) -> list[dict[str, Any]]:
        return [t for t in self.tweets if t["author"] == username]

    # -- the app -------------------------------------------------------------
    def _rate_headers(self) -> dict[str, str]:
        reset = int(self._window_start + self.rate_window)
        left = max(self.rate_limit - self._used, 0)
        return {
            "x-rate-limit-limit": str(self.rate_limit),
            "x-rate-limit-remaining": str(left),
            "x-rate-limit-reset": str(reset),
        }

    async def _authorize(self, request: Request) -> tuple[XUser | None, JSONResponse | None]:
        body = (await request.body()).decode("utf-8", "replace")
        valid, oauth_request = self._endpoint.validate_protected_resource_request(
            str(request.url), http_method=request.method, body=body, headers=dict(request.headers)
        )
        if not valid:
            self.rejected_signatures += 1
            problem = {"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"}
            return None, JSONResponse(problem, status_code=401)
        return self.tokens[oauth_request.resource_owner_key][1], None

    def _spend(self) -> JSONResponse | None:
        with self._lock:
            if time.time() >= self._window_start + self.rate_window:
                self._window_start, self._used = time.time(), 0
            self._used += 1
            if self._used > self.rate_limit:
                problem = {
                    "title": "Too Many Requests",
                    "detail": "Too Many Requests",
                    "type": "about:blank",
                    "status": 429,
                }
                return JSONResponse(problem, status_code=429, headers=self._rate_headers())
        return None

    async def me(self, request: Request) -> JSONResponse:
        self.calls.append("GET /2/users/me")
        user, denied = await self._authorize(request)
        if denied is not None:
            return denied
        assert user is not None
        limited = self._spend()
        if limited is not None:
            return limited
        data = {"id": user.id, "name": user.name, "username": user.username}
        return JSONResponse({"data": data}, headers=self._rate_headers())

    async def create_tweet(self, request: Request) -> JSONResponse:
        self.calls.append("POST /2/tweets")
        user, denied = await self._authorize(request)
        if denied is not None:
            return denied
        assert user is not None
        limited = self._spend()
        if limited is not None:
            return limited
        body = await request.json()
        text = body.get("text") if isinstance(body, dict) else None
        if not isinstance(text, str) or not text:
            return self._invalid("text", "The `text` field is required.")
        if len(text) > MAX_TWEET:
            return JSONResponse(
                {
                    "detail": "Your Tweet text is too long. For more information on how X determines text length, "
                    "see https://github.com/twitter/twitter-text.",
                    "type": "about:blank",
                    "title": "Forbidden",
                    "status": 403,
                },
                status_code=403,
            )
        reply = body.get("reply") or {}
        parent = reply.get("in_reply_to_tweet_id") if isinstance(reply, dict) else None
        with self._lock:
            if any(t["author"] == user.username and t["text"] == text for t in self.tweets):
                return JSONResponse(
                    {
                        "detail": "You are not allowed to create a Tweet with duplicate content.",
                        "type": "about:blank",
                        "title": "Forbidden",
                        "status": 403,
                    },
                    status_code=403,
                )
            if parent is not None and not any(t["id"] == parent for t in self.tweets):
                return self._invalid("reply.in_reply_to_tweet_id", "The tweet you are replying to does not exist.")
            tweet = {"id": str(next(self._ids)), "text": text, "author": user.username, "in_reply_to_tweet_id": parent}
            self.tweets.append(tweet)
            fail = self.fail_next.pop(0) if self.fail_next else None
            delay = self.delay_next.pop(0) if self.delay_next else 0.0
        if delay:
            await asyncio.sleep(delay)
        if fail is not None:
            return JSONResponse({"title": "Service Unavailable", "status": fail}, status_code=fail)
        return JSONResponse(
            {"data": {"id": tweet["id"], "text": text, "edit_history_tweet_ids": [tweet["id"]]}},
            status_code=201,
            headers=self._rate_headers(),
        )

    def _invalid(self, parameter: str, message: str) -> JSONResponse:
        return JSONResponse(
            {
                "errors": [{"parameters": {parameter: []}, "message": message}],
                "title": "Invalid Request",
                "detail": "One or more parameters to your request was invalid.",
                "type": "https://api.twitter.com/2/problems/invalid-request",
            },
            status_code=400,
        )

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/2/users/me", self.me, methods=["GET"]),
                Route("/2/tweets", self.create_tweet, methods=["POST"]),
            ]
        )


@contextmanager
def running_x_server() -> Iterator[XServer]:
    """An XServer listening on 127.0.0.1 (a uvicorn thread) until the block ends."""
    server = XServer()
    port = free_port()
    config = uvicorn.Config(server.app(), host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not uv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the local X server did not start")
        time.sleep(0.02)
    server.base = f"http://127.0.0.1:{port}"
    try:
        yield server
    finally:
        uv.should_exit = True
        thread.join(10)
