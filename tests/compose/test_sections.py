"""Sections: stories grouped under headings in config order; caps; the "More news" rest."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from digest.compose.build import build_digest
from digest.config import load_settings
from digest.errors import ConfigError
from digest.preview.files import preview_digest

STORIES = [
    ("cup", "Cup final tonight at the harbour stadium", ["Sport"], "https://news.example.org/sport/cup"),
    ("budget", "Council budget passes after late vote", ["Politics"], "https://news.example.org/politics/budget"),
    ("ferry", "Harbour ferry returns after repairs", [], "https://news.example.org/local/ferry"),
    ("match", "Striker signs for the island club", ["Sport"], "https://news.example.org/sport/striker"),
    ("gallery", "New gallery opens in the old customs house", [], "https://news.example.org/culture/gallery"),
    ("derby", "Derby day draws record crowd", ["Sport"], "https://news.example.org/sport/derby"),
]


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "articles"
    folder.mkdir()
    for n, (name, title, categories, url) in enumerate(STORIES):
        text = f"{title}. " + "Officials said the plans had broad support among residents of the town. " * 3
        data = {"title": title, "text": text, "url": url, "categories": categories}
        (folder / f"{n}-{name}.json").write_text(json.dumps(data), encoding="utf-8")
    return folder


def _config(tmp_path: Path, sections: str, other: str | None = None) -> Path:
    cfg = tmp_path / "digest.toml"
    digest = f'[digest]\nother_section = "{other}"\n' if other is not None else ""
    cfg.write_text(
        f'{digest}[[sources]]\ntype = "path"\npath = "{_folder(tmp_path)}/*.json"\nname = "Desk"\n{sections}'
    )
    return cfg


SECTIONS = """
[[sections]]
name = "Local"
url_prefixes = ["https://news.example.org/local/"]
keywords = ["council"]

[[sections]]
name = "Sport"
categories = ["sport"]
max_stories = 2
"""


def test_first_matching_section_takes_the_story_in_config_order_with_caps(tmp_path: Path) -> None:
    settings = load_settings(_config(tmp_path, SECTIONS))
    built = build_digest(settings)
    got = [(s.section, s.article.title.split()[0]) for s in built.digest.stories]
    assert got == [
        ("Local", "Council"),
        ("Local", "Harbour"),
        ("Sport", "Cup"),
        ("Sport", "Striker"),
        ("More news", "New"),
    ]
    assert any("section 'Sport': 3 stories, kept the first 2" in w for w in built.digest.warnings)


def test_an_empty_other_section_leaves_unmatched_stories_out_with_a_warning(tmp_path: Path) -> None:
    settings = load_settings(_config(tmp_path, SECTIONS, other=""))
    built = build_digest(settings)
    assert "More news" not in {s.section for s in built.digest.stories}
    assert any("1 stories match no section and were left out" in w for w in built.digest.warnings)


def test_sections_show_in_the_html_text_and_json(tmp_path: Path) -> None:
    settings = load_settings(_config(tmp_path, SECTIONS))
    result = preview_digest(settings, out_dir=tmp_path / "out")
    html, text = result.html, result.text
    assert html.index(">Local<") < html.index(">Sport<") < html.index(">More news<")
    assert text.index("LOCAL") < text.index("SPORT") < text.index("MORE NEWS")
    data = json.loads(result.data_path.read_text(encoding="utf-8"))
    assert data["sections"] == [
        {"name": "Local", "stories": [1, 2]},
        {"name": "Sport", "stories": [3, 4]},
        {"name": "More news", "stories": [5]},
    ]
    assert [s["section"] for s in data["stories"]] == ["Local", "Local", "Sport", "Sport", "More news"]


def test_without_sections_nothing_changes(tmp_path: Path) -> None:
    settings = load_settings(_config(tmp_path, ""))
    built = build_digest(settings)
    assert [s.section for s in built.digest.stories] == [None] * 6
    assert [s.article.title for s in built.digest.stories] == [t for _, t, _, _ in STORIES]


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ('[[sections]]\nname = "Local"\n', "give at least one rule"),
        ('[[sections]]\nname = ""\nkeywords = ["x"]\n', "name: expected a heading of one line"),
        (
            '[[sections]]\nname = "A"\nkeywords = ["x"]\n[[sections]]\nname = "a"\nkeywords = ["y"]\n',
            "used by an earlier",
        ),
        ('[[sections]]\nname = "A"\nkeywords = ["re:("]\n', "keywords: not a valid regular expression"),
        ('[[sections]]\nname = "A"\ncolour = "red"\n', "colour: unknown key"),
    ],
)
def test_bad_sections_are_one_clear_line(tmp_path: Path, section: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(_config(tmp_path, section))
