"""Safe HTTP GET for feeds and pages: the only place `digest` talks to the web to read.

Why not just ``httpx.get``: a newsletter tool fetches URLs that other people wrote (feed
entries, redirects), so every connection goes through the address guard and one wall-clock
deadline covers the whole request (``guard``), redirects are followed by hand so each hop's
scheme is checked, bodies are decoded layer by layer under a size cap that counts decoded
bytes (``decoding``), and every failure is one readable line.
"""

from __future__ import annotations

import logging
import ssl
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import httpx

from digest.config import FetchSettings
from digest.errors import FetchError
from digest.ingest.decoding import ACCEPT_ENCODING, decoder
from digest.ingest.guard import AddressRefused, DeadlinePassed, GuardedBackend, deadline
from digest.ingest.guard import address_problem as address_problem  # re-exported for callers
from digest.ingest.guard import resolve_checked as resolve_checked

log = logging.getLogger(__name__)

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
FEED_TYPES = frozenset(
    {
        "application/rss+xml",
        "application/atom+xml",
        "application/rdf+xml",
        "application/xml",
        "text/xml",
        "application/x-rss+xml",
        "application/x-atom+xml",
        "application/feed+xml",
        # Misconfigured servers serve feeds as these; the parser decides.
        "text/plain",
        "application/octet-stream",
    }
)
ANY_DOCUMENT = HTML_TYPES | FEED_TYPES
REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})


def human_size(n: int) -> str:
    if n >= 1_000_000:
        return f"{n / 1_000_000:g} MB"
    if n >= 1_000:
        return f"{n / 1_000:g} KB"
    return f"{n} bytes"


def _seconds(t: float) -> str:
    return f"{t:g} s"


@dataclass(frozen=True)
class Response:
    """A fetched body (or a 304) with what callers need to remember for the next time."""

    url: str
    final_url: str
    status: int
    content: bytes = b""
    content_type: str | None = None
    charset: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    def text(self) -> str:
        try:
            return self.content.decode(self.charset or "utf-8", "replace")
        except LookupError:
            return self.content.decode("utf-8", "replace")


def check_scheme(url: str, original: str | None = None) -> None:
    where = original or url
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        raise FetchError(f"{where}: not a valid URL ({exc})") from None
    if parts.scheme.lower() not in {"http", "https"}:
        shown = parts.scheme or "no scheme"
        if original and original != url:
            raise FetchError(f"{where}: refused: redirect to a {shown} URL ({url}); only http and https are fetched")
        raise FetchError(f"{where}: refused: {shown} URLs cannot be fetched; only http and https")
    if not parts.hostname:
        raise FetchError(f"{where}: not a valid URL (no host)")


_live: weakref.WeakSet[Fetcher] = weakref.WeakSet()


def abort_all_fetches() -> None:
    """A process is stopping: every fetch in flight, in any thread, ends now."""
    for fetcher in list(_live):
        fetcher.abort()


