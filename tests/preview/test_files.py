"""`digest preview` and the pipeline under it: files written, JSON, warnings, failures."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from tests.support.digests import DAY, SEED, settings
from tests.support.htmlscan import scan
from tests.support.paths import ROOT

from digest.compose.build import build_digest
from digest.config import with_overrides
from digest.preview.files import preview_digest
from digest.render.size import html_bytes


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.run(
        [sys.executable, "-m", "digest", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def write_articles(folder: Path, count: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    topics = ["harbour bridge repairs", "school lunch prices", "river flood defences", "library opening hours"]
    paths = []
    for i in range(count):
        topic = topics[i % len(topics)]
        p = folder / f"story-{i:02d}.txt"
        p.write_text(
            f"Council report {i} on {topic}\n\nThe council published report {i} about {topic} on Monday. "
            f"It says work on {topic} will take two years. Residents were asked for comments by March. "
            f"A public meeting is planned for next week.\n",
            encoding="utf-8",
        )
        paths.append(p)
    return paths


def test_preview_json_writes_the_three_files_and_reports_failures(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DIGEST_DELIVERY__UNSUBSCRIBE_URL")  # the shipped example, as a new user has it
    out = tmp_path / "out"
    result = run("preview", str(SEED), str(tmp_path / "missing.txt"), "--out", str(out), "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)  # exactly one JSON document on stdout
    assert set(doc) == {"html", "text", "data", "stories", "html_bytes", "warnings"}
    assert doc["stories"] == 1
    html = Path(doc["html"]).read_text(encoding="utf-8")
    assert doc["html_bytes"] == html_bytes(html) > len(html.encode("utf-8"))  # as sent: quoted-printable
    assert [w for w in doc["warnings"] if "missing.txt" in w]
    assert "missing.txt" in result.stderr
    # the HTML exactly as a recipient without a name would get it, with a placeholder unsubscribe link
    assert "https://example.com/unsubscribe?token=preview" in [h for h, _, _ in scan(html).links]
    assert "Hi," in html and "__DIGEST_GREETING__" not in html
    text = Path(doc["text"]).read_text(encoding="utf-8")
    assert "Xi Jinping receives US secretary of State Antony Blinken in Beijing" in text
    assert "https://example.com/unsubscribe?token=preview" in text
    data = json.loads(Path(doc["data"]).read_text(encoding="utf-8"))
    story = data["stories"][0]
    assert {"title", "url", "lede", "key_points", "teasers"} <= set(story)
    assert story["title"].startswith("Xi Jinping") and story["lede"] and story["key_points"]


def test_preview_human_output_and_default_sources_and_out_dir(tmp_path: Path) -> None:
    result = run("preview", cwd=tmp_path)  # built-in config: the bundled examples, ./preview
    assert result.returncode == 0, result.stderr
    out = tmp_path / "preview"
    for name in ("digest.html", "digest.txt", "digest.json"):
        assert (out / name).is_file()
        assert f"preview/{name}" in result.stdout
    assert "Xi Jinping receives US" in result.stdout  # the one-line-per-story table


def test_preview_fails_with_one_line_when_no_story_at_all(tmp_path: Path) -> None:
    result = run("preview", str(tmp_path / "nope.txt"), "--out", str(tmp_path / "out"), "--json", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout == ""
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "no story to preview" in errors[0] and "nope.txt" in errors[0]
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out" / "digest.html").exists()


def test_template_error_exits_1_naming_file_and_line(tmp_path: Path) -> None:
    tpl = tmp_path / "tpl" / "email"
    tpl.mkdir(parents=True)
    (tpl / "_stories.mjml.j2").write_text(
        "{% for story in stories %}\n<mj-section>\n{{ story.nope }}\n{% endfor %}\n", encoding="utf-8"
    )
    config = tmp_path / "digest.toml"
    config.write_text(f'[email]\ntemplates_dir = "tpl"\n\n[[sources]]\ntype = "path"\npath = "{SEED}"\n')
    result = run("--config", str(config), "preview", "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "_stories.mjml.j2:3:" in lines[0] and "nope" in lines[0] and "Traceback" not in result.stderr


def test_preview_digest_library_and_pipeline_rules(tmp_path: Path) -> None:
    folder = tmp_path / "articles"
    write_articles(folder, 6)
    (folder / "story-00-copy.txt").write_text((folder / "story-00.txt").read_text(), encoding="utf-8")
    s = with_overrides(settings(), "digest", max_stories=4)
    calls: list[tuple[str, int, int]] = []
    result = preview_digest(s, [str(folder)], tmp_path / "out", today=DAY, progress=lambda *a: calls.append(a))
    titles = [st.article.title for st in result.digest.stories]
    assert titles == [
        f"Council report {i} on {t}"
        for i, t in enumerate(
            ["harbour bridge repairs", "school lunch prices", "river flood defences", "library opening hours"]
        )
    ]
    assert any("repeat" in w for w in result.warnings)
    assert any("max_stories" in w for w in result.warnings)
    assert ("sources", 1, 1) in calls and ("summaries", 4, 4) in calls
    assert result.digest.date == DAY and "2026-11-28" in result.email.subject


def test_build_digest_date_in_configured_time_zone(tmp_path: Path) -> None:
    import time_machine

    s = with_overrides(settings(), "digest", timezone="Pacific/Auckland")
    with time_machine.travel("2026-11-28 20:00:00+00:00", tick=False):
        built = build_digest(s, [str(SEED)])
    assert built.digest.date.isoformat() == "2026-11-29"
    assert built.failures == []


@pytest.mark.browser
def test_preview_html_opens_in_chromium(browser, tmp_path: Path) -> None:
    result = preview_digest(settings(), [str(SEED)], tmp_path / "out")
    page = browser.new_page(viewport={"width": 375, "height": 700})
    try:
        page.goto(result.html_path.resolve().as_uri())
        assert page.title() == result.email.subject
        assert page.get_by_role("link", name="Unsubscribe").get_attribute("href").endswith("token=preview")
    finally:
        page.close()
