"""A summary quotes the article: its words are never changed on the way in or out.

Asterisks, underscores, handles, hashtags, numbers and quotes in plain text, JSON and HTML
pass through ingestion untouched; only `.md` input loses Markdown, and only well-formed
emphasis. Whatever the format, the lede and every key point are verbatim pieces of the
cleaned article text (up to whitespace).
"""

from __future__ import annotations

import html
import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from digest.config import Settings
from digest.ingest.chrome_patterns import BULLET
from digest.ingest.files import articles_from_text
from digest.summarize import summarize
from digest.summarize.sentences import clean_text, split_sentences

TRICKY = [
    "'n*****",
    "@big_data_fan",
    "#my_tag_here",
    "2*3*4 percent",
    "snake_case_name",
    "*not closed",
    "_under_score_",
    '"quoted words"',
    "‘single’",
    "-5 degrees",
    "»guillemets«",
    "x_1",
    "C++",
    "3.5%",
    "U.S.",
    "(CNN)",
    "--",
    "n't",
]
PLAIN_WORDS = [
    "the",
    "council",
    "said",
    "river",
    "bridge",
    "voters",
    "budget",
    "schools",
    "rain",
    "police",
    "market",
    "week",
    "city",
    "report",
]
WORD = st.one_of(st.sampled_from(PLAIN_WORDS), st.sampled_from(TRICKY))
SENTENCE = st.lists(WORD, min_size=6, max_size=18).map(lambda ws: ws[0].capitalize() + " " + " ".join(ws[1:]) + ".")
PARAGRAPH = st.lists(SENTENCE, min_size=1, max_size=4).map(" ".join)
ARTICLE = st.lists(PARAGRAPH, min_size=2, max_size=6)
FORMATS = ["txt", "md", "json", "html", "plain"]
TITLE = "Council approves the river bridge budget"


def _render(paragraphs: list[str], fmt: str) -> str:
    body = "\n\n".join(paragraphs)
    if fmt == "txt":
        return f"{TITLE}\n\n{body}\n"
    if fmt == "md":
        return f"# {TITLE}\n\n{body}\n"
    if fmt == "json":
        return json.dumps({"title": TITLE, "text": body})
    if fmt == "html":
        paras = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
        return (
            f"<html><head><title>{TITLE}</title></head><body><article><h1>{TITLE}</h1>{paras}</article></body></html>"
        )
    return body


def _flat(text: str) -> str:
    return " ".join(text.split())


@settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(ARTICLE, st.sampled_from(FORMATS))
def test_lede_and_points_are_verbatim_pieces_of_the_cleaned_text(paragraphs: list[str], fmt: str) -> None:
    conf = Settings()
    (article,) = articles_from_text(_render(paragraphs, fmt), f"a.{fmt}", conf, fmt=fmt)
    summary = summarize(article, conf.summary, points=4)
    cleaned = _flat(clean_text(article.text))
    lede = summary.lede.removesuffix(" …")
    assert _flat(lede) in cleaned or _flat(lede) in _flat(article.title)
    for point in summary.key_points:
        assert _flat(point) in cleaned


@pytest.mark.parametrize("fmt", ["txt", "json", "html", "plain"])
def test_asterisks_underscores_handles_and_numbers_pass_through(fmt: str) -> None:
    paragraphs = [
        "Fans wrote 'n***** on the wall, and @big_data_fan posted it under #my_tag_here within the hour.",
        "Prices rose 2*3*4 percent, said the snake_case_name report, and *nobody* _noticed_ it at first.",
    ]
    (article,) = articles_from_text(_render(paragraphs, fmt), f"a.{fmt}", Settings(), fmt=fmt)
    for piece in ("'n*****", "@big_data_fan", "#my_tag_here", "2*3*4 percent", "snake_case_name", "*nobody*"):
        assert piece in article.text, (fmt, piece, article.text)
    assert "_noticed_" in article.text


def test_markdown_loses_only_well_formed_emphasis() -> None:
    text = (
        "# A title\n\nThe *council* met on **Monday night** and _agreed_ the plan, said ~~nobody~~ someone.\n\n"
        "Fans wrote 'n***** as @big_data_fan posted #my_tag_here; prices rose 2*3*4 percent in snake_case_name.\n"
    )
    (article,) = articles_from_text(text, "a.md", Settings(), fmt="md")
    assert "The council met on Monday night and agreed the plan, said nobody someone." in article.text
    assert "'n***** as @big_data_fan posted #my_tag_here; prices rose 2*3*4 percent in snake_case_name." in (
        re.sub(r"\s+", " ", article.text)
    )


LONG_SENTENCES = [
    "Mr. Smith said the U.S. team had trained in Calif. for a month before the final.",
    "The club last won the league in 2012.",
    '"We are really scared," she said.',
    '"(My kids) all are safe."',
    "The bacteria were found on every note (shown above).",
    "It's common in soil and on skin, the scientists said.",
    "Prices rose 2.5 per cent in the year to May, the office said.",
    "Everything changed after that night... or so it seemed to the neighbours.",
]


def test_a_long_one_line_paragraph_splits_into_its_sentences() -> None:
    sentences = LONG_SENTENCES * 12  # about 4,600 characters on one line
    paragraph = " ".join(sentences)
    assert [s.text for s in split_sentences(paragraph)] == sentences


@settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(ARTICLE, st.sampled_from(["txt", "json", "html", "plain"]))
def test_formats_other_than_markdown_keep_every_character(paragraphs: list[str], fmt: str) -> None:
    (article,) = articles_from_text(_render(paragraphs, fmt), f"a.{fmt}", Settings(), fmt=fmt)
    # Whole paragraphs may go as page chrome (repeated lines, say), and a paragraph's leading
    # list mark ("-- ", "* ") with them; no word is ever altered, and the article never goes.
    given_words = set(" ".join([TITLE, *paragraphs]).split())
    assert set(article.text.split()) <= given_words
    assert any(_flat(BULLET.sub("", p)) in _flat(article.text) for p in paragraphs)
