"""Posting to the reference Bluesky PDS (started from npm by the tests) through digest's publisher."""

from __future__ import annotations

import struct
import time
import zlib
from collections.abc import Iterator

import httpx
import pytest
from tests.support.faultproxy import Fault, fault_proxy
from tests.support.feedserver import FixtureServer, Route
from tests.support.pds import BlueskyAccount, LocalPDS

from digest.errors import CredentialsError, PublishError
from digest.models import Article, Summary
from digest.publish import Account, LinkCard, PostKey, PostRequest, PublisherOptions, post_requests, post_thread
from digest.publish.bluesky import BlueskyPublisher, record_key
from digest.render.social import SocialWriter

pytestmark = pytest.mark.slow  # the PDS takes a few seconds to start


def tiny_png(width: int = 4, height: int = 3) -> bytes:
    """A valid PNG made here, so the blob's bytes can be compared."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + bytes([200, 30, 60]) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


@pytest.fixture
def account(pds: LocalPDS, unique: str) -> BlueskyAccount:
    return pds.create_account(f"user-{unique}.test")


@pytest.fixture(scope="module")
def images() -> Iterator[FixtureServer]:
    server = FixtureServer().start()
    server.add("/thumb.png", Route(body=tiny_png(), content_type="image/png"))
    try:
        yield server
    finally:
        server.stop()


def publisher(
    service: str, who: BlueskyAccount, options: PublisherOptions, password: str | None = None
) -> BlueskyPublisher:
    account = Account(name="news", platform="bluesky", handle=who.handle, service=service)
    return BlueskyPublisher(account, {"DIGEST_BLUESKY_APP_PASSWORD_NEWS": password or who.app_password}, options)


def rkey_of(uri: str) -> str:
    return uri.rsplit("/", 1)[-1]


def test_verify_logs_in_with_the_app_password(
    pds: LocalPDS, account: BlueskyAccount, fast_options: PublisherOptions
) -> None:
    with publisher(pds.base, account, fast_options) as pub:
        info = pub.verify()
    assert info.id == account.did and info.handle == f"@{account.handle}"
    assert pds.list_posts(account.did) == []


def test_post_with_facets_and_card(
    pds: LocalPDS, account: BlueskyAccount, images: FixtureServer, fast_options: PublisherOptions
) -> None:
    """The social writer's post (non-ASCII, so bytes != characters) keeps its facets; the thumbnail is a blob."""
    article = Article(
        title="Zürich öffnet die neue Seebrücke für Fußgänger",
        text="Die Stadt Zürich hat am Montag die neue Seebrücke eröffnet. Tausende Fußgänger kamen.",
        source="zurich.md",
        url="https://news.example/zürich/seebrücke-eröffnet-2026",
        language="de",
    )
    summary = Summary(lede="Die Stadt Zürich hat am Montag die neue Seebrücke eröffnet.", language="de")
    social = SocialWriter().post(article, summary, "bluesky")
    assert social.facets and not social.text.isascii()
    card = LinkCard(article.url or "", article.title, "Die neue Seebrücke", thumb_url=images.url("/thumb.png"))
    [request] = post_requests(social, "story-zurich", "news", card=card, language="de")
    with publisher(pds.base, account, fast_options) as pub:
        result = pub.post(request)
    assert result.status == "posted", result.message
    assert result.warnings == ()
    assert result.ref and rkey_of(result.ref.id) == record_key(request.key)

    got = pds.get_post(account.did, record_key(request.key))
    assert got["uri"] == result.ref.id and got["cid"] == result.ref.cid
    value = got["value"]
    assert value["text"] == social.text and value["langs"] == ["de"]
    stored = [({k: v for k, v in f["index"].items() if k != "$type"}, f["features"]) for f in value["facets"]]
    assert stored == [(f["index"], f["features"]) for f in social.facets]
    encoded = value["text"].encode("utf-8")
    shown = {
        f["features"][0]["$type"].rsplit("#", 1)[1]: encoded[f["index"]["byteStart"] : f["index"]["byteEnd"]].decode()
        for f in value["facets"]
    }
    assert shown["link"].startswith("news.example/z%C3%BCrich/seeb")  # after "Zürich", "Seebrücke", "eröffnet"
    assert value["text"].index(shown["link"]) != encoded.index(shown["link"].encode())  # bytes are not characters
    tags = [encoded[f["index"]["byteStart"] : f["index"]["byteEnd"]].decode() for f in value["facets"][1:]]
    assert tags == ["#" + f["features"][0]["tag"] for f in value["facets"][1:]] and "#Seebrücke" in tags
    assert value["facets"][0]["features"][0]["uri"] in social.links

    external = value["embed"]["external"]
    assert value["embed"]["$type"] == "app.bsky.embed.external"
    assert (external["uri"], external["title"]) == (card.uri, card.title)
    thumb = external["thumb"]
    assert thumb["mimeType"] == "image/png" and thumb["size"] == len(tiny_png())
    blob = pds.get_blob(account.did, thumb["ref"]["$link"])
    assert blob.status_code == 200 and blob.content == tiny_png()


