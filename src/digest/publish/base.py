"""The publisher interface: one account on one platform, verify it, post to it.

A publisher turns a ``PostRequest`` (text, Bluesky facets, a link card, the post it replies
to, and the key that names it) into a ``PostResult``. Posting is made safe to repeat where the
platform allows it: every request carries a ``PostKey`` (story, account, thread part) from which
each platform's own duplicate guard is derived (Mastodon's ``Idempotency-Key``, Bluesky's record
key). Platforms without one (X) say so with ``idempotent = False``; their caller must record the
attempt before calling ``post`` and treat a result with ``uncertain`` set as "may have gone out".

Errors a user can fix and that sink the whole account (a revoked token, a missing secret) are
raised as ``CredentialsError``/``ConfigError``; a post the platform rejects is a ``failed``
result carrying the platform's own message, so the next post still goes.

Plugins add platforms through the ``digest.publishers`` entry points (see
``digest.publish.registry``): subclass ``Publisher``, set ``platform``, implement ``verify``
and ``post``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import TracebackType
from typing import Any, ClassVar, Generic, Literal, TypeVar

from digest.errors import CredentialsError
from digest.publish.accounts import Account
from digest.publish.limits import RateWindow, RetryPolicy, describe_wait, rate_limited_message

Status = Literal["posted", "already_posted", "failed"]
T = TypeVar("T")


@dataclass(frozen=True)
class PostKey:
    """What names one post for ever: the story, the account it goes to, and its place in a thread.

    ``story`` is the caller's stable id for the story (its URL, or its archive id); ``part`` is
    0 for a single post and the 1-based thread position otherwise.
    """

    story: str
    account: str
    part: int = 0

    def digest(self) -> bytes:
        """32 bytes that change when any of the three changes (unit separators keep fields apart)."""
        raw = f"{self.story}\x1f{self.account}\x1f{self.part}".encode()
        return hashlib.sha256(raw).digest()

    @property
    def idempotency_key(self) -> str:
        """A header-safe key for platforms that take one (Mastodon keeps it for an hour)."""
        return "digest-" + self.digest().hex()[:40]


@dataclass(frozen=True)
class LinkCard:
    """The preview under a post: Mastodon builds its own from the URL in the text; Bluesky needs ours."""

    uri: str
    title: str
    description: str = ""
    thumb_url: str | None = None


@dataclass(frozen=True)
class PostRef:
    """A post as the platform names it: Mastodon/X ids; Bluesky an at:// URI plus the record's CID."""

    id: str
    cid: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class ReplyTo:
    """Where a thread part hangs: the post it answers and the first post of the thread."""

    parent: PostRef
    root: PostRef


@dataclass(frozen=True)
class PostRequest:
    text: str
    key: PostKey
    facets: Sequence[Mapping[str, Any]] | None = None  # Bluesky richtext facets, UTF-8 byte offsets
    card: LinkCard | None = None
    reply_to: ReplyTo | None = None
    language: str | None = None


@dataclass(frozen=True)
class PostResult:
    """What happened to one post.

    ``already_posted``: the platform recognised the key (a re-run after a crash, or a second
    call). ``uncertain`` (X only): the request may have reached the platform but no answer came
    back, so the post may exist; retrying could double it.
    """

    status: Status
    key: PostKey
    ref: PostRef | None = None
    message: str = ""
    attempts: int = 1
    uncertain: bool = False
    warnings: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.status != "failed"

    @property
    def url(self) -> str | None:
        return self.ref.url if self.ref else None


@dataclass(frozen=True)
class AccountInfo:
    """Who a verify-credentials call says the account is."""

    platform: str
    account: str  # our name for it (the config's ``name``)
    id: str
    handle: str
    display_name: str = ""
    url: str | None = None


@dataclass(frozen=True)
class PublisherOptions:
    """Knobs every publisher honours; tests shorten the waits."""

    timeout: float = 30.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    allow_private_addresses: bool = False  # for the thumbnail fetch (Bluesky cards)


class Publisher:
    """One account on one platform. Open once, post many, close; usable as a context manager."""

    platform: ClassVar[str] = ""
    idempotent: ClassVar[bool] = True  # False: a repeated post can appear twice (record attempts first)

    def __init__(
        self,
        account: Account,
        secrets: Mapping[str, str] | None = None,
        options: PublisherOptions | None = None,
    ) -> None:
        self.account = account
        self.options = options or PublisherOptions()
        self._secrets = account.secrets(secrets)

    # -- lifecycle ---------------------------------------------------------
    def close(self) -> None:
        """Release connections. Safe to call more than once."""

    def __enter__(self) -> Publisher:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- the interface -----------------------------------------------------
    def verify(self) -> AccountInfo:  # pragma: no cover - abstract
        """Log in and say who the account is, without posting; CredentialsError when refused."""
        raise NotImplementedError

    def post(self, request: PostRequest) -> PostResult:  # pragma: no cover - abstract
        """Post once (or recognise that it already was); never raises for a rejected post."""
        raise NotImplementedError

    # -- helpers -------------------------------------------------------------
    def redact(self, text: str) -> str:
        """``text`` with every secret of this account replaced by ***, for messages and logs."""
        for value in self._secrets.values():
            if value:
                text = text.replace(value, "***")
        return text

    @property
    def label(self) -> str:
        return f"{self.platform} account {self.account.name!r}"


