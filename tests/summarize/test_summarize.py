"""The summarizer's public API: lede, key points, languages, awkward input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from dataclasses import replace
from pathlib import Path

import pytest
from tests.support.paths import DATA, ROOT

from digest.config import SummarySettings
from digest.errors import InputError
from digest.models import Article
from digest.summarize import SPLIT_MARGIN, analyze, summarize, summarize_text
from digest.summarize.sentences import MAX_CHUNK_CHARS, split_sentences

STORY = """\
Flood waters forced thousands of residents from their homes in the river valley on Sunday after three days of heavy \
rain.

Emergency crews used boats to reach families trapped on the upper floors of houses near the old bridge.

The regional governor declared a state of emergency and asked the army to help with the evacuation.

Forecasters expect the river to peak on Tuesday, when water could rise another half a metre above current levels.

Schools across the district will stay closed until the end of the week, the education office said.

Volunteers filled sandbags through the night to protect the hospital and the main water treatment plant.

Insurance companies said it was too early to estimate the cost of the damage to homes and businesses.
"""


def cnndm_rows() -> list[dict]:
    return [json.loads(line) for line in (DATA / "cnndm-sample.jsonl").read_text(encoding="utf-8").splitlines()]


def test_lede_is_the_opening_sentence_and_points_follow_in_document_order() -> None:
    summary = summarize_text(STORY, title="Floods")
    assert summary.lede == (
        "Flood waters forced thousands of residents from their homes in the river valley on Sunday "
        "after three days of heavy rain."
    )
    assert len(summary.key_points) == 3
    positions = [STORY.index(point) for point in summary.key_points]
    assert positions == sorted(positions)
    assert summary.lede not in summary.key_points
    assert summary.language == "en"


def test_points_setting_and_argument() -> None:
    assert len(summarize_text(STORY, points=1).key_points) == 1
    assert len(summarize_text(STORY, settings=replace(SummarySettings(), points=5)).key_points) == 5
    assert len(summarize_text(STORY, settings=replace(SummarySettings(), points=5), points=2).key_points) == 2


ALGORITHMS = ["hybrid", "lexrank", "textrank", "lsa", "luhn", "lead"]


def test_deterministic_across_calls_and_processes() -> None:
    text = cnndm_rows()[1]["text"]
    first = summarize_text(text)
    assert all(summarize_text(text) == first for _ in range(3))
    here = {a: analyze(text, settings=replace(SummarySettings(), algorithm=a)).point_indices for a in ALGORITHMS}
    code = (
        "import json,sys; from dataclasses import replace; from digest.config import SummarySettings; "
        "from digest.summarize import analyze; text = sys.stdin.read(); "
        f"print(json.dumps({{a: analyze(text, settings=replace(SummarySettings(), algorithm=a)).point_indices "
        f"for a in {ALGORITHMS!r}}}))"
    )
    for seed in ("1", "12345"):  # another hash seed changes set order: results must not move
        env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "PYTHONHASHSEED": seed}
        out = subprocess.run([sys.executable, "-c", code], input=text, capture_output=True, text=True, env=env)
        assert out.returncode == 0, out.stderr
        assert json.loads(out.stdout) == here


@pytest.mark.parametrize(
    ("text", "points"),
    [
        ("The council approved the new budget on Monday evening.", 0),
        ("The council approved the new budget on Monday evening. Critics said it cut too deeply into libraries.", 1),
    ],
)
def test_one_and_two_sentence_articles(text: str, points: int) -> None:
    summary = summarize_text(text)
    assert summary.lede == "The council approved the new budget on Monday evening."
    assert len(summary.key_points) == points


def test_a_fragment_only_article_still_gets_a_lede() -> None:
    assert summarize_text("Budget approved").lede == "Budget approved"


def test_empty_text_uses_the_title_or_refuses() -> None:
    assert summarize_text("  \n\t ", title="Council approves budget") == summarize_text(
        "", title="Council approves budget"
    )
    summary = summarize_text("", title="Council approves budget")
    assert summary.lede == "Council approves budget"
    assert summary.key_points == []
    with pytest.raises(InputError, match="no text and no title"):
        summarize_text("   ")


def test_chrome_only_body_falls_back_to_the_title() -> None:
    summary = summarize_text("By Jane Doe\nUpdated 10:32 GMT\nImage copyright Getty Images", title="Storm hits coast")
    assert summary.lede == "Storm hits coast"


@pytest.mark.parametrize(
    "opening",
    [
        "LONDON (Reuters) -\n",
        "By Jane Doe and John Smith\n",
        "Updated 10:32 GMT, 4 March 2024\n",
        "Image copyright Getty Images\n",
        "Rescue workers at the bridge\n",  # a caption: no sentence punctuation
        "BREAKING NEWS\n",
        "by . daily mail reporter . published: . 11:33 est, 19 june 2013 . | . updated: . 11:35 est, 19 june 2013 . ",
    ],
)
def test_lede_skips_datelines_bylines_captions_and_labels(opening: str) -> None:
    summary = summarize_text(opening + STORY)
    assert summary.lede.startswith("Flood waters forced thousands")
    assert all("Getty" not in p and "Jane Doe" not in p for p in summary.key_points)


@pytest.mark.parametrize(
    ("opening", "expected"),
    [
        ("(CNN) -- Flood waters", "Flood waters"),
        ("(cnn) flood waters", "flood waters"),
        ("LONDON (Reuters) - Flood waters", "Flood waters"),
        ("WASHINGTON (AP) — Flood waters", "Flood waters"),
        ("NEW YORK — Flood waters", "Flood waters"),
    ],
)
def test_lede_drops_a_leading_source_tag(opening: str, expected: str) -> None:
    text = STORY.replace("Flood waters", opening, 1)
    assert summarize_text(text).lede.startswith(expected + " forced thousands")


def test_a_sentence_starting_with_by_is_not_a_byline() -> None:
    text = "By the time the firefighters arrived, the warehouse roof had already collapsed.\n\n" + STORY
    assert summarize_text(text).lede.startswith("By the time the firefighters arrived")


def test_key_points_do_not_repeat_the_lede_or_each_other() -> None:
    text = STORY.replace(
        "Emergency crews used boats",
        "Flood waters forced thousands of residents from their homes in the valley on Sunday after heavy rain.\n\n"
        "Emergency crews used boats",
    ).replace(
        "Schools across the district",
        "The governor declared a state of emergency and asked the army to help with the evacuation.\n\n"
        "Schools across the district",
    )
    summary = summarize_text(text, points=4)
    assert not any(p.startswith("Flood waters forced") for p in summary.key_points)
    governors = [p for p in summary.key_points if "state of emergency" in p]
    assert len(governors) <= 1


def test_identical_sentences_are_ranked_once() -> None:
    repeated = (
        "Volunteers filled sandbags through the night to protect the hospital and the main water treatment plant."
    )
    text = STORY + ("\n" + repeated) * 5
    summary = summarize_text(text, points=5)
    assert sum(p == repeated for p in summary.key_points) <= 1


def test_long_article_is_bounded_by_max_sentences() -> None:
    # Real news articles back to back (each one paragraph), twice over: 500+ sentences.
    text = "\n\n".join(row["text"] for row in cnndm_rows() * 2)
    settings = replace(SummarySettings(), max_sentences=60)
    assert len(split_sentences(text)) > 500
    analysis = analyze(text, settings=settings)
    assert 60 <= len(analysis.sentences) <= 60 + SPLIT_MARGIN + 80  # split stops after the chunk past the cap
    assert 0 < analysis.ranked <= 60
    assert len(analysis.summary.key_points) == 3
    assert analysis.point_indices == sorted(analysis.point_indices)
    assert 0 < analyze(text).ranked <= SummarySettings().max_sentences


def test_one_huge_paragraph_is_split_into_all_its_sentences() -> None:
    sentences = [f"The inspector visited farm number {i} on Tuesday and counted the sheep." for i in range(300)]
    assert [s.text for s in split_sentences(" ".join(sentences))] == sentences
    # Every sentence says what the lede says: no key point is better than a repeat.
    assert analyze(" ".join(sentences)).summary.key_points == []


def test_control_characters_are_removed_before_splitting() -> None:
    dirty = (
        STORY.replace("Flood", "Fl\x00ood", 1).replace("boats", "boats\x07\x1b[0m", 1).replace("rain.", "rain.\u200b")
    )
    dirty = dirty.replace("\n", "\r\n") + "\x0c\x85"
    summary = summarize_text(dirty)
    for part in [summary.lede, *summary.key_points]:
        assert not any(ord(ch) < 32 or 0x7F <= ord(ch) <= 0x9F or ch == "\u200b" for ch in part), part
    assert summary.lede.startswith("Flood waters forced thousands")


GERMAN = """\
Die Bundesregierung hat am Montag ein neues Gesetz zum Schutz der Wälder beschlossen.

