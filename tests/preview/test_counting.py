"""The page's live counters (static/counting.js, run in Chromium) agree with the server's counting.

Every string is counted for every platform both ways: JavaScript in a real headless Chromium
on the preview page, Python through ``digest.render.platforms.check_length`` (what
`digest length` prints). Length, validity and the problem wording must all match.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from tests.support.paths import ROOT
from tests.support.preview import write_articles, write_config

from digest.render.platforms import PLATFORMS, check_length

pytestmark = pytest.mark.browser

VALIDATE = ROOT / "tests" / "data" / "twitter-text-validate.yml"  # copied there by the social work

TRICKY = [
    "",
    "   ",
    "\r\n\r\n",
    "Hello, world.",
    "故人西辞黄鹤楼，烟花三月下扬州。孤帆远影碧空尽，唯见长江天际流。",
    "東京の天気 https://example.com/天気?x=1 と 大阪",
    "한국어 문장과 https://example.kr 링크",
    "👨‍👩‍👧‍👦 family, 👩🏽‍💻 coder, 🐻‍❄️ polar bear, 🏳️‍🌈 flag",
    "👍🏿👍🏻👋🏽 skin tones",
    "👨‍🦰‍🚀 not a recommended ZWJ chain",
    "🇯🇵🇫🇷🇺🇦 flags and 🏴󠁧󠁢󠁳󠁣󠁴󠁿 Scotland",
    "Keycaps 1️⃣ #⃣ *️⃣ and 1⃣",
    "©®™‼ ⌚ ☺ ☺️ text and emoji presentation",
    "e\u0301 combining acute, Zalgo Z\u0351\u0352\u0353a\u0300\u0301l",
    "नमस्ते दुनिया, สวัสดีครับ, ព្រះរាជាណាចក្រកម្ពុជា",
    "שלום עולם — hello",
    "مرحبا بالعالم https://example.org/ar/مقال",
    "\u200fRTL mark\u200e and LRM, \u202bembedding\u202c",
    "\u2066\u202ahttp://foobar.پاکستان/\u202c\u2069",
    "See example.com, www.example.co.uk/path?q=1. and t.co/abc123",
    "https://t.co/" + "a" * 41 + " too long for t.co",
    "(https://en.wikipedia.org/wiki/Gödel_(disambiguation)) in parens",
    "randomurlrandomurlrandomurlrandomurlrandomurlrandomurlrandomurls.com",
    "write to me@example.com, not a link; ftp://example.com neither",
    "@editor@mastodon.social and @local hello https://mastodon.social/@editor",
    "http://あいうえおかきくけこ.com Japanese domain",
    "https://example.com/" + "p" * 2000,
    " ".join(f"https://example.com/{i}" for i in range(7)),
    "Crème brûlée 🍮 costs €5 — see https://example.fr/crème?utm_source=x&utm_medium=social",
    "ABC\u202a\uffffABC\ufffe invalid characters",
    "x" * 281,
    "界" * 141,
    "🔥" * 151,
    "A" * 2999 + "é",
    "Tabs\tand\nnew\nlines\u2028and\u2029separators\u3000ideographic space",
    "General punctuation \u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u200b ‐ ‑ ‒ – — ― ‖ ′ ″",
]

# Pieces for random strings: every kind of thing the counters treat specially.
PIECES = [
    "a", "Z", " ", ".", "-", "/", "@", "#", ":", "\n", "é", "e\u0301", "ß", "ı", "界", "あ", "한", "ب", "ש",
    "\u200d", "\ufe0f", "\u20e3", "👩", "🏽", "🚀", "❤", "🇺", "🇸", "1", "\u200f", "\u202a", "\u2066",
    "https://", "http://", "example.com", "t.co/x", ".org", "www.", "?q=1", "(", ")", "…", "\u0301", "\U000e0067",
]  # fmt: skip


def random_strings(n: int, seed: int = 8) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(PIECES) for _ in range(rng.randint(1, 40))) for _ in range(n)]


def conformance_texts() -> list[str]:
    tests = yaml.safe_load(VALIDATE.read_text(encoding="utf-8"))["tests"]
    groups = ("WeightedTweetsWithDiscountedEmojiCounterTest", "UnicodeDirectionalMarkerCounterTest")
    return [case["text"] for group in groups for case in tests.get(group, [])]


@pytest.fixture(scope="module")
def counting_page(browser: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from digest.config import load_settings
    from digest.preview.server import make_server

    tmp = tmp_path_factory.mktemp("counting")
    write_articles(tmp / "articles", ["A story to host the counters"], paragraphs=2)
    server = make_server(load_settings(write_config(tmp, tmp / "articles")), host="127.0.0.1", port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    ctx = browser.new_context()
    page = ctx.new_page()
    page.goto(server.url)
    page.wait_for_function("() => window.digestCount && document.body.dataset.counters === 'live'")
    try:
        yield page
    finally:
        ctx.close()
        server.shutdown()
        server.server_close()


def js_checks(page: Any, texts: list[str], limits: dict[str, int]) -> list[dict[str, Any]]:
    return page.evaluate(
        """([texts, platforms, limits]) => texts.flatMap(t => platforms.map(p => {
            const r = window.digestCount.check(p, t, limits[p]);
            return {platform: p, length: r.length, valid: r.valid, problems: r.problems};
        }))""",
        [texts, list(PLATFORMS), limits],
    )


def py_checks(texts: list[str]) -> list[dict[str, Any]]:
    out = []
    for t in texts:
        for p in PLATFORMS:
            r = check_length(t, p)
            out.append({"platform": p, "length": r.length, "valid": r.valid, "problems": list(r.problems)})
    return out


def assert_agree(page: Any, texts: list[str]) -> None:
    limits = {p: check_length("x", p).limit for p in PLATFORMS}
    js, py = js_checks(page, texts, limits), py_checks(texts)
    mismatches = [
        (texts[i // len(PLATFORMS)][:80], a, b) for i, (a, b) in enumerate(zip(js, py, strict=True)) if a != b
    ]
    assert not mismatches, f"{len(mismatches)} disagreements, first: {mismatches[:5]}"


def test_tricky_strings_count_the_same_in_the_browser(counting_page: Any) -> None:
    assert_agree(counting_page, TRICKY)


def test_twitter_text_conformance_cases_count_the_same(counting_page: Any) -> None:
    texts = conformance_texts()
    assert len(texts) > 20
    assert_agree(counting_page, texts)


def test_random_unicode_strings_count_the_same(counting_page: Any) -> None:
    assert_agree(counting_page, random_strings(400))


def test_counters_cover_what_they_should(counting_page: Any) -> None:
    """Guard against a port that agrees because both sides ignore something."""
    count = counting_page.evaluate(
        "([p, t]) => window.digestCount.count(p, t)", ["x", "see https://example.com/a/very/long/path/indeed ok"]
    )
    assert count == len("see ") + 23 + len(" ok")
    assert counting_page.evaluate("window.digestCount.count('x', '👨‍👩‍👧‍👦')") == 2
    assert counting_page.evaluate("window.digestCount.count('bluesky', '👨‍👩‍👧‍👦')") == 1
    assert counting_page.evaluate("window.digestCount.count('linkedin', '👨‍👩‍👧‍👦')") == 11


def test_shipped_nameprep_tables_match_pythons_stringprep() -> None:
    """static/nameprep.json is generated once (Unicode 3.2 never changes); spot-check it."""
    import stringprep

    from digest.preview import nameprep

    data = nameprep.load()

    def inside(ranges: list[list[int]], cp: int) -> bool:
        return any(lo <= cp <= hi for lo, hi in ranges)

    rng = random.Random(3454)
    points = [rng.randrange(0x110000) for _ in range(3000)] + [0x00AD, 0x00DF, 0x0130, 0x05D0, 0x200D, 0xFE0F]
    for cp in points:
        if 0xD800 <= cp <= 0xDFFF:
            continue
        c = chr(cp)
        assert inside(data["b1"], cp) == stringprep.in_table_b1(c), hex(cp)
        assert data["b2"].get(c, c) == stringprep.map_table_b2(c), hex(cp)
        assert inside(data["d1"], cp) == stringprep.in_table_d1(c), hex(cp)
        assert inside(data["d2"], cp) == stringprep.in_table_d2(c), hex(cp)
        assert inside(data["prohibited"], cp) == nameprep._prohibited(c), hex(cp)
