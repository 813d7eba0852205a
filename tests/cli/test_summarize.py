"""`digest summarize` end to end: real subprocesses of `python -m digest`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from tests.ingest.test_decode import png_bytes
from tests.support.paths import DATA, ROOT

SEED = DATA / "qonversations-xi-blinken.txt"


def digest(*args: str, stdin: bytes | str | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIGEST_")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), env.get("PYTHONPATH", "")])
    data = stdin.encode("utf-8") if isinstance(stdin, str) else stdin
    r = subprocess.run(
        [sys.executable, "-m", "digest", *args], input=data, capture_output=True, cwd=cwd, env=env, timeout=120
    )
    r.stdout, r.stderr = r.stdout.decode("utf-8"), r.stderr.decode("utf-8")  # type: ignore[assignment]
    return r


def assert_one_line_error(r: subprocess.CompletedProcess, *needles: str) -> None:
    assert r.returncode == 1, r.stderr
    assert r.stdout == ""
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("error: ")
    assert "Traceback" not in r.stderr
    for needle in needles:
        assert needle in r.stderr


def test_seed_json_has_the_issue_shape(tmp_path: Path) -> None:
    r = digest("summarize", str(SEED), "--json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert list(doc) == ["title", "lede", "key_points", "related", "source", "text"]
    assert doc["title"] == "Xi Jinping receives US secretary of State Antony Blinken in Beijing"
    assert doc["related"] == [
        {"title": "Could this be the largest IT outages in history?", "url": None, "section": "News"},
        {
            "title": "Live Earth: Can music unite the world for environmental change?",
            "url": None,
            "section": "Global Affairs",
        },
        {"title": "Meet Rachel Reeves, Britain’s first female Chancellor", "url": None, "section": "News"},
        {"title": "Bolivia’s failed coup: What we know so far", "url": None, "section": "News"},
    ]
    for chrome in ("xi 2", "Front of mind", "More from Qonversations", "Flight Board", "President Arce Bolivia"):
        assert chrome not in doc["text"]
    assert doc["lede"] and doc["lede"] in doc["text"]
    assert len(doc["key_points"]) == 3
    assert doc["source"] == str(SEED)


def test_points_and_human_output(tmp_path: Path) -> None:
    r = digest("summarize", str(SEED), "--points", "2", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert out.startswith("Xi Jinping receives US secretary of State Antony Blinken in Beijing\n")
    assert "Key points:" in out and out.count("  • ") == 2
    assert "[Global Affairs] Live Earth: Can music unite the world for environmental change?" in out
    assert r.stderr == ""
    r = digest("summarize", str(SEED), "--points", "0", cwd=tmp_path)
    assert r.returncode == 2 and "Traceback" not in r.stderr


def test_stdin_is_read_and_sniffed(tmp_path: Path) -> None:
    r = digest("summarize", "-", "--json", stdin="# A heading\n\nFirst sentence here. Second one there.", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["title"] == "A heading" and doc["source"] == "-"
    assert doc["lede"] == "First sentence here."


def test_several_files_give_a_json_list_in_order(tmp_path: Path) -> None:
    examples = sorted((ROOT / "examples" / "articles").iterdir())
    r = digest("summarize", *map(str, examples), "--json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    docs = json.loads(r.stdout)
    assert [d["source"] for d in docs] == [str(p) for p in examples]
    assert all(d["lede"] and d["title"] for d in docs)
    html = next(d for d in docs if d["source"].endswith(".html"))
    assert any(rel["url"] and rel["url"].startswith("https://courier.example.org/") for rel in html["related"])


def test_a_bad_file_among_good_ones_is_reported_and_the_rest_printed(tmp_path: Path) -> None:
    shutil.copy(SEED, tmp_path / "good.txt")
    (tmp_path / "bad.txt").write_bytes(png_bytes())
    r = digest("summarize", "good.txt", "bad.txt", "--json", cwd=tmp_path)
    assert r.returncode == 1
    docs = json.loads(r.stdout)
    assert [d["source"] for d in docs] == ["good.txt"]
    assert r.stderr == "error: bad.txt: not a text file (a PNG image)\n"


@pytest.mark.parametrize(
    ("name", "content", "needle"),
    [
        ("empty.txt", b"", "empty.txt: is empty"),
        ("blank.txt", b"   \n\n \t \n", "blank.txt: contains only whitespace"),
        ("image.png", None, "image.png: not a text file (a PNG image)"),
        ("image.txt", None, "image.txt: not a text file (a PNG image)"),
    ],
)
def test_bad_files_are_one_line_exit_1(tmp_path: Path, name: str, content: bytes | None, needle: str) -> None:
    (tmp_path / name).write_bytes(png_bytes() if content is None else content)
    assert_one_line_error(digest("summarize", name, cwd=tmp_path), needle)
    assert_one_line_error(digest("summarize", name, "--json", cwd=tmp_path), needle)


def test_missing_path_and_directory(tmp_path: Path) -> None:
    assert_one_line_error(digest("summarize", "nope.txt", cwd=tmp_path), "nope.txt: no such file or directory")
    (tmp_path / "folder").mkdir()
    shutil.copy(SEED, tmp_path / "folder" / "a.txt")
    assert_one_line_error(digest("summarize", "folder", cwd=tmp_path), "folder: is a directory")
    assert_one_line_error(digest("summarize", "empty", "--json", cwd=tmp_path), "empty: no such file")


def test_empty_stdin(tmp_path: Path) -> None:
    assert_one_line_error(digest("summarize", "-", stdin=b"", cwd=tmp_path), "-: is empty")


def test_other_encodings_and_control_characters_are_summarized(tmp_path: Path) -> None:
    body = (
        "Café owners protest\n\nCafé owners in the old town protested on Monday against new rules. "
        "They said the rules would cost them dearly.\n"
    )
    (tmp_path / "latin1.txt").write_bytes(body.encode("latin-1"))
    (tmp_path / "cp1252.txt").write_bytes(body.replace("protested", "“protested”").encode("cp1252"))
    (tmp_path / "ctl.txt").write_bytes(body.replace("old town", "old\x00 town\x07").encode("utf-8"))
    for name in ("latin1.txt", "cp1252.txt", "ctl.txt"):
        r = digest("summarize", name, "--json", cwd=tmp_path)
        assert r.returncode == 0, r.stderr
        doc = json.loads(r.stdout)
        assert doc["title"] == "Café owners protest"
        assert doc["lede"].startswith("Café owners in the old town")
    assert "“protested”" in json.loads(digest("summarize", "cp1252.txt", "--json", cwd=tmp_path).stdout)["lede"]


def test_ten_megabyte_file_is_refused_with_the_size_error(tmp_path: Path) -> None:
    with (tmp_path / "big.txt").open("wb") as fh:
        fh.write(b"Big\n\n" + b"x" * 10_000_000)
    r = digest("summarize", "big.txt", cwd=tmp_path)
    assert_one_line_error(r, "big.txt: file is 10 MB, over the 5 MB limit ([ingest] max_file_bytes)")
    r = digest("summarize", "-", stdin=b"y" * 10_000_000, cwd=tmp_path)
    assert_one_line_error(r, "-: input is 5 MB, over the 5 MB limit")


def test_jsonl_batch_keeps_order_and_reports_bad_lines(tmp_path: Path) -> None:
    lines = [
        json.dumps(
            {
                "id": 1,
                "text": "The council met on Monday. Members voted for the new cycling plan after a debate. "
                "Work starts soon.",
            }
        ),
        "{not json",
        json.dumps({"id": "b", "title": "Given title", "text": "Only one sentence here."}),
        json.dumps({"id": 4, "text": ""}),
        json.dumps({"id": 5}),
        json.dumps([1, 2]),
        json.dumps({"id": 7, "text": "Caf\u00e9 text with a control\u0007 character. And a second sentence."}),
    ]
    r = digest("summarize", "--jsonl", "--points", "1", stdin="\n".join(lines) + "\n", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    out = [json.loads(x) for x in r.stdout.splitlines()]
    assert len(out) == len(lines)
    assert out[0] == {
        "id": 1,
        "title": "The council met on Monday",
        "lede": "The council met on Monday.",
        "key_points": out[0]["key_points"],
    }
    assert len(out[0]["key_points"]) == 1
    assert list(out[1]) == ["id", "error"] and out[1]["id"] is None and "line 2: not valid JSON" in out[1]["error"]
    assert out[2]["id"] == "b" and out[2]["title"] == "Given title" and out[2]["lede"] == "Only one sentence here."
    assert out[3] == {"id": 4, "error": "line 4: is empty; nothing to summarize"}
    assert out[4] == {"id": 5, "error": 'line 5: "text" must be a string'}
    assert out[5] == {"id": None, "error": "line 6: expected a JSON object, got list"}
    assert out[6]["id"] == 7 and "\u0007" not in out[6]["lede"]
    assert "Traceback" not in r.stderr


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    r = digest("summarize", cwd=tmp_path)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    r = digest("summarize", "--jsonl", "a", "b", cwd=tmp_path)
    assert r.returncode == 2
