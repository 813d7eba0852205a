"""docs/configuration.md and config/digest.toml list every key the code knows, as the code knows it.

The keys are read from the settings dataclasses, the job-file parser and the source tree, so a
key (or environment variable) added later fails here until it is documented.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import MISSING, Field, fields
from typing import Any

import pytest
from tests.support.paths import ROOT

from digest.config import SECTIONS, SourceSettings
from digest.schedule.jobs import KEYS as JOB_KEYS
from digest.version import __version__

DOC = ROOT / "docs" / "configuration.md"
CONFIG = ROOT / "config" / "digest.toml"
ALL_SECTIONS: dict[str, type] = {**SECTIONS, "sources": SourceSettings}

# How each annotation reads in the doc's type column (a new kind of setting needs a word here).
TYPE_WORDS = {
    "str": "string",
    "str | None": "string",
    "int": "integer",
    "float": "number",
    "bool": "boolean",
    "tuple[str, ...]": "list of strings",
}


def doc_tables() -> dict[str, dict[str, list[str]]]:
    """Heading (``[digest]``, ``[[sources]]``, ``Environment variables``...) -> key -> row cells."""
    tables: dict[str, dict[str, list[str]]] = {}
    heading = ""
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            heading = line[3:].strip().strip("`")
            tables[heading] = {}
        elif line.startswith("| `") and heading:
            cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
            tables[heading][cells[0].strip("`")] = cells
    return tables


def heading_for(section: str) -> str:
    return "[[sources]]" if section == "sources" else f"[{section}]"


def default_of(f: Field[Any]) -> Any:
    if f.default is not MISSING:
        return f.default
    assert f.default_factory is not MISSING
    return f.default_factory()


def toml_literal(value: Any) -> str:
    """A default as it is written in TOML (and in the doc's default column)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False).replace(__version__, "<version>")
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, tuple | list):
        return "[" + ", ".join(toml_literal(v) for v in value) + "]"
    raise AssertionError(f"no TOML form for {value!r}")


@pytest.mark.parametrize("section", sorted(ALL_SECTIONS))
def test_every_key_of_every_section_is_documented(section: str) -> None:
    tables = doc_tables()
    assert heading_for(section) in tables, f"docs/configuration.md has no '## `{heading_for(section)}`' section"
    documented = set(tables[heading_for(section)])
    keys = {f.name for f in fields(ALL_SECTIONS[section])}
    assert keys - documented == set(), f"{heading_for(section)}: undocumented keys in docs/configuration.md"
    assert documented - keys == set(), f"{heading_for(section)}: docs/configuration.md lists keys the code lacks"


@pytest.mark.parametrize("section", sorted(ALL_SECTIONS))
def test_documented_types_and_defaults_are_the_codes(section: str) -> None:
    rows = doc_tables()[heading_for(section)]
    for f in fields(ALL_SECTIONS[section]):
        key, kind, default, meaning = rows[f.name]
        word = TYPE_WORDS[str(f.type)]
        assert kind.startswith(word), f"{heading_for(section)} {key}: type should start with {word!r}, not {kind!r}"
        value = default_of(f)
        if value is None:
            assert default.startswith("unset"), f"{heading_for(section)} {key}: default is unset, doc says {default}"
        else:
            literal = f"`{toml_literal(value)}`"
            assert literal in default, f"{heading_for(section)} {key}: default is {literal}, doc says {default}"
        assert len(meaning) > 10, f"{heading_for(section)} {key}: say what it does"


def test_every_job_file_key_is_documented() -> None:
    rows = doc_tables()["Job files (`scheduled/*.toml`)"]
    assert set(rows) == set(JOB_KEYS)
    assert all(len(cells) == 4 and len(cells[3]) > 10 for cells in rows.values())
    # scheduled/README.md is the short list next to the job files: it names every key too
    readme = (ROOT / "scheduled" / "README.md").read_text(encoding="utf-8")
    assert [key for key in JOB_KEYS if f"`{key}`" not in readme] == []


def environment_variables_in_code() -> set[str]:
    """Every ``DIGEST_NAME`` string constant in the source (prefixes such as "DIGEST_" excluded)."""
    found = set()
    for path in (ROOT / "src" / "digest").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            text = node.value if isinstance(node, ast.Constant) else None
            if isinstance(text, str) and re.fullmatch(r"DIGEST_[A-Z0-9]+(?:_[A-Z0-9]+)*", text):
                found.add(text)
    return found


def test_every_environment_variable_is_documented() -> None:
    in_code = environment_variables_in_code()
    expected = {
        "DIGEST_CONFIG",
        "DIGEST_DATA_DIR",
        "DIGEST_BACKEND",
        "DIGEST_SMTP_PASSWORD",
        "DIGEST_UNSUBSCRIBE_KEY",
        "DIGEST_ALLOW_PRIVATE_ADDRESSES",
        "DIGEST_DEBUG",
    }
    assert expected <= in_code  # the scan finds what the code reads
    documented = set(doc_tables()["Environment variables"])
    assert in_code - documented == set(), "environment variables missing from docs/configuration.md"
    assert "DIGEST_<SECTION>__<KEY>" in documented


def config_file_keys() -> dict[str, set[str]]:
    """Section -> keys config/digest.toml sets or shows in a comment (``# key = value``)."""
    keys: dict[str, set[str]] = {}
    section = ""
    for line in CONFIG.read_text(encoding="utf-8").splitlines():
        if m := re.fullmatch(r"#?\s*\[\[?(\w+)\]\]?\s*", line):
            section = m.group(1)
            keys.setdefault(section, set())
        elif (m := re.match(r"#?\s*(\w+)\s*=", line)) and section:
            keys[section].add(m.group(1))
    return keys


@pytest.mark.parametrize("section", sorted(ALL_SECTIONS))
def test_config_toml_shows_every_key(section: str) -> None:
    """The bundled config says it documents every key: each one is set or shown commented out."""
    shown = config_file_keys().get(section, set())
    missing = {f.name for f in fields(ALL_SECTIONS[section])} - shown
    assert missing == set(), f"config/digest.toml [{section}] does not mention {sorted(missing)}"