def test_thumbnail_on_a_private_address_is_refused_unless_allowed(
    pds: LocalPDS, account: BlueskyAccount, images: FixtureServer, fast_options: PublisherOptions
) -> None:
    strict = PublisherOptions(timeout=10, retry=fast_options.retry, allow_private_addresses=False)
    card = LinkCard("https://news.example/a", "A", thumb_url=images.url("/thumb.png"))
    with publisher(pds.base, account, strict) as pub:
        result = pub.post(PostRequest(text="card without picture", key=PostKey("story-private", "news"), card=card))
    assert result.status == "posted"
    assert len(result.warnings) == 1 and "loopback" in result.warnings[0] and "thumbnail left out" in result.warnings[0]
    value = pds.get_post(account.did, record_key(result.key))["value"]
    assert value["embed"]["external"]["uri"] == "https://news.example/a"
    assert "thumb" not in value["embed"]["external"]


def test_thread_is_replies_with_root_and_parent(
    pds: LocalPDS, account: BlueskyAccount, fast_options: PublisherOptions
) -> None:
    parts = [PostRequest(text=f"{i}/3 part {i}", key=PostKey("story-thread", "news", i)) for i in (1, 2, 3)]
    with publisher(pds.base, account, fast_options) as pub:
        results = post_thread(pub, parts)
    assert [r.status for r in results] == ["posted"] * 3
    uris = [r.ref.id for r in results if r.ref]
    cids = [r.ref.cid for r in results if r.ref]
    values = [pds.get_post(account.did, rkey_of(u))["value"] for u in uris]
    assert [v["text"] for v in values] == ["1/3 part 1", "2/3 part 2", "3/3 part 3"]
    assert "reply" not in values[0]
    for i in (1, 2):
        reply = values[i]["reply"]
        assert (reply["parent"]["uri"], reply["parent"]["cid"]) == (uris[i - 1], cids[i - 1])
        assert (reply["root"]["uri"], reply["root"]["cid"]) == (uris[0], cids[0])


def test_the_same_key_is_recognised_as_already_posted(
    pds: LocalPDS, account: BlueskyAccount, fast_options: PublisherOptions
) -> None:
    request = PostRequest(text="Only once on Bluesky", key=PostKey("story-dup", "news"))
    with publisher(pds.base, account, fast_options) as pub:
        first = pub.post(request)
        second = pub.post(request)
    with publisher(pds.base, account, fast_options) as pub:  # a new run, as after a crash
        third = pub.post(request)
    assert (first.status, second.status, third.status) == ("posted", "already_posted", "already_posted")
    assert first.ref == second.ref == third.ref
    assert len(pds.list_posts(account.did)) == 1


