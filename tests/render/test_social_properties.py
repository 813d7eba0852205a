"""Properties over arbitrary Unicode articles: every post and thread part fits, the link is never cut."""

from __future__ import annotations

from urllib.parse import unquote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from digest.config import Settings
from digest.models import Article, Summary, Teaser
from digest.render.platforms import PLATFORMS, get_platform
from digest.render.social import SocialWriter
from digest.render.twitter_text import extract_url_spans
from digest.sanitize import visible

WRITER = SocialWriter(Settings())

# Pieces that stress counting: CJK, RTL, combining marks, ZWJ families, skin tones, flags, keycaps.
PIECES = st.sampled_from(
    [
        "故人西辞黄鹤楼",
        "東京で会談",
        "مرحبا بالعالم",
        "שלום",
        "e\u0301",
        "👨\u200d👩\u200d👧\u200d👦",
        "👋🏽",
        "🇺🇦",
        "1\ufe0f\u20e3",
        "😷",
        "North Korea",
        "example.com",
        " ",
        "\n",
        ", ",
    ]
)
WORDS = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=12)
TEXT = st.lists(st.one_of(PIECES, WORDS, st.just(" ")), min_size=1, max_size=150).map("".join)
LONG_TITLE = st.lists(st.one_of(PIECES, WORDS, st.just(" ")), min_size=1, max_size=300).map(
    lambda parts: "".join(parts)[:1000]
)
# Lengths drawn explicitly so that long URLs (up to 2,000 characters) really occur.
URL = st.builds(
    lambda host, seed, n: f"https://{host}.example.com/" + (seed * n)[:n],
    st.from_regex(r"[a-z][a-z0-9-]{0,20}[a-z0-9]", fullmatch=True),
    st.from_regex(r"[A-Za-z0-9/_\-.~]{1,12}", fullmatch=True),
    st.one_of(st.integers(0, 80), st.integers(0, 1960)),
)


def _visible(text: str) -> bool:
    return bool(text.strip())


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    title=LONG_TITLE,
    lede=TEXT,
    points=st.lists(TEXT, max_size=3),
    url=URL,
    teaser=st.booleans(),
    use_title=st.booleans(),
)
def test_every_post_and_thread_part_is_valid_and_keeps_the_link(
    title: str, lede: str, points: list[str], url: str, teaser: bool, use_title: bool
) -> None:
    if not visible(title):  # nothing to show: refused as an empty article
        title = "Headline"
    art = Article(title=title, text=lede or title, source="prop", url=url)
    teasers = [Teaser("Related story " + title[:40], url + "/related")] if teaser else []
    if use_title:
        lede = title  # a hook as long as a 1,000-character title
    summary = Summary(lede=lede if lede.strip() else "", key_points=[p for p in points if p.strip()])
    for name in PLATFORMS:
        plat = get_platform(name)
        post = WRITER.post(art, summary, name, teasers=teasers, thread=True)
        assert _visible(post.text)
        assert plat.check(post.text).valid, (name, plat.check(post.text))
        full = post.link_attachment or post.links[0]
        # Same address (a character X would stop at may be percent-encoded), with the platform's UTM.
        assert unquote(full).startswith(url) and "utm_source=" + name in full
        if post.link_attachment:
            assert name in ("threads", "linkedin")
        elif name == "bluesky":
            uris = [f["features"][0]["uri"] for f in post.facets or [] if "uri" in f["features"][0]]
            assert full in uris
        else:
            assert full in post.text
            if name in ("x", "mastodon"):  # the platform's own linkifier takes the whole link, not a piece
                start = post.text.find(full)
                assert (start, start + len(full)) in extract_url_spans(post.text, without_protocol=False)
        for part in post.thread or []:
            assert _visible(part)
            assert plat.check(part).valid, (name, part, plat.check(part))
        if name == "bluesky":
            for text, facets in zip(
                [post.text, *(post.thread or [])], [post.facets, *(post.thread_facets or [])], strict=True
            ):
                data = text.encode("utf-8")
                for facet in facets or []:
                    piece = data[facet["index"]["byteStart"] : facet["index"]["byteEnd"]].decode("utf-8")
                    feature = facet["features"][0]
                    if "tag" in feature:
                        assert piece == "#" + feature["tag"]
                    else:
                        assert piece and feature["uri"].startswith("https://")
