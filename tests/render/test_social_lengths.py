"""Each platform's counting, checked against twitter-text's official conformance file and known rules."""

from __future__ import annotations

import pytest
import yaml
from tests.support.paths import DATA

from digest.render.platforms import check_length, get_platform, graphemes
from digest.render.twitter_text import extract_url_spans, parse_tweet

CONFORMANCE = DATA / "twitter-text-validate.yml"
TESTS = yaml.safe_load(CONFORMANCE.read_text(encoding="utf-8"))["tests"]
V3_GROUPS = ("WeightedTweetsWithDiscountedEmojiCounterTest", "UnicodeDirectionalMarkerCounterTest")
EMOJI_CHARS = ("😷", "🐱", "🙋", "👨")


def _cases(group: str) -> list:
    return [pytest.param(c, id=c["description"][:60]) for c in TESTS[group]]


@pytest.mark.parametrize("case", [p for g in V3_GROUPS for p in _cases(g)])
def test_x_v3_conformance(case: dict) -> None:
    result = parse_tweet(case["text"])
    assert result.weighted_length == case["expected"]["weightedLength"]
    assert result.valid == case["expected"]["valid"]


def test_x_v2_cases_differ_only_on_emoji() -> None:
    cases = TESTS["WeightedTweetsCounterTest"]
    non_emoji = [c for c in cases if not any(e in c["text"] for e in EMOJI_CHARS)]
    emoji_cases = [c for c in cases if c not in non_emoji]
    assert len(non_emoji) >= 15 and emoji_cases
    for case in non_emoji:
        result = parse_tweet(case["text"])
        assert (result.weighted_length, result.valid) == (
            case["expected"]["weightedLength"],
            case["expected"]["valid"],
        ), case["description"]
    # v3 discounts emoji sequences, so v2's emoji counts are never smaller than ours.
    for case in emoji_cases:
        assert parse_tweet(case["text"]).weighted_length <= case["expected"]["weightedLength"]


@pytest.mark.parametrize("case", _cases("urls_without_protocol"))
def test_x_counts_bare_domains_as_urls(case: dict) -> None:
    assert extract_url_spans(case["text"]) == [(0, len(case["text"]))]
    assert parse_tweet(case["text"]).weighted_length == 23


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("see notes.txt", 13),  # not a TLD
        ("example.de", 10),  # a short ccTLD domain alone is not linked by X
        ("example.de/page", 23),
        ("©", 2),  # an emoji, even without FE0F
        ("😷\u200d😷", 5),  # not a recommended ZWJ sequence: two emoji and a joiner
        ("👨\u200d👩\u200d👧\u200d👦", 2),
        ("e\u0301", 1),  # NFC first
    ],
)
def test_x_details(text: str, expected: int) -> None:
    assert parse_tweet(text).weighted_length == expected


def test_bluesky_counts_graphemes_and_bytes() -> None:
    family = "👨\u200d👩\u200d👧\u200d👦"
    assert graphemes(family * 3) == 3
    assert check_length(family * 300, "bluesky").valid is False  # 300 graphemes but 7,500 bytes
    assert check_length("a" * 300, "bluesky").valid is True
    assert check_length("a" * 301, "bluesky").valid is False
    assert check_length("🇺🇸" * 300, "bluesky").length == 300


def test_mastodon_counts_each_url_as_23_and_graphemes() -> None:
    url = "https://example.com/" + "a" * 300
    report = check_length(f"Read {url} now", "mastodon")
    assert report.length == len("Read  now") + 23
    assert check_length("example.com/x", "mastodon").length == len("example.com/x")  # bare domains count in full
    assert check_length("hi @alice@social.example.org", "mastodon").length == len("hi @alice")
    assert get_platform("mastodon", mastodon_limit=1000).check("x" * 999).valid is True
    assert check_length("x" * 501, "mastodon").valid is False


def test_linkedin_and_threads() -> None:
    assert check_length("x" * 3000, "linkedin").valid is True
    assert check_length("x" * 3001, "linkedin").valid is False
    assert check_length("😷" * 250, "threads").length == 500  # UTF-16 code units, the composer's count
    links = " ".join(f"https://e{i}.example.com" for i in range(6))
    six = check_length(links, "threads")
    assert six.length < 500 and six.valid is False
    assert check_length(links.rsplit(" ", 1)[0], "threads").valid is True


def test_empty_text_is_never_valid() -> None:
    for name in ("x", "bluesky", "mastodon", "linkedin", "threads"):
        assert check_length("", name).valid is False
