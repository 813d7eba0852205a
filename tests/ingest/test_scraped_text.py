"""The general scraped-text cleaner: the seed, pages of our own, and real whole-page text."""

from __future__ import annotations

import importlib.util
import json

import pytest
from tests.support.paths import DATA, ROOT

from digest.ingest.scraped_text import clean_scraped_text, is_chrome_line

SEED = DATA / "qonversations-xi-blinken.txt"

SEED_RELATED = [
    ("Could this be the largest IT outages in history?", "News"),
    ("Live Earth: Can music unite the world for environmental change?", "Global Affairs"),
    ("Meet Rachel Reeves, Britain’s first female Chancellor", "News"),
    ("Bolivia’s failed coup: What we know so far", "News"),
]
SEED_CHROME = [
    "xi 2",
    "Front of mind",
    "More from Qonversations",
    "Flight Board",
    "Live Earth Concert in Shanghai",
    "Rachel Reeves UK Chancellor",
    "President Arce Bolivia",
    "Global Affairs",
]


def paragraphs(body: str) -> list[str]:
    return [p for p in body.split("\n\n") if p]


def test_seed_title_related_and_clean_body() -> None:
    cleaned = clean_scraped_text(SEED.read_text(encoding="utf-8"))
    assert cleaned.title == "Xi Jinping receives US secretary of State Antony Blinken in Beijing"
    assert [(r.title, r.section) for r in cleaned.related] == SEED_RELATED
    body_lines = set(paragraphs(cleaned.body))
    for chrome in SEED_CHROME:
        assert chrome not in body_lines
    assert "News" not in body_lines
    for rel, _ in SEED_RELATED:
        assert rel not in cleaned.body
    # Every real paragraph survives, first and last included.
    assert cleaned.body.startswith("The key words used by both China’s leader Xi Jinping")
    assert cleaned.body.endswith("discussed how to calm tensions with North Korea.")
    assert len(paragraphs(cleaned.body)) == 7


@pytest.mark.parametrize(
    ("name", "title", "first", "last", "related", "sections"),
    [
        (
            "harbour-ferry-en.txt",
            "Night ferry to the islands returns after eight years",
            "A night ferry linking the mainland",
            "It will review the timetable after the first year.",
            [
                "Island hospital to add twelve beds by autumn",
                "Harbour bridge repairs to close one lane until May",
                "Fishermen warn of record low cod catches",
            ],
            [None, None, None],
        ),
        (
            "stadtbibliothek-de.txt",
            "Stadtbibliothek verlängert Öffnungszeiten am Wochenende",
            "Die Stadtbibliothek öffnet ab April",
            "mindestens zwei Beschäftigte für Beratung im Haus sind.",
            [
                "Neue Radwege in der Innenstadt sollen bis Herbst fertig sein",
                "Schwimmbad am Stadtpark bleibt wegen Sanierung geschlossen",
                "Wochenmarkt zieht auf den Rathausplatz um",
            ],
            [None, None, None],
        ),
        (
            "mercado-es.txt",
            "El mercado central reabre tras dos años de obras",
            "El mercado central de la ciudad reabrió",
            "degustaciones gratuitas para los vecinos.",
            [
                "La inflación de los alimentos baja por tercer mes consecutivo",
                "El ayuntamiento aprueba el plan de movilidad para el centro histórico",
                "Los pescadores piden ayudas por el aumento del gasóleo",
            ],
            ["Economía", "Ciudad", "Economía"],
        ),
    ],
)
def test_own_pages_in_three_languages(
    name: str, title: str, first: str, last: str, related: list[str], sections: list[str | None]
) -> None:
    cleaned = clean_scraped_text((DATA / "pages" / name).read_text(encoding="utf-8"))
    assert cleaned.title == title
    assert cleaned.body.startswith(first)
    assert cleaned.body.endswith(last)
    assert [r.title for r in cleaned.related] == related
    assert [r.section for r in cleaned.related] == sections
    for para in paragraphs(cleaned.body):
        assert not is_chrome_line(para), para
        assert para not in related