Nach Angaben des Ministeriums sollen die Länder mehr Geld für die Aufforstung erhalten.

Umweltverbände begrüßten die Entscheidung, forderten aber strengere Regeln für die Holzwirtschaft.

Die Opposition kritisierte, das Gesetz komme zu spät und sei nicht ausreichend finanziert.

Der Bundestag soll im Herbst über den Entwurf abstimmen.
"""

FRENCH = """\
Le gouvernement a présenté mercredi un nouveau plan pour rénover les écoles du pays.

Selon le ministère, plus de deux mille bâtiments seront concernés au cours des cinq prochaines années.

Les syndicats d'enseignants ont salué l'annonce, tout en demandant des moyens supplémentaires.

Les travaux commenceront dans les régions les plus touchées par les vagues de chaleur.
"""


@pytest.mark.parametrize(
    ("text", "code", "sumy_name", "word", "stem"),
    [(GERMAN, "de", "german", "wälder", "wald"), (FRENCH, "fr", "french", "écoles", "écol")],
)
def test_non_english_articles_use_their_language(text: str, code: str, sumy_name: str, word: str, stem: str) -> None:
    analysis = analyze(text)
    assert analysis.summary.language == code
    assert analysis.language.sumy_name == sumy_name
    assert analysis.language.stemmer(word) == stem
    assert analysis.language.stop_words and "the" not in analysis.language.stop_words
    assert analysis.summary.lede == text.split("\n")[0]
    assert analysis.summary.key_points


def test_article_language_metadata_and_setting_override_detection() -> None:
    article = Article(title="Wälder", text=GERMAN, source="x.txt", language="fr")
    assert summarize(article).language == "fr"
    assert summarize(article, replace(SummarySettings(), language="de")).language == "de"
    # A language sumy has no stemmer for falls back to English tools, never an error.
    assert analyze(GERMAN, language="xx").language.sumy_name == "english"


@pytest.mark.parametrize("algorithm", ["hybrid", "lexrank", "textrank", "lsa", "luhn", "lead"])
def test_every_algorithm_gives_points_in_document_order(algorithm: str) -> None:
    analysis = analyze(STORY, settings=replace(SummarySettings(), algorithm=algorithm))
    assert len(analysis.point_indices) == 3
    assert analysis.point_indices == sorted(analysis.point_indices)
    assert analysis.lede_index not in analysis.point_indices


def test_lead_algorithm_takes_the_next_sentences() -> None:
    analysis = analyze(STORY, settings=replace(SummarySettings(), algorithm="lead"))
    assert analysis.point_indices == [1, 2, 3]


def test_seed_article_summary() -> None:
    text = (DATA / "qonversations-xi-blinken.txt").read_text(encoding="utf-8")
    title, _, body = text.partition("\n")
    summary = summarize_text(body, title=title)
    assert summary.lede.startswith("The key words used by both China")
    assert len(summary.key_points) == 3
    assert all(len(p.split()) >= 6 for p in summary.key_points)


def test_no_nltk_data_is_touched(tmp_path: Path) -> None:
    """sumy imports NLTK; our path must never look for punkt or try a download."""
    empty = tmp_path / "nltk_data"
    empty.mkdir()
    script = textwrap.dedent(
        """
        import nltk, nltk.data, sys
        calls = []
        def refuse(*args, **kwargs):
            calls.append(args)
            raise LookupError("NLTK data access: %r" % (args,))
        nltk.data.find = nltk.data.load = nltk.download = refuse
        from digest.summarize import summarize_text
        from digest.config import SummarySettings
        from dataclasses import replace
        text = sys.stdin.read()
        for algorithm in ("hybrid", "lexrank", "textrank", "lsa", "luhn", "lead"):
            s = summarize_text(text, settings=replace(SummarySettings(), algorithm=algorithm))
            assert s.key_points, algorithm
        summarize_text("Die Regierung hat am Montag ein neues Gesetz beschlossen. Die Opposition ist dagegen.")
        assert not calls, calls
        print("ok")
        """
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "NLTK_DATA": str(empty), "HOME": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", script], input=STORY, capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_huge_unpunctuated_text_is_bounded_and_gives_a_short_lede() -> None:
    wall = "lorem ipsum dolor sit amet " * 200_000  # 5.4 MB, not one sentence end
    analysis = analyze(wall)
    assert len(analysis.sentences) <= SummarySettings().max_sentences + SPLIT_MARGIN
    assert all(len(s.text) <= MAX_CHUNK_CHARS for s in analysis.sentences)
    assert len(analysis.summary.lede) <= 310 and analysis.summary.lede.endswith("…")
    assert analysis.summary.key_points == []
    assert summarize_text(wall, title="Lorem ipsum").lede == "Lorem ipsum"


def test_summary_settings_come_from_the_config_file(tmp_path: Path) -> None:
    from digest.config import load_settings
    from digest.errors import ConfigError

    config = tmp_path / "digest.toml"
    config.write_text('[summary]\npoints = 2\nalgorithm = "lead"\nposition_weight = 0\nredundancy = 0.3\n')
    settings = load_settings(config, env={}).summary
    assert (settings.points, settings.algorithm, settings.position_weight, settings.redundancy) == (2, "lead", 0.0, 0.3)
    assert analyze(STORY, settings=settings).point_indices == [1, 2]
    config.write_text("[summary]\nredundancy = 2\n")
    with pytest.raises(ConfigError, match=r"\[summary\] redundancy: expected a number 0.05-1"):
        load_settings(config, env={})
