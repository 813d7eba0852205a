"""fetch.py against a real HTTP server on 127.0.0.1: safety guards, limits and one-line errors."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.support.feedserver import FixtureServer, Route, serve

from digest.config import FetchSettings
from digest.errors import FetchError
from digest.ingest.fetch import HTML_TYPES, AddressRefused, Fetcher, resolve_checked

ALLOW = FetchSettings(allow_private_addresses=True, timeout=1.0, max_bytes=2_000_000, max_redirects=3)
DENY = FetchSettings(allow_private_addresses=False, timeout=1.0, max_bytes=2_000_000, max_redirects=3)
SMALL = FetchSettings(allow_private_addresses=True, timeout=1.0, max_bytes=200_000)


@pytest.fixture
def web() -> Iterator[FixtureServer]:
    with serve() as server:
        yield server


@pytest.fixture
def fetcher() -> Iterator[Fetcher]:
    with Fetcher(ALLOW) as f:
        yield f


@pytest.fixture
def connections(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """Every TCP connection attempt made through socket.create_connection (httpcore uses it)."""
    seen: list[tuple[str, int]] = []
    real = socket.create_connection

    def spy(address, *args, **kwargs):  # type: ignore[no-untyped-def]
        seen.append((address[0], address[1]))
        return real(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", spy)
    return seen


def test_page_fetched_with_user_agent_and_metadata(web: FixtureServer, fetcher: Fetcher) -> None:
    url = web.page("/a.html", "360c732d1fdb", etag='"v1"', last_modified="Wed, 20 Nov 2019 10:00:00 GMT")
    resp = fetcher.get(url, accept=HTML_TYPES)
    assert resp.status == 200 and resp.content.startswith(b"<")
    assert resp.content_type == "text/html" and resp.charset == "utf-8"
    assert resp.etag == '"v1"' and resp.last_modified == "Wed, 20 Nov 2019 10:00:00 GMT"


def test_loopback_refused_without_permission_and_never_contacted(web: FixtureServer) -> None:
    url = web.page("/a.html", "360c732d1fdb")
    with Fetcher(DENY) as f, pytest.raises(AddressRefused) as err:
        f.get(url)
    assert str(err.value) == (
        f"{url}: refused: resolves to a loopback address (127.0.0.1); "
        "set [fetch] allow_private_addresses = true to allow"
    )
    assert web.hits["/a.html"] == 0


def test_hostname_resolving_to_loopback_is_refused(web: FixtureServer) -> None:
    url = f"http://localhost:{web.port}/a.html"
    web.page("/a.html", "360c732d1fdb")
    with Fetcher(DENY) as f, pytest.raises(AddressRefused, match="loopback address"):
        f.get(url)
    assert web.hits["/a.html"] == 0


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("http://10.255.255.1/feed.xml", "private"),
        ("http://192.168.1.10/", "private"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://[::1]:9/", "loopback"),
        ("http://224.0.0.1/", "multicast"),
        ("http://0.0.0.0:9/", "unspecified"),
    ],
)
def test_private_addresses_refused_before_any_connection(
    url: str, kind: str, connections: list[tuple[str, int]]
) -> None:
    with Fetcher(DENY) as f, pytest.raises(AddressRefused, match=f"resolves to an? {kind} address"):
        f.get(url)
    assert connections == []


def test_resolve_checked_refuses_any_private_answer() -> None:
    assert resolve_checked("127.0.0.1", 80, allow_private=True) == ["127.0.0.1"]
    with pytest.raises(AddressRefused):
        resolve_checked("127.0.0.1", 80, allow_private=False)


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.com/feed", "gopher://x/"])
def test_non_http_schemes_refused(url: str, fetcher: Fetcher) -> None:
    with pytest.raises(FetchError, match="only http and https"):
        fetcher.get(url)


@pytest.mark.parametrize("url", ["http://[::1/", "http://example.com:99999/", "http:///nohost"])
def test_malformed_urls_are_one_line_errors(url: str, fetcher: Fetcher) -> None:
    with pytest.raises(FetchError, match=r"not a valid URL"):
        fetcher.get(url)


def test_redirect_to_other_scheme_refused(web: FixtureServer, fetcher: Fetcher) -> None:
    url = web.add("/r", Route(status=302, location="file:///etc/passwd"))
    with pytest.raises(FetchError, match=r"redirect to a file URL"):
        fetcher.get(url)


def test_redirects_followed_and_checked_each_hop(web: FixtureServer, fetcher: Fetcher) -> None:
    web.page("/final.html", "b37be3535e1f")
    web.add("/hop2", Route(status=301, location="/final.html"))
    url = web.add("/hop1", Route(status=302, location=web.url("/hop2")))
    resp = fetcher.get(url)
    assert resp.final_url == web.url("/final.html")
    assert web.hits["/hop1"] == web.hits["/hop2"] == web.hits["/final.html"] == 1


def test_redirect_loop_and_too_many_redirects(web: FixtureServer, fetcher: Fetcher) -> None:
    web.add("/loop-b", Route(status=302, location="/loop-a"))
    url = web.add("/loop-a", Route(status=302, location="/loop-b"))
    with pytest.raises(FetchError, match=r"^http://127\.0\.0\.1:\d+/loop-a: redirect loop"):
        fetcher.get(url)
    for i in range(6):
        web.add(f"/chain{i}", Route(status=302, location=f"/chain{i + 1}"))
    with pytest.raises(FetchError, match=r"too many redirects \(more than 3\)$"):
        fetcher.get(web.url("/chain0"))


@pytest.mark.parametrize(("status", "reason"), [(404, "Not Found"), (500, "Internal Server Error"), (403, "Forbidden")])
def test_http_errors_are_one_line(web: FixtureServer, fetcher: Fetcher, status: int, reason: str) -> None:
    url = web.add("/x", Route(status=status, body=b"nope"))
    with pytest.raises(FetchError) as err:
        fetcher.get(url)
    assert str(err.value) == f"{url}: HTTP {status} {reason}"


def test_missing_route_is_404(web: FixtureServer, fetcher: Fetcher) -> None:
    with pytest.raises(FetchError, match=r"/nothing-here: HTTP 404 Not Found$"):
        fetcher.get(web.url("/nothing-here"))


def test_size_cap_declared_and_streamed(web: FixtureServer) -> None:
    big = b"<html><body>" + b"x" * 300_000 + b"</body></html>"
    declared = web.add("/big", Route(body=big))
    streamed = web.add("/big-chunked", Route(body=big, chunked=True))
    fits = web.add("/fits", Route(body=big[:150_000], chunked=True))
    with Fetcher(SMALL) as fetcher:
        for url in (declared, streamed):
            with pytest.raises(FetchError) as err:
                fetcher.get(url)
            assert str(err.value) == f"{url}: response over the 200 KB limit"
        assert len(fetcher.get(fits).content) == 150_000


def test_slow_response_times_out(web: FixtureServer, fetcher: Fetcher) -> None:
    url = web.add("/slow", Route(body=b"<html></html>", delay=2.5))
    with pytest.raises(FetchError) as err:
        fetcher.get(url)
    assert str(err.value) == f"{url}: timed out after 1 s"


def test_wrong_content_type_refused(web: FixtureServer, fetcher: Fetcher) -> None:
    url = web.add("/img", Route(body=b"\x89PNG....", content_type="image/png"))
    with pytest.raises(FetchError, match=r"/img: unsupported content type image/png$"):
        fetcher.get(url, accept=HTML_TYPES)


def test_conditional_get_returns_not_modified(web: FixtureServer, fetcher: Fetcher) -> None:
    url = web.page("/p.html", "b37be3535e1f", etag='"abc"')
    first = fetcher.get(url)
    second = fetcher.get(url, etag=first.etag)
    assert first.status == 200 and second.not_modified and second.content == b""
    assert web.conditional["/p.html"] == 1 and web.not_modified["/p.html"] == 1


def test_connection_refused_is_one_line(fetcher: Fetcher) -> None:
    from tests.support.net import free_port

    url = f"http://127.0.0.1:{free_port()}/feed"
    with pytest.raises(FetchError, match=r"^http://127\.0\.0\.1:\d+/feed: cannot connect"):
        fetcher.get(url)


def test_https_keeps_hostname_verification_while_pinning_the_checked_address(tmp_path: Path) -> None:
    """We connect to the address we checked, yet TLS still verifies the certificate for the host name."""
    import ssl
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    import trustme

    ca = trustme.CA()
    cert = ca.issue_cert("localhost")

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            body = b"<html><body><p>secure</p></body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(server_ctx)
    httpd.socket = server_ctx.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    port = httpd.server_address[1]
    try:
        client_ctx = ssl.create_default_context()
        ca.configure_trust(client_ctx)
        with Fetcher(ALLOW, ssl_context=client_ctx) as f:
            assert f.get(f"https://localhost:{port}/").content.endswith(b"</html>")
            # the certificate names "localhost", not the bare address: verification must fail
            with pytest.raises(FetchError, match="cannot connect"):
                f.get(f"https://127.0.0.1:{port}/")
    finally:
        httpd.shutdown()
        httpd.server_close()