def post_thread(
    publisher: Publisher,
    parts: Sequence[PostRequest],
    on_result: Callable[[PostResult], None] | None = None,
) -> list[PostResult]:
    """Post ``parts`` in order, each a reply to the one before; stop at the first failure.

    A part after a failed one cannot hang in the right place, so it is not attempted (and not
    returned); a re-run posts it once the failed part is in.
    """
    results: list[PostResult] = []
    first = parts[0].reply_to if parts else None
    root: PostRef | None = first.root if first else None  # a thread continued from an earlier run
    parent: PostRef | None = first.parent if first else None
    for part in parts:
        request = part
        if parent is not None and root is not None:
            request = replace(part, reply_to=ReplyTo(parent=parent, root=root))
        result = publisher.post(request)
        results.append(result)
        if on_result is not None:
            on_result(result)
        if not result.ok or result.ref is None:
            break
        parent = result.ref
        root = root or result.ref
    return results


# ---------------------------------------------------------------- one call, retried as the platform allows


FailureKind = Literal["transient", "rate_limited", "rejected", "credentials", "uncertain"]


@dataclass(frozen=True)
class Failure:
    """How a platform's exception is to be treated.

    ``transient``: retry with backoff (5xx, timeouts: safe only where posting is idempotent).
    ``rate_limited``: wait ``wait`` seconds (bounded) and retry. ``rejected``: the platform said
    no; give up with its message. ``credentials``: raise CredentialsError. ``uncertain``: the
    request may have taken effect; give up without retrying.
    """

    kind: FailureKind
    message: str
    wait: float | None = None


@dataclass(frozen=True)
class Recovered(Generic[T]):
    """An exception that turned out fine (e.g. Bluesky: the record is there after all)."""

    value: T


@dataclass(frozen=True)
class Outcome(Generic[T]):
    value: T | None
    failure: Failure | None
    attempts: int


def call_with_retries(
    call: Callable[[], T],
    classify: Callable[[Exception], Failure | Recovered[T] | None],
    policy: RetryPolicy,
    window: RateWindow,
    platform: str,
) -> Outcome[T]:
    """Run ``call`` until it succeeds, honouring rate limits and retrying transient failures.

    ``classify`` maps an exception to what to do (None: not ours, re-raise). Waits are bounded:
    a rate limit longer than ``policy.max_wait`` ends the call with a failure saying when to come
    back; at most ``policy.attempts`` tries are made for transient failures and as many again
    for rate limits.
    """
    attempts = 0
    transient = 0
    limited = 0
    while True:
        pause = window.pause_needed()
        if pause > policy.max_wait:
            return Outcome(
                None, Failure("rate_limited", rate_limited_message(platform, pause, policy.max_wait)), attempts
            )
        if pause > 0:
            policy.sleep(pause)
        attempts += 1
        try:
            return Outcome(call(), None, attempts)
        except Exception as exc:
            verdict = classify(exc)
            if verdict is None:
                raise
            if isinstance(verdict, Recovered):
                return Outcome(verdict.value, None, attempts)
            if verdict.kind == "credentials":
                raise CredentialsError(verdict.message) from None
            if verdict.kind == "rate_limited":
                limited += 1
                # A reset already past (clock skew, whole-second headers) or none given: back off a little.
                wait = max(verdict.wait or 0.0, policy.backoff_after(limited))
                if wait > policy.max_wait:
                    return Outcome(
                        None, Failure("rate_limited", rate_limited_message(platform, wait, policy.max_wait)), attempts
                    )
                if limited >= policy.attempts:
                    last = describe_wait(wait)
                    message = f"rate limited by {platform} {limited} times in a row; gave up (last wait {last})"
                    return Outcome(None, Failure("rate_limited", message), attempts)
                policy.sleep(wait)
                continue
            if verdict.kind == "transient":
                transient += 1
                if transient < policy.attempts:
                    policy.sleep(policy.backoff_after(transient))
                    continue
                return Outcome(None, replace(verdict, message=f"{verdict.message} (after {transient} tries)"), attempts)
            return Outcome(None, verdict, attempts)
