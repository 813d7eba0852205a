"""Local files -> Articles: every format, folders, globs, size limit and bad input."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from tests.ingest.test_decode import png_bytes
from tests.support.paths import DATA, ROOT

from digest.config import Settings, load_settings, with_overrides
from digest.errors import InputError
from digest.ingest import read_source
from digest.ingest.files import article_from_text, read_file, read_path

EXAMPLES = ROOT / "examples" / "articles"


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.chdir(tmp_path)
    return load_settings(env={})


def test_txt_seed(settings: Settings) -> None:
    a = read_file(DATA / "qonversations-xi-blinken.txt", settings)
    assert a.title.startswith("Xi Jinping receives")
    assert [r.section for r in a.related] == ["News", "Global Affairs", "News", "News"]
    assert "xi 2" not in a.text and "Front of mind" not in a.text and "More from" not in a.text
    assert a.language is None


def test_markdown_title_from_first_heading(tmp_path: Path, settings: Settings) -> None:
    p = tmp_path / "note.md"
    p.write_text(
        "---\nurl: https://example.com/a\nauthor: Ann Lee\ndate: 2025-03-01\n---\n\n"
        "Intro line before the heading is not the title.\n\n"
        "# Bridge **reopens** after repairs\n\n"
        "The [old bridge](https://example.com/bridge) reopened on *Monday* after six months.\n\n"
        "![a photo](photo.jpg)\n\n"
        "## Traffic\n\n- Buses return on Tuesday.\n- Lorries stay banned.\n\n"
        "```\ncode is not prose\n```\n\n"
        "## Related\n\n- [Road works on Main Street](https://example.com/road)\n",
        encoding="utf-8",
    )
    a = read_file(p, settings)
    assert a.title == "Bridge reopens after repairs"
    assert a.url == "https://example.com/a" and a.author == "Ann Lee" and a.published.year == 2025
    assert a.text.split("\n\n") == [
        "Intro line before the heading is not the title.",
        "The old bridge reopened on Monday after six months.",
        "Traffic",
        "Buses return on Tuesday.",
        "Lorries stay banned.",
    ]
    assert [(r.title, r.url) for r in a.related] == [("Road works on Main Street", "https://example.com/road")]


def test_json_object_and_list(tmp_path: Path, settings: Settings) -> None:
    p = tmp_path / "one.json"
    p.write_text(json.dumps({"title": "T", "body": "Body text here.\n\nSecond.", "url": "https://x.org/1"}))
    a = read_file(p, settings)
    assert (a.title, a.text, a.url) == ("T", "Body text here.\n\nSecond.", "https://x.org/1")
    many = tmp_path / "many.json"
    many.write_text(json.dumps([{"title": "A", "text": "One story."}, {"title": "B", "text": "Another."}]))
    assert [x.title for x in read_path(str(many), settings)] == ["A", "B"]
    with pytest.raises(InputError, match="holds 2 articles"):
        read_file(many, settings)
    bad = tmp_path / "bad.json"
    bad.write_text('{"title": "no text"}')
    with pytest.raises(InputError, match=r'bad\.json: the JSON object has no "text" or "body" string'):
        read_file(bad, settings)
    broken = tmp_path / "broken.json"
    broken.write_text('{"title": ')
    with pytest.raises(InputError, match=r"broken\.json: not valid JSON"):
        read_file(broken, settings)


def test_html_with_trafilatura_metadata_and_related_links(settings: Settings) -> None:
    a = read_file(EXAMPLES / "eastbrook-river-cycle-path.html", settings)
    assert a.title == "Eastbrook council approves riverside cycle path after two-year dispute"
    assert a.url == "https://courier.example.org/local/2026/11/27/riverside-cycle-path-approved"
    assert a.author == "Priya Natarajan"
    assert a.published is not None and a.published.date().isoformat() == "2026-11-27"
    assert a.site == "The Eastbrook Courier"
    assert a.text.startswith("Eastbrook's planning committee has approved")
    for chrome in ("cookies", "Share on", "Subscribe", "All rights reserved", "Read more", "Photo:"):
        assert chrome not in a.text
    assert (
        "Old mill owners confirm sale to housing trust",
        "https://courier.example.org/business/2026/11/26/old-mill-sale",
    ) in [(r.title, r.url) for r in a.related]
    assert "Mill Lane residents demand action on winter flooding" in [r.title for r in a.related]


def test_html_language_from_metadata_only(settings: Settings) -> None:
    html = (
        "<html><head><title>Ein Titel</title><meta http-equiv='content-language' content='de'></head><body><article>"
        + "<p>Die Stadt hat am Montag einen neuen Plan für den Verkehr beschlossen, der viele Straßen betrifft.</p>" * 4
        + "</article></body></html>"
    )
    a = article_from_text(html, "page.html", settings, fmt="html")
    assert a.title == "Ein Titel"
    assert a.language in (None, "de")


def test_folder_reads_article_files_and_skips_bad_ones(tmp_path: Path, settings: Settings) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(DATA / "qonversations-xi-blinken.txt", folder / "a.txt")
    (folder / "b.md").write_text("# Two\n\nA second story with one sentence.\n", encoding="utf-8")
    (folder / "c.png").write_bytes(png_bytes())  # not an article suffix: ignored
    (folder / "d.txt").write_bytes(png_bytes())  # an article suffix but binary: skipped
    (folder / ".hidden.txt").write_text("Hidden\n\nNot read.")
    articles = read_path(str(folder), settings)
    assert [a.title for a in articles] == [
        "Xi Jinping receives US secretary of State Antony Blinken in Beijing",
        "Two",
    ]
    assert [a.title for a in read_path(str(folder / "*.md"), settings)] == ["Two"]
    assert len(read_source(str(folder), settings)) == 2


def test_folder_without_readable_articles_is_an_error(tmp_path: Path, settings: Settings) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputError, match=r"empty: no article files in this folder"):
        read_path(str(empty), settings)
    (empty / "x.txt").write_bytes(png_bytes())
    with pytest.raises(InputError, match=r"none of its 1 file\(s\) could be read; first: .*not a text file"):
        read_path(str(empty), settings)
    with pytest.raises(InputError, match=r"no files match"):
        read_path(str(tmp_path / "*.nothing"), settings)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", r"empty\.txt: is empty; nothing to summarize"),
        (b"  \n\t\r\n  \n", r"empty\.txt: contains only whitespace; nothing to summarize"),
        (b"\x00\x00\x00\x00", r"empty\.txt: not a text file"),
    ],
)
def test_empty_and_whitespace_files(tmp_path: Path, settings: Settings, content: bytes, message: str) -> None:
    p = tmp_path / "empty.txt"
    p.write_bytes(content)
    with pytest.raises(InputError, match=message):
        read_file(p, settings)


def test_missing_path_directory_and_png(tmp_path: Path, settings: Settings) -> None:
    with pytest.raises(InputError, match=r"nope\.txt: no such file or directory$"):
        read_file(tmp_path / "nope.txt", settings)
    with pytest.raises(InputError, match=r"is a directory, not a file$"):
        read_file(tmp_path, settings)
    png = tmp_path / "image.txt"
    png.write_bytes(png_bytes())
    with pytest.raises(InputError, match=r"image\.txt: not a text file \(a PNG image\)$"):
        read_file(png, settings)


def test_other_encodings_and_control_characters(tmp_path: Path, settings: Settings) -> None:
    text = (
        "Café reopens\n\nThe café on the square reopened on Monday after a fire. Its owner said “thank you” – twice.\n"
    )
    latin = tmp_path / "latin.txt"
    latin.write_bytes(text.replace("“", '"').replace("”", '"').replace("–", "-").encode("latin-1"))
    assert read_file(latin, settings).title == "Café reopens"
    cp = tmp_path / "cp.txt"
    cp.write_bytes(text.encode("cp1252"))
    a = read_file(cp, settings)
    assert "“thank you” – twice." in a.text
    ctl = tmp_path / "ctl.txt"
    ctl.write_bytes(b"Title\x07 here\n\nA sentence\x00 with\x1b control\x08 characters in it, for sure.\n")
    a = read_file(ctl, settings)
    assert a.title == "Title here"
    assert a.text == "A sentence with control characters in it, for sure."


def test_size_limit_is_a_clear_error_and_configurable(tmp_path: Path, settings: Settings) -> None:
    big = tmp_path / "big.txt"
    with big.open("wb") as fh:
        fh.write(b"Title\n\n" + b"A sentence that repeats to fill ten megabytes of text. " * 190_000)
    assert big.stat().st_size > 10_000_000
    with pytest.raises(InputError) as err:
        read_file(big, settings)
    assert str(err.value) == "big.txt: file is 10.5 MB, over the 5 MB limit ([ingest] max_file_bytes)".replace(
        "big.txt", str(big)
    )
    raised = with_overrides(settings, "ingest", max_file_bytes=20_000_000)
    assert read_file(big, raised).title == "Title"


def test_one_line_inputs_and_untitled_text(settings: Settings) -> None:
    a = article_from_text("Hello world. This is text.", "-", settings)
    assert a.text == "Hello world. This is text."
    plain = article_from_text(
        "The mayor opened the new library on Friday. Hundreds of people came.", "x", settings, fmt="plain"
    )
    assert plain.title == "The mayor opened the new library on Friday"
    assert plain.text.startswith("The mayor opened")
    with pytest.raises(InputError, match="only a title"):
        article_from_text("Headline\n\n\n", "x", settings)


def test_sniffing_for_stdin(settings: Settings) -> None:
    html = "<html><body><article>" + "<p>A paragraph of real text that goes on for a while.</p>" * 5
    assert article_from_text(html + "</article></body></html>", "-", settings, fmt="auto").text.startswith(
        "A paragraph"
    )
    js = json.dumps({"title": "From JSON", "text": "Some text."})
    assert article_from_text(js, "-", settings, fmt="auto").title == "From JSON"
    assert article_from_text("# From MD\n\nSome text.", "-", settings, fmt="auto").title == "From MD"


def test_huge_inputs_are_cut_to_a_bounded_number_of_lines(settings: Settings) -> None:
    raised = with_overrides(settings, "ingest", max_file_bytes=50_000_000)
    menu = "Title\n\n" + "Menu item\n" * 200_000 + "\nThe one real sentence of this page comes at the very end of it.\n"
    with pytest.raises(InputError, match="only a title"):
        article_from_text(menu, "x", raised)  # the real sentence is past the line cap: never read
    from digest.ingest.scraped_text import MAX_UNITS, clean_scraped_text

    prose = "A full sentence of prose that goes on for a while here.\n\n"
    cleaned = clean_scraped_text("T\n\n" + prose * (MAX_UNITS + 50))
    assert cleaned.truncated
    assert cleaned.body.count("\n\n") + 1 <= MAX_UNITS
