"""Posting to Bluesky (any atproto PDS) with the atproto SDK.

Exactly once: each post is written with ``com.atproto.repo.createRecord`` under a record key
chosen from its PostKey, not from the clock. A second create with the same key is refused by
the PDS (the reference PDS answers 500, others 400 or 409), so after any failed create we read
the record under that key: when it is there the post is recognised as already made and its
uri/cid are returned. Posts are ``app.bsky.feed.post`` records, whose keys must be TIDs; the
key's 53-bit "timestamp" and 10-bit clock id both come from a hash of the PostKey, placed in
2023 so it can never be mistaken for a real creation time (the record's createdAt is).

Threads are replies with strong refs to the thread's root and the part before. The link card
is an ``app.bsky.embed.external``; its thumbnail is fetched through digest's guarded fetcher
(private addresses refused unless allowed) and uploaded as a blob. Rate limits come from the
``ratelimit-*`` headers of every response (an httpx hook) and 429's ``Retry-After``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import httpx
from atproto import Client, models
from atproto_client.exceptions import (
    InvokeTimeoutError,
    RateLimitExceededError,
    RequestErrorBase,
    UnauthorizedError,
)
from atproto_client.models.common import XrpcError
from atproto_client.request import Request

from digest.config import FetchSettings
from digest.errors import CredentialsError, FetchError, PublishError
from digest.ingest.fetch import Fetcher
from digest.publish.accounts import Account, secret_names
from digest.publish.base import (
    AccountInfo,
    Failure,
    LinkCard,
    PostKey,
    PostRef,
    PostRequest,
    PostResult,
    Publisher,
    PublisherOptions,
    Recovered,
    ReplyTo,
    call_with_retries,
)
from digest.publish.limits import RateWindow, wait_seconds

POST_COLLECTION = "app.bsky.feed.post"
THUMB_MAX_BYTES = 1_000_000  # app.bsky.embed.external#external.thumb maxSize
THUMB_TYPES = frozenset({"image/jpeg", "image/png", "image/webp", "image/gif"})
_TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"
_KEY_EPOCH_US = int(datetime(2023, 1, 1, tzinfo=UTC).timestamp() * 1_000_000)
_KEY_SPAN_US = 365 * 24 * 3600 * 1_000_000
_LOST_ANSWER = frozenset({502, 503, 504})
_CREDENTIAL_ERRORS = frozenset({"ExpiredToken", "InvalidToken", "AuthenticationRequired", "AccountTakedown"})


def record_key(key: PostKey) -> str:
    """The TID record key for ``key``: the same key always, a different one for anything else."""
    h = int.from_bytes(key.digest()[:8], "big")
    timestamp = _KEY_EPOCH_US + (h >> 10) % _KEY_SPAN_US
    value = (timestamp << 10) | (h & 0x3FF)
    chars = []
    for _ in range(13):
        chars.append(_TID_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def post_url(handle: str, uri: str) -> str:
    """The bsky.app page of a post record."""
    return f"https://bsky.app/profile/{handle}/post/{uri.rsplit('/', 1)[-1]}"


def _sniff_image(data: bytes) -> str | None:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def _xrpc_error(exc: RequestErrorBase) -> tuple[str, str]:
    """(error name, message) of an XRPC error response."""
    content = exc.response.content if exc.response is not None else None
    if isinstance(content, XrpcError):
        return content.error or "", content.message or ""
    return "", ""


class BlueskyPublisher(Publisher):
    platform = "bluesky"
    idempotent = True

    def __init__(
        self,
        account: Account,
        secrets: Mapping[str, str] | None = None,
        options: PublisherOptions | None = None,
        fetcher: Fetcher | None = None,
    ) -> None:
        super().__init__(account, secrets, options)
        assert account.handle is not None  # Account checks it
        self.handle = account.handle.lstrip("@")
        self.service = account.bluesky_service
        self.window = RateWindow()
        self._last_headers: dict[str, str] = {}
        request = Request(
            timeout=httpx.Timeout(self.options.timeout),
            trust_env=False,  # a proxy from the environment would see the session tokens
            event_hooks={"response": [self._remember_headers]},
        )
        self._client = Client(base_url=self.service, request=request)
        self._did: str | None = None
        self._fetcher = fetcher
        self._own_fetcher = fetcher is None
        self._thumbs: dict[str, Any] = {}  # thumbnail URL -> uploaded blob ref, in this process

    def close(self) -> None:
        self._client.request.close()
        if self._fetcher is not None and self._own_fetcher:
            self._fetcher.close()
            self._fetcher = None

    def _remember_headers(self, response: httpx.Response) -> None:
        self._last_headers = dict(response.headers)
        self.window.update(self._last_headers)

    # -- errors --------------------------------------------------------------
    def _credentials_message(self, reason: str) -> str:
        variable = secret_names("bluesky", self.account.name)["app_password"]
        return (
            f"{self.label} ({self.handle} on {self.service}): login refused ({self.redact(reason)}); "
            f"create a new app password and set {variable}"
        )

    def _classify(self, exc: Exception) -> Failure | Recovered[Any] | None:
        if isinstance(exc, RateLimitExceededError):
            headers = exc.response.headers if exc.response is not None else self._last_headers
            return Failure("rate_limited", "rate limited", wait_seconds(headers))
        if isinstance(exc, UnauthorizedError):
            name, message = _xrpc_error(exc)
            return Failure("credentials", self._credentials_message(message or name or "401"))
        if isinstance(exc, InvokeTimeoutError):
            return Failure("transient", f"{self.service} did not answer in time")
        if isinstance(exc, RequestErrorBase):
            name, message = _xrpc_error(exc)
            if name in _CREDENTIAL_ERRORS:
                return Failure("credentials", self._credentials_message(message or name))
            status = exc.response.status_code if exc.response is not None else None
            detail = self.redact(f"{name}: {message}" if message else name or str(exc.__cause__ or exc))
            if status is None or status >= 500:
                where = f"server error {status}" if status else "network error"
                return Failure("transient", f"bluesky {where}: {detail or type(exc).__name__}")
            return Failure("rejected", f"bluesky refused the post: {detail}")
        return None

    def _call(self, call: Any) -> Any:
        outcome = call_with_retries(call, self._classify, self.options.retry, self.window, self.platform)
        if outcome.failure is not None:
            raise PublishError(f"{self.label} ({self.handle}): {outcome.failure.message}")
        return outcome.value

    def _login(self) -> str:
        if self._did is None:
            password = self._secrets["app_password"]
            self._call(lambda: self._client.login(self.handle, password, fetch_bsky_profile=False))
            session = self._client._session
            if session is None:  # pragma: no cover - login either sets it or raises
                raise PublishError(f"{self.label}: login gave no session")
            self._did = session.did
        return self._did

    # -- the interface ---------------------------------------------------------
    def verify(self) -> AccountInfo:
        self._login()
        me = self._call(self._client.com.atproto.server.get_session)
        return AccountInfo(
            platform=self.platform,
            account=self.account.name,
            id=me.did,
            handle=f"@{me.handle}",
            url=f"https://bsky.app/profile/{me.handle}",
        )

    def post(self, request: PostRequest) -> PostResult:
        did = self._login()
        rkey = record_key(request.key)
        warnings: list[str] = []
        record = models.AppBskyFeedPost.Record(
            text=request.text,
            created_at=self._client.get_current_time_iso(),
            facets=self._facets(request.facets),
            reply=self._reply(request.reply_to),
            embed=self._embed(request.card, warnings),
            langs=[request.language] if request.language else None,
        )
        data = models.ComAtprotoRepoCreateRecord.Data(repo=did, collection=POST_COLLECTION, rkey=rkey, record=record)
        in_doubt = False  # an earlier try in this call may have written the record

        def create() -> PostRef:
            made = self._client.com.atproto.repo.create_record(data)
            return PostRef(id=made.uri, cid=made.cid, url=post_url(self.handle, made.uri))

        def classify(exc: Exception) -> Failure | Recovered[Any] | None:
            nonlocal in_doubt
            verdict = self._classify(exc)
            if verdict is None or isinstance(verdict, Recovered) or verdict.kind in {"credentials", "rate_limited"}:
                return verdict
            # A lost answer (timeout, dropped connection, gateway error) may hide our own write;
            # a server that answered (the reference PDS says 500 to a taken key) did not write it now.
            response = exc.response if isinstance(exc, RequestErrorBase) else None
            in_doubt = in_doubt or response is None or response.status_code in _LOST_ANSWER
            existing = self._existing(did, rkey)
            if existing is not None:
                return Recovered(("posted" if in_doubt else "already_posted", existing))
            return verdict

        outcome = call_with_retries(
            lambda: ("posted", create()), classify, self.options.retry, self.window, self.platform
        )
        if outcome.failure is not None or outcome.value is None:
            message = outcome.failure.message if outcome.failure else "no record came back"
            return PostResult(
                "failed", request.key, message=message, attempts=outcome.attempts, warnings=tuple(warnings)
            )
        status, ref = outcome.value
        return PostResult(status, request.key, ref=ref, attempts=outcome.attempts, warnings=tuple(warnings))

    # -- pieces of a record --------------------------------------------------
    def _existing(self, did: str, rkey: str) -> PostRef | None:
        """The post already under ``rkey``, or None (also when the PDS cannot be asked right now)."""
        params = models.ComAtprotoRepoGetRecord.Params(repo=did, collection=POST_COLLECTION, rkey=rkey)
        try:
            found = self._client.com.atproto.repo.get_record(params)
        except RequestErrorBase:
            return None
        return PostRef(id=found.uri, cid=found.cid, url=post_url(self.handle, found.uri))

    @staticmethod
    def _facets(facets: Sequence[Mapping[str, Any]] | None) -> list[models.AppBskyRichtextFacet.Main] | None:
        if not facets:
            return None
        return [models.AppBskyRichtextFacet.Main.model_validate(dict(f)) for f in facets]

    def _strong_ref(self, ref: PostRef) -> models.ComAtprotoRepoStrongRef.Main:
        cid = ref.cid
        if cid is None:  # a caller that kept only the URI: the CID is one read away
            uri = ref.id.removeprefix("at://").split("/")
            params = models.ComAtprotoRepoGetRecord.Params(repo=uri[0], collection=uri[1], rkey=uri[2])
            cid = self._call(lambda: self._client.com.atproto.repo.get_record(params)).cid
        return models.ComAtprotoRepoStrongRef.Main(uri=ref.id, cid=cid)

    def _reply(self, reply_to: ReplyTo | None) -> models.AppBskyFeedPost.ReplyRef | None:
        if reply_to is None:
            return None
        return models.AppBskyFeedPost.ReplyRef(
            root=self._strong_ref(reply_to.root), parent=self._strong_ref(reply_to.parent)
        )

    def _embed(self, card: LinkCard | None, warnings: list[str]) -> models.AppBskyEmbedExternal.Main | None:
        if card is None:
            return None
        thumb = self._thumb(card.thumb_url, warnings) if card.thumb_url else None
        external = models.AppBskyEmbedExternal.External(
            uri=card.uri, title=card.title, description=card.description, thumb=thumb
        )
        return models.AppBskyEmbedExternal.Main(external=external)

    def _thumb(self, url: str, warnings: list[str]) -> Any:
        """The uploaded blob of the card's image; None (and a warning) when it cannot be had."""
        if url in self._thumbs:
            return self._thumbs[url]
        if self._fetcher is None:
            self._fetcher = Fetcher(
                FetchSettings(
                    allow_private_addresses=self.options.allow_private_addresses,
                    timeout=self.options.timeout,
                    max_bytes=THUMB_MAX_BYTES,
                )
            )
        try:
            response = self._fetcher.get(url, accept=THUMB_TYPES)
        except FetchError as exc:
            warnings.append(f"card thumbnail left out: {exc}")
            return None
        mime = response.content_type or _sniff_image(response.content)
        if mime not in THUMB_TYPES or not response.content:
            warnings.append(f"card thumbnail left out: {url}: not a JPEG, PNG, WebP or GIF image")
            return None
        try:
            blob = self._call(
                lambda: self._client.com.atproto.repo.upload_blob(response.content, headers={"Content-Type": mime})
            ).blob
        except CredentialsError:
            raise
        except PublishError as exc:
            warnings.append(f"card thumbnail left out: upload failed: {exc}")
            return None
        self._thumbs[url] = blob
        return blob
