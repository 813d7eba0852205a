"""Sentence splitting, cleaning, chrome rules and the numpy rankers against sumy's own."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sumy.summarizers.lex_rank import LexRankSummarizer
from sumy.summarizers.text_rank import TextRankSummarizer
from tests.support.paths import DATA, ROOT

from digest.summarize.chrome import is_chrome, is_real_sentence, strip_source_tag
from digest.summarize.language import detect_language, get_language, normalize_code
from digest.summarize.rank import make_document, make_summarizer, rate_sentences
from digest.summarize.sentences import (
    CHUNK_CHARS,
    SentenceTokenizer,
    clean_text,
    segment,
    split_paragraphs,
    split_sentences,
    words,
)

NEWS = (
    "Mr. Smith met U.S. officials in Washington on Monday. The talks lasted 3.5 hours, "
    "according to Dr. Jones of Acme Corp. in Calif. who attended. No deal was reached. "
    "Officials said they would meet again in Sept. next year."
)


def test_pysbd_keeps_abbreviations_inside_sentences() -> None:
    assert segment(NEWS) == [
        "Mr. Smith met U.S. officials in Washington on Monday.",
        "The talks lasted 3.5 hours, according to Dr. Jones of Acme Corp. in Calif. who attended.",
        "No deal was reached.",
        "Officials said they would meet again in Sept. next year.",
    ]


def test_long_paragraph_is_chunked_without_losing_or_moving_words() -> None:
    paragraph = " ".join([NEWS] * 40)
    assert len(paragraph) > 5 * CHUNK_CHARS
    sentences = segment(paragraph)
    assert len(sentences) == 160
    assert sentences[:4] == segment(NEWS)
    assert " ".join(sentences) == paragraph


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.sampled_from(["Mr.", "U.S.", "said", "the", "mayor.", "Corp.", "3.5", "“Yes.”", "ok?", "\n"]), max_size=400
    )
)
def test_segmenting_never_loses_words(tokens: list[str]) -> None:
    text = " ".join(tokens)
    for paragraph in split_paragraphs(clean_text(text)):
        assert [w for s in segment(paragraph) for w in words(s)] == list(words(paragraph))


def test_paragraphs_blank_lines_hard_wraps_and_lone_lines() -> None:
    text = (
        "Headline here\nThe first paragraph of this story is hard-wrapped\nover two lines."
        "\n\nSecond paragraph.\nThird one."
    )
    assert split_paragraphs(text) == [
        "Headline here",
        "The first paragraph of this story is hard-wrapped over two lines.",
        "Second paragraph.",
        "Third one.",
    ]
    assert split_paragraphs("One line.\nAnother line.") == ["One line.", "Another line."]


def test_clean_text_removes_control_and_invisible_characters() -> None:
    dirty = "A\x00b\x07c\u200bd\ufeff\r\ne\x0bf\tg\x85h\x9fi\u00a0j"
    assert clean_text(dirty) == "Abcd\ne\nf ghi j"


def test_split_sentences_survives_text_that_crashes_raw_pysbd() -> None:
    sentences = split_sentences("Hello\x00 world. \x1b[31mRed\x1b[0m text here. \x7f\x85Done.")
    assert [s.text for s in sentences] == ["Hello world.", "[31mRed[0m text here.", "Done."]


def test_tokenizer_is_what_sumy_expects() -> None:
    tokenizer = SentenceTokenizer("german", "de")
    assert tokenizer.language == "german"
    assert tokenizer.to_sentences("Das ist gut. Wir gehen heute nach Hause.") == (
        "Das ist gut.",
        "Wir gehen heute nach Hause.",
    )
    assert tokenizer.to_words("Don’t stop—the U.S. won't, ok?") == ("Don’t", "stop", "the", "U", "S", "won't", "ok")


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Die Bundesregierung hat am Montag ein neues Gesetz zum Schutz der Wälder beschlossen.", "de"),
        ("Le gouvernement a présenté mercredi un nouveau plan pour rénover les écoles.", "fr"),
        ("El gobierno anunció el lunes un nuevo plan para las escuelas del país.", "es"),
        ("The government announced a new plan for the country's schools on Monday.", "en"),
        ("ok", "en"),  # too short to tell: English
    ],
)
def test_language_detection(text: str, code: str) -> None:
    assert detect_language(text) == code


def test_language_tools_and_fallbacks() -> None:
    assert normalize_code("de-AT") == "de"
    assert normalize_code("German") == "de"
    assert normalize_code("auto") is None
    dutch = get_language("nl")
    assert (dutch.sumy_name, dutch.pysbd_code, dutch.stop_words) == ("dutch", "nl", frozenset())
    swedish = get_language("sv")
    assert (swedish.sumy_name, swedish.pysbd_code) == ("swedish", "en")  # pysbd has no Swedish rules
    assert get_language("ja").sumy_name == "english"


@pytest.mark.parametrize(
    ("sentence", "chrome"),
    [
        ("LONDON (Reuters) -", True),
        ("By Jane Doe", True),
        ("By Staff Reporter and Agencies", True),
        ("by . daily mail reporter .", True),
        ("Last updated at 10:32 GMT on 4 March 2024", True),
        ("11:33 EST, 19 June 2013 .", True),
        ("Image copyright Getty Images", True),
        ("Scroll down for video", True),
        ("MORE FROM THE GUARDIAN", True),
        ("By the time police arrived, the crowd had left.", False),
        ("The mayor said the bridge would reopen on Monday.", False),
    ],
)
def test_chrome_rules(sentence: str, chrome: bool) -> None:
    assert is_chrome(sentence) is chrome


def test_real_sentences_need_punctuation_and_length() -> None:
    assert is_real_sentence("The mayor said the bridge would reopen.")
    assert not is_real_sentence("Rescue workers at the old bridge on Monday")  # a caption
    assert not is_real_sentence("He left.")  # too short for a lede
    assert is_real_sentence("“We will rebuild,” the mayor told reporters.")


def test_strip_source_tag_leaves_ordinary_parentheses_alone() -> None:
    assert strip_source_tag("(CNN) -- The storm hit at dawn.") == "The storm hit at dawn."
    assert strip_source_tag("Anuradha Koirala (pictured) runs a shelter in Kathmandu.") == (
        "Anuradha Koirala (pictured) runs a shelter in Kathmandu."
    )
    assert strip_source_tag("(AP)") == "(AP)"


# The first 25 sentences of a real article (tests/data/cnndm-sample.jsonl, cnndm-00).
_FIRST = (DATA / "cnndm-sample.jsonl").read_text(encoding="utf-8").splitlines()[0]
SENTENCES = [s.text for s in split_sentences(json.loads(_FIRST)["text"])][:25]


@pytest.mark.parametrize(("fast", "plain"), [("lexrank", LexRankSummarizer), ("textrank", TextRankSummarizer)])
def test_numpy_rankers_match_sumy(fast: str, plain: type) -> None:
    language = get_language("en")
    tokenizer = SentenceTokenizer()
    ours = rate_sentences(SENTENCES, language, fast)
    reference = plain(language.stemmer)
    reference.stop_words = language.stop_words
    captured: dict[str, float] = {}

    def keep(infos):
        captured.update({str(i.sentence): i.rating for i in infos})
        return infos

    reference(make_document(SENTENCES, tokenizer), keep)
    assert np.allclose(ours, [captured[s] for s in SENTENCES])
    assert len(set(np.round(ours, 6))) > 1  # the scores say something


def test_every_ranker_scores_every_sentence() -> None:
    language = get_language("en")
    for name in ("lexrank", "textrank", "lsa", "luhn", "sumbasic", "kl"):
        scores = rate_sentences(SENTENCES, language, name)
        assert len(scores) == len(SENTENCES) and all(np.isfinite(scores)), name
    assert make_summarizer("lexrank", language, fast=False).__class__ is LexRankSummarizer


def test_degenerate_documents_do_not_hang_or_nan() -> None:
    language = get_language("en")
    for sentences in (["The cat sat."], ["The cat sat.", "A dog ran."], ["the of and.", "a to in."]):
        for name in ("lexrank", "textrank"):
            scores = rate_sentences(sentences, language, name)
            assert len(scores) == len(sentences) and all(np.isfinite(scores))


def test_ranker_scores_do_not_depend_on_the_hash_seed() -> None:
    """sumy's LSA numbers terms in set order; ours must give bit-identical scores anyway."""
    code = (
        "import json,sys; from digest.summarize.rank import rate_sentences; "
        "from digest.summarize.language import get_language; s = json.load(sys.stdin); "
        "print(repr([rate_sentences(s, get_language('en'), n) for n in "
        "('lexrank', 'textrank', 'lsa', 'luhn', 'sumbasic', 'kl')]))"
    )
    outputs = set()
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "PYTHONHASHSEED": seed}
        run = subprocess.run(
            [sys.executable, "-c", code], input=json.dumps(SENTENCES), capture_output=True, text=True, env=env
        )
        assert run.returncode == 0, run.stderr
        outputs.add(run.stdout)
    assert len(outputs) == 1
