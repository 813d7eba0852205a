"""What the docs point at exists: links and their anchors, files in the repository, Python names.

Code moves (a module to another package, a file renamed) fail here until the docs follow.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path
from typing import Any

import pytest
from tests.support.paths import ROOT

from digest.cli.reference import anchor

DOCS = sorted(
    [
        ROOT / "README.md",
        ROOT / "CONTRIBUTING.md",
        ROOT / "CHANGELOG.md",
        ROOT / "scheduled" / "README.md",
        ROOT / "templates" / "email" / "README.md",
        ROOT / "examples" / "README.md",
        *(ROOT / "docs").glob("*.md"),
    ]
)
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
CODE_SPAN = re.compile(r"`([^`\n]+)`")
REPO_PATH = re.compile(r"(?:src|tests|bench|config|docs|examples|scheduled|templates)/[\w./-]*|\.ci/run")
PYTHON_NAME = re.compile(r"digest(?:\.[A-Za-z_]\w*)+")
# digest.html, digest.sqlite3, digest.service...: files; digest.backends: the entry-point group
NOT_PYTHON = {"html", "txt", "json", "mjml", "sqlite3", "toml", "service", "backends"}


def doc_id(path: Path) -> str:
    return str(path.relative_to(ROOT))


def prose(path: Path) -> str:
    """The Markdown without its fenced code blocks."""
    return re.sub(r"^```.*?^```", "", path.read_text(encoding="utf-8"), flags=re.MULTILINE | re.DOTALL)


def anchors(path: Path) -> set[str]:
    """The ids GitHub gives the file's headings (a repeated heading gets -1, -2...)."""
    seen: dict[str, int] = {}
    found = set()
    for line in prose(path).splitlines():
        if m := re.match(r"#{1,6} (.+)", line):
            base = anchor(m.group(1).strip())
            n = seen.get(base, 0)
            seen[base] = n + 1
            found.add(base if n == 0 else f"{base}-{n}")
    return found


@pytest.mark.parametrize("doc", DOCS, ids=doc_id)
def test_links_and_anchors_resolve(doc: Path) -> None:
    broken = []
    for target in LINK.findall(prose(doc)):
        if target.startswith(("http://", "https://", "mailto:")):
            continue
        file_part, _, fragment = target.partition("#")
        path = (doc.parent / file_part).resolve() if file_part else doc
        if not path.exists():
            broken.append(f"{target}: no such file")
        elif fragment and path.suffix == ".md" and fragment not in anchors(path):
            broken.append(f"{target}: no heading with that anchor in {path.name}")
    assert broken == [], f"{doc_id(doc)}: {broken}"


@pytest.mark.parametrize("doc", DOCS, ids=doc_id)
def test_repository_paths_exist(doc: Path) -> None:
    """A code span that is a path in the repository (no placeholder in it) names a real file."""
    missing = []
    for span in CODE_SPAN.findall(doc.read_text(encoding="utf-8")):
        made_by_runs = span.startswith("tests/artifacts")
        if REPO_PATH.fullmatch(span) and not made_by_runs and not (ROOT / span).exists():
            missing.append(span)
    assert missing == [], f"{doc_id(doc)} names paths that do not exist: {missing}"


def resolve(dotted: str) -> Any:
    """``digest.a.b.c``: the longest importable module prefix, then attributes."""
    parts = dotted.split(".")
    for i in range(len(parts), 0, -1):
        try:
            value: Any = importlib.import_module(".".join(parts[:i]))
        except ModuleNotFoundError:
            continue
        for attr in parts[i:]:
            value = getattr(value, attr)
        return value
    raise ModuleNotFoundError(dotted)


@pytest.mark.parametrize("doc", [d for d in DOCS if d.parent.name != "email"], ids=doc_id)
def test_python_names_resolve(doc: Path) -> None:
    """`digest.x.y` in a code span is a module or attribute that exists (not checked in the
    email templates' README, where `digest.title` and the like are template variables)."""
    missing = []
    for span in CODE_SPAN.findall(doc.read_text(encoding="utf-8")):
        m = PYTHON_NAME.match(span)
        if m is None or m.group(0).split(".")[1] in NOT_PYTHON:
            continue
        try:
            resolve(m.group(0))
        except (ImportError, AttributeError):
            missing.append(m.group(0))
    assert missing == [], f"{doc_id(doc)} names Python objects that do not exist: {missing}"


def test_the_docs_index_links_every_doc() -> None:
    index = (ROOT / "docs" / "README.md").read_text(encoding="utf-8")
    unlinked = [p.name for p in (ROOT / "docs").glob("*.md") if p.name != "README.md" and f"]({p.name}" not in index]
    assert unlinked == [], f"docs/README.md does not link {unlinked}"
