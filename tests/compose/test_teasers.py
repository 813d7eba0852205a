"""Related-story teasers: the page's own links, similar stories in the digest, extra candidates."""

from __future__ import annotations

from tests.support.digests import settings

from digest.compose.teasers import TeaserCandidate, compute_teasers, normalize_title
from digest.models import Article, Related, Story, Summary

RATES_A = (
    "The central bank raised interest rates by half a point on Thursday to fight inflation. "
    "Mortgage rates and borrowing costs will climb as the bank tries to cool prices. "
    "Economists expect inflation to ease next year after the interest rate increase."
)
RATES_B = (
    "Borrowing costs rise again: the central bank lifted its interest rate, citing stubborn inflation. "
    "Households with a mortgage face higher monthly payments. Inflation remains above the bank's target."
)
GARDEN = (
    "Tomatoes need six hours of sun, steady watering and rich compost. "
    "Pinch out side shoots and stake the plants before the fruit sets in midsummer."
)


def story(title: str, url: str | None, text: str, related: list[Related] | None = None) -> Story:
    article = Article(title=title, text=text, source="t", url=url, related=related or [])
    return Story(article=article, summary=Summary(lede=text.split(". ")[0]))


def test_similar_stories_tease_each_other_and_unrelated_ones_do_not() -> None:
    stories = [
        story("Central bank raises rates", "https://a.example/rates", RATES_A),
        story("How to grow tomatoes", "https://b.example/tomatoes", GARDEN),
        story("Borrowing costs rise as bank lifts rate", "https://c.example/borrowing", RATES_B),
    ]
    teasers = compute_teasers(stories, settings())
    assert [(t.url, t.origin) for t in teasers[0]] == [("https://c.example/borrowing", "digest")]
    assert [t.url for t in teasers[2]] == ["https://a.example/rates"]
    assert teasers[0][0].score is not None and teasers[0][0].score >= 0.2
    assert teasers[1] == []  # nothing similar to gardening, and no story teases itself


def test_page_links_first_deduplicated_no_self_tease_and_capped() -> None:
    related = [
        Related("Central bank raises rates", "https://a.example/rates?utm_source=x"),  # itself
        Related("Markets rally after decision", "/markets/rally"),  # relative: resolved
        Related("Markets Rally After Decision!", "https://a.example/other"),  # same title
        Related("What the rate rise means for you", "https://a.example/explainer#top"),
        Related("What it means (again)", "https://A.example/explainer?fbclid=1"),  # same canonical URL
        Related("Script", "javascript:alert(1)"),  # never a teaser
        Related("Bank history", None),  # no URL: plain title, after linked ones
        Related("Quarterly outlook", "https://a.example/outlook"),
    ]
    stories = [
        story("Central bank raises rates", "https://a.example/rates", RATES_A, related),
        story("Borrowing costs rise as bank lifts rate", "https://c.example/borrowing", RATES_B),
    ]
    first = compute_teasers(stories, settings())[0]
    assert [t.title for t in first] == [
        "Markets rally after decision",
        "What the rate rise means for you",
        "Borrowing costs rise as bank lifts rate",  # one slot kept for the best similar story
    ]
    assert first[0].url == "https://a.example/markets/rally"
    assert [t.origin for t in first] == ["page", "page", "digest"]
    more = compute_teasers(stories, settings(max_teasers=6))[0]
    titles = [t.title for t in more]
    assert titles[-1] == "Bank history" and more[-1].url is None
    assert "Script" not in titles and "Central bank raises rates" not in titles
    assert len({normalize_title(t) for t in titles}) == len(titles)
    assert compute_teasers(stories, settings(max_teasers=0)) == [[], []]


def test_extra_candidates_from_the_archive() -> None:
    stories = [
        story("Central bank raises rates", "https://a.example/rates", RATES_A),
        story("How to grow tomatoes", "https://b.example/tomatoes", GARDEN),
    ]
    old = [
        TeaserCandidate("Last month: bank holds interest rates", "https://a.example/hold", RATES_B),
        Article(
            title="Compost basics", text=GARDEN.replace("Tomatoes", "Beans"), source="x", url="https://b.example/c"
        ),
        TeaserCandidate("Same story, older copy", "https://a.example/rates#comments", RATES_A),  # itself
    ]
    teasers = compute_teasers(stories, settings(), old)
    assert [(t.url, t.origin) for t in teasers[0]] == [("https://a.example/hold", "archive")]
    assert [t.url for t in teasers[1]] == ["https://b.example/c"]


def test_min_similarity_is_respected() -> None:
    stories = [
        story("Central bank raises rates", "https://a.example/rates", RATES_A),
        story("Borrowing costs rise as bank lifts rate", "https://c.example/borrowing", RATES_B),
    ]
    from digest.config import with_overrides

    strict = with_overrides(settings(), "archive", min_similarity=0.99)
    assert compute_teasers(stories, strict) == [[], []]