def test_a_lost_answer_is_resolved_by_the_record_key(
    pds: LocalPDS, account: BlueskyAccount, fast_options: PublisherOptions
) -> None:
    """The PDS writes the record but the client gets a 502: the retry finds it and nothing doubles."""
    with fault_proxy(pds.base) as proxy:
        proxy.faults.append(Fault("com.atproto.repo.createRecord", 502, forward=True))
        with publisher(proxy.base, account, fast_options) as pub:
            result = pub.post(PostRequest(text="Answer lost on the way", key=PostKey("story-lost", "news")))
        assert result.status == "posted" and result.attempts == 1
        assert proxy.calls("createRecord") == [502]
        assert proxy.calls("getRecord") == [200]
    assert len(pds.list_posts(account.did)) == 1


def test_429_with_ratelimit_headers_is_honoured(
    pds: LocalPDS, account: BlueskyAccount, fast_options: PublisherOptions
) -> None:
    with fault_proxy(pds.base) as proxy:
        reset = str(int(time.time()) + 1)
        headers = {"ratelimit-limit": "5000", "ratelimit-remaining": "0", "ratelimit-reset": reset, "Retry-After": "1"}
        body = b'{"error":"RateLimitExceeded","message":"Rate Limit Exceeded"}'
        proxy.faults.append(Fault("com.atproto.repo.createRecord", 429, headers, body))
        started = time.monotonic()
        with publisher(proxy.base, account, fast_options) as pub:
            result = pub.post(PostRequest(text="After the limit", key=PostKey("story-429", "news")))
        elapsed = time.monotonic() - started
        assert result.status == "posted" and result.attempts == 2
        assert 0.9 <= elapsed < 5
        assert proxy.calls("createRecord") == [429, 200]
    assert len(pds.list_posts(account.did)) == 1


def test_login_over_the_pds_limit_fails_fast_with_when(
    pds: LocalPDS, account: BlueskyAccount, fast_options: PublisherOptions
) -> None:
    """The real PDS allows 30 logins per 5 minutes per handle; the 31st is refused with ratelimit-reset."""
    with httpx.Client(base_url=pds.base, trust_env=False) as c:
        codes = [
            c.post(
                "/xrpc/com.atproto.server.createSession",
                json={"identifier": account.handle, "password": account.app_password},
            ).status_code
            for _ in range(31)
        ]
    if 429 not in codes:
        pytest.fail(f"the PDS did not rate-limit logins (rate limits off?): {codes[-3:]}")
    started = time.monotonic()
    with publisher(pds.base, account, fast_options) as pub, pytest.raises(PublishError) as err:
        pub.verify()
    assert time.monotonic() - started < 3
    assert "rate limited by bluesky for" in str(err.value) and "try again after" in str(err.value)


def test_a_rejected_post_fails_with_the_pds_message(
    pds: LocalPDS, account: BlueskyAccount, fast_options: PublisherOptions
) -> None:
    with publisher(pds.base, account, fast_options) as pub:
        result = pub.post(PostRequest(text="é" * 301, key=PostKey("story-long", "news")))
        after = pub.post(PostRequest(text="fits", key=PostKey("story-fits", "news")))
    assert result.status == "failed" and result.attempts == 1
    assert result.message.startswith("bluesky refused the post: InvalidRequest:")
    assert "(maximum 300, got 301)" in result.message
    assert after.status == "posted"
    assert len(pds.list_posts(account.did)) == 1


def test_a_wrong_app_password_is_one_clear_error(
    pds: LocalPDS, account: BlueskyAccount, fast_options: PublisherOptions
) -> None:
    wrong = "aaaa-bbbb-cccc-dddd"
    with publisher(pds.base, account, fast_options, password=wrong) as pub, pytest.raises(CredentialsError) as err:
        pub.post(PostRequest(text="never", key=PostKey("story-401", "news")))
    message = str(err.value)
    assert "\n" not in message and wrong not in message
    assert "login refused" in message and "DIGEST_BLUESKY_APP_PASSWORD_NEWS" in message
    assert pds.list_posts(account.did) == []