class Fetcher:
    """One pooled, guarded HTTP client; thread-safe, so one per ingest run or collect."""

    def __init__(self, settings: FetchSettings, ssl_context: ssl.SSLContext | None = None) -> None:
        """``ssl_context``: certificate authorities other than the system's (tests, private CAs)."""
        self.settings = settings
        limits = httpx.Limits(max_connections=max(4, settings.concurrency * 2), max_keepalive_connections=32)
        transport = httpx.HTTPTransport(limits=limits, retries=0, verify=ssl_context or True)
        pool = getattr(transport, "_pool", None)
        if pool is None or not hasattr(pool, "_network_backend"):  # pragma: no cover - httpx internals moved
            raise RuntimeError("httpx transport has no network backend hook: cannot guard addresses")
        self._backend = GuardedBackend(settings.allow_private_addresses)
        pool._network_backend = self._backend
        _live.add(self)
        self._client = httpx.Client(
            transport=transport,
            timeout=httpx.Timeout(settings.timeout),
            follow_redirects=False,
            trust_env=False,  # a proxy would connect on our behalf, past the address check
            headers={"User-Agent": settings.user_agent, "Accept-Encoding": ACCEPT_ENCODING},
        )

    def close(self) -> None:
        self._client.close()

    def abort(self) -> None:
        """From another thread: every fetch in flight ends now (a run stopped by a signal)."""
        self._backend.abort()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get(
        self,
        url: str,
        *,
        accept: frozenset[str] = ANY_DOCUMENT,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> Response:
        """GET ``url``; 304 comes back as a Response with ``not_modified``; failures raise FetchError."""
        check_scheme(url)
        seen = {url}
        current = url
        timeout = self.settings.timeout
        headers = {"Accept": _accept_header(accept)}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        try:
            with deadline(timeout):  # one clock for DNS, connect, TLS, headers, body, every redirect
                for _hop in range(self.settings.max_redirects + 1):
                    with self._client.stream("GET", current, headers=headers) as resp:
                        if resp.status_code in REDIRECT_CODES and resp.headers.get("location"):
                            nxt = urljoin(current, resp.headers["location"].strip())
                            check_scheme(nxt, original=url)
                            if nxt in seen:
                                raise FetchError(f"{url}: redirect loop ({current} -> {nxt})")
                            seen.add(nxt)
                            current = nxt
                            continue
                        return self._finish(url, current, resp, accept)
        except DeadlinePassed:
            raise FetchError(f"{url}: timed out after {_seconds(timeout)}") from None
        except AddressRefused as exc:
            host = urlsplit(current).hostname
            prefix = url if current == url else f"{url}: redirect to {host}"
            raise AddressRefused(f"{prefix}: {exc}") from None
        except FetchError as exc:
            if str(exc).startswith(url):
                raise
            raise FetchError(f"{url}: {exc}") from None
        except httpx.TimeoutException:
            raise FetchError(f"{url}: timed out after {_seconds(timeout)}") from None
        except httpx.ConnectError as exc:
            raise FetchError(f"{url}: cannot connect: {_reason(exc)}") from None
        except httpx.InvalidURL as exc:
            raise FetchError(f"{url}: not a valid URL: {exc}") from None
        except (httpx.RemoteProtocolError, httpx.LocalProtocolError) as exc:
            raise FetchError(f"{url}: the server sent a malformed or oversized response ({_reason(exc)})") from None
        except httpx.HTTPError as exc:
            raise FetchError(f"{url}: {type(exc).__name__}: {_reason(exc)}") from None
        limit = self.settings.max_redirects
        raise FetchError(f"{url}: too many redirects (more than {limit})")

    def _finish(self, url: str, current: str, resp: httpx.Response, accept: frozenset[str]) -> Response:
        etag = resp.headers.get("etag")
        last_modified = resp.headers.get("last-modified")
        if resp.status_code == 304:
            resp.read()  # no body, but reading it completes the exchange so the connection is reused
            return Response(url, current, 304, etag=etag, last_modified=last_modified)
        if not 200 <= resp.status_code < 300:
            raise FetchError(f"{url}: HTTP {resp.status_code} {resp.reason_phrase}".rstrip())
        mime, charset = parse_content_type(resp.headers.get("content-type"))
        if mime and mime not in accept:
            raise FetchError(f"{url}: unsupported content type {mime}")
        cap = self.settings.max_bytes
        declared = resp.headers.get("content-length")
        encoding = resp.headers.get("content-encoding")
        if declared and declared.isdigit() and int(declared) > cap:
            raise FetchError(f"{url}: response over the {human_size(cap)} limit")
        body = decoder(resp.iter_raw(), encoding)
        chunks: list[bytes] = []
        size = 0
        while True:
            chunk = body.read(min(cap + 1 - size, 256 * 1024))  # decoded bytes, counted as they come
            if not chunk:
                break
            size += len(chunk)
            if size > cap:
                raise FetchError(f"{url}: response over the {human_size(cap)} limit")
            chunks.append(chunk)
        headers = {k: v for k, v in resp.headers.items() if k.lower() != "content-encoding"}
        return Response(
            url=url,
            final_url=current,
            status=resp.status_code,
            content=b"".join(chunks),
            content_type=mime,
            charset=charset,
            etag=etag,
            last_modified=last_modified,
            headers=headers,
        )


def parse_content_type(value: str | None) -> tuple[str | None, str | None]:
    if not value:
        return None, None
    mime, _, params = value.partition(";")
    charset = None
    for param in params.split(";"):
        key, _, val = param.partition("=")
        if key.strip().lower() == "charset" and val.strip():
            charset = val.strip().strip("\"'").lower()
    return mime.strip().lower() or None, charset


def _accept_header(accept: frozenset[str]) -> str:
    if accept <= HTML_TYPES:
        return "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1"
    if not accept & HTML_TYPES:
        return "application/rss+xml,application/atom+xml,application/xml;q=0.9,text/xml;q=0.9,*/*;q=0.1"
    return "application/rss+xml,application/atom+xml,text/html;q=0.9,application/xml;q=0.9,*/*;q=0.1"


def _reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


# ---------------------------------------------------------------- sharing one client

_shared: dict[FetchSettings, tuple[Fetcher, int]] = {}
_shared_lock = threading.Lock()


@contextmanager
def shared_fetcher(settings: FetchSettings) -> Iterator[Fetcher]:
    """Reuse one pooled client for everything fetched inside this block (e.g. one collect)."""
    with _shared_lock:
        fetcher, count = _shared.get(settings, (None, 0))
        if fetcher is None:
            fetcher = Fetcher(settings)
        _shared[settings] = (fetcher, count + 1)
    try:
        yield fetcher
    finally:
        with _shared_lock:
            fetcher, count = _shared[settings]
            if count <= 1:
                del _shared[settings]
                fetcher.close()
            else:
                _shared[settings] = (fetcher, count - 1)


@contextmanager
def fetcher_for(settings: FetchSettings, fetcher: Fetcher | None = None) -> Iterator[Fetcher]:
    """The given fetcher, a shared one if a block opened it, else a fresh one closed after use."""
    if fetcher is not None:
        yield fetcher
        return
    with _shared_lock:
        entry = _shared.get(settings)
    if entry is not None:
        yield entry[0]
        return
    with Fetcher(settings) as fresh:
        yield fresh