def test_english_page_drops_byline_dateline_captions_and_keeps_subheading() -> None:
    cleaned = clean_scraped_text((DATA / "pages" / "harbour-ferry-en.txt").read_text(encoding="utf-8"))
    body = paragraphs(cleaned.body)
    for chrome in [
        "By Jane Okafor",
        "Updated 14:32 GMT, 3 March 2025",
        "5 min read",
        "Share on WhatsApp",
        "Photo: Harbour Authority",
        "harbour ferry 3",
        "Advertisement",
        "Read more: Island hospital to add twelve beds by autumn",
        "Council tax to rise by 4% next year",  # a "Most read" list is not related to this story
        "© 2025 Coastline Media Ltd. All rights reserved.",
    ]:
        assert chrome not in body
    assert "Fares frozen until 2027" in body
    assert "Council tax to rise by 4% next year" not in [r.title for r in cleaned.related]
    assert len(body) == 8


def test_plain_article_without_chrome_is_left_whole() -> None:
    text = (
        "Council backs new bus lanes\n\n"
        "The council approved three new bus lanes on Tuesday.\n\n"
        "Work starts in May.\n\n"
        "He declined to comment."
    )
    cleaned = clean_scraped_text(text)
    assert cleaned.title == "Council backs new bus lanes"
    assert paragraphs(cleaned.body) == [
        "The council approved three new bus lanes on Tuesday.",
        "Work starts in May.",
        "He declined to comment.",
    ]


def test_hard_wrapped_paragraphs_are_joined() -> None:
    text = (
        "Title line\n\n"
        "The committee met for the third time this year and agreed, after a long debate\n"
        "about costs and timing, that the new bridge should open in the spring of 2027.\n"
    )
    cleaned = clean_scraped_text(text)
    assert paragraphs(cleaned.body) == [
        "The committee met for the third time this year and agreed, after a long debate "
        "about costs and timing, that the new bridge should open in the spring of 2027."
    ]


def test_markdown_links_in_related_block_keep_their_urls() -> None:
    text = (
        "A headline\n\n"
        + "The first paragraph of the story is long enough to read like real prose, with a full stop. " * 2
        + "\n\nRelated\n\n"
        "- [Water prices to rise in spring](https://example.com/water)\n"
        "- [New school opens in the east](https://example.com/school)\n"
    )
    cleaned = clean_scraped_text(text)
    assert [(r.title, r.url) for r in cleaned.related] == [
        ("Water prices to rise in spring", "https://example.com/water"),
        ("New school opens in the east", "https://example.com/school"),
    ]


def _load_bench():
    path = ROOT / "bench" / "clean_quality.py"
    spec = importlib.util.spec_from_file_location("clean_quality", path)
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


def test_whole_page_with_menu_first_and_reader_comments_after() -> None:
    text = (DATA / "pages" / "allotments-whole-page.txt").read_text(encoding="utf-8")
    cleaned = clean_scraped_text(text)
    assert cleaned.title == "Allotment waiting list falls for the first time in a decade"
    body = paragraphs(cleaned.body)
    assert body[0].startswith("The waiting list for council allotments in Northvale has fallen")
    assert body[-1].startswith("The council says it will look for new land")
    assert "Split plots, shorter waits" in body
    for chrome in ("Home", "Northvale Gazette", "By Sam Whitfield", "Local | 12 May 2025", "Image: Northvale Council"):
        assert chrome not in body
    assert "Comments (3)" not in body and not any("waiting for four years" in p for p in body)
    assert "Subscribe" not in cleaned.body and "All rights reserved" not in cleaned.body
    assert clean_scraped_text(text, has_title=False).body == cleaned.body


def _whole_page(converter: str, html: str) -> str:
    if converter == "inscriptis":
        return pytest.importorskip("inscriptis").get_text(html)
    return pytest.importorskip("html2text").html2text(html)


@pytest.mark.parametrize("converter", ["inscriptis", "html2text"])
def test_whole_page_text_of_real_pages_gets_much_closer_to_the_article(converter: str) -> None:
    """Real pages (article-extraction-benchmark) as whole-page text, scored with its shingle F1."""
    bench = _load_bench()
    folder = DATA / "html-articles"
    truth = json.loads((folder / "ground-truth.json").read_text(encoding="utf-8"))
    raw_rows, clean_rows = [], []
    for key, item in sorted(truth.items()):
        page = _whole_page(converter, (folder / f"{key}.html").read_text(encoding="utf-8"))
        raw_rows.append(bench.shingle_matching(item["articleBody"], page))
        clean_rows.append(bench.shingle_matching(item["articleBody"], clean_scraped_text(page, has_title=False).body))
    raw_f1, clean_f1 = bench.metrics(raw_rows)[2], bench.metrics(clean_rows)[2]
    assert clean_f1 >= 0.85
    assert clean_f1 > raw_f1 + 0.1
