"""README.md stays a short front page with its two set-up commands; CHANGELOG.md and
CONTRIBUTING.md keep up with the version, the CI checks and the layers."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from tests.docs.markdown import code_blocks
from tests.support.paths import ROOT

from digest.cli import COMMANDS
from digest.cli.reference import REGENERATE
from digest.version import __version__

README = ROOT / "README.md"
CHANGELOG = ROOT / "CHANGELOG.md"
CONTRIBUTING = ROOT / "CONTRIBUTING.md"
CI = ROOT / ".ci" / "run"

# The two commands are a contract: CI runs the second verbatim, and the first is what a newcomer types.
FIRST_RUN = (
    "python3 -m venv .venv && . .venv/bin/activate && pip install . && "
    "digest subscribers import examples/subscribers.csv && digest send --now"
)
TEST_RUN = "python3 -m venv .venv && . .venv/bin/activate && pip install -e '.[test]' && python -m pytest -q"


def shell_lines(path: Path) -> list[str]:
    return [line.strip() for b in code_blocks(path, "sh") for line in b.text.splitlines() if line.strip()]


def test_readme_keeps_the_two_set_up_commands_verbatim() -> None:
    lines = shell_lines(README)
    assert FIRST_RUN in lines
    assert TEST_RUN in lines
    assert TEST_RUN in CI.read_text(encoding="utf-8").splitlines(), ".ci/run must run the README's test command"


def test_readme_has_an_example_for_every_command() -> None:
    commands = [line.split()[1] for line in shell_lines(README) if line.startswith("digest ")]
    assert sorted(set(commands)) == sorted(COMMANDS)


def test_readme_is_a_short_front_page_that_links_the_docs() -> None:
    text = README.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 100, "the reference belongs in docs/"
    assert '-m "not slow"' in text
    for doc in ("docs/README.md", "docs/cli.md", "docs/configuration.md", "docs/json.md", "docs/python-api.md"):
        assert f"]({doc})" in text, doc


def test_changelog_follows_keep_a_changelog_and_knows_this_version() -> None:
    text = CHANGELOG.read_text(encoding="utf-8")
    versions = re.findall(r"^## \[([^\]]+)\](?: - (\d{4}-\d{2}-\d{2}))?$", text, re.MULTILINE)
    assert versions[0] == ("Unreleased", ""), "the newest section is [Unreleased]"
    released = [version for version, _ in versions[1:]]
    assert all(day for _, day in versions[1:]), "a released version has a date"
    assert __version__ in released, f"CHANGELOG.md has no [{__version__}] section"
    kinds = set(re.findall(r"^### (.+)$", text, re.MULTILINE))
    assert kinds <= {"Added", "Changed", "Deprecated", "Removed", "Fixed", "Security"}, kinds


def ci_checks() -> list[str]:
    """The commands .ci/run runs after its ``echo "--- name"`` markers."""
    return [m.group(1).strip() for m in re.finditer(r'^echo "--- [^"]+";\s*(.+)$', CI.read_text(), re.MULTILINE)]


def test_contributing_lists_the_checks_ci_runs() -> None:
    checks = ci_checks()
    assert checks[:4] == ["ruff check src tests bench", "ruff format --check src tests bench", "mypy", "lint-imports"]
    listed = [line for b in code_blocks(CONTRIBUTING, "sh") for line in b.text.splitlines()]
    for command in [*checks, "python -m pytest -q"]:
        assert command in listed, f"CONTRIBUTING.md does not show `{command}`"


def test_contributing_describes_the_layers_as_import_linter_checks_them() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contract = config["tool"]["importlinter"]["contracts"][0]
    text = CONTRIBUTING.read_text(encoding="utf-8")
    numbered = re.findall(r"^\d+\. (.+(?:\n   .+)*)", text, re.MULTILINE)
    layers = [set(re.findall(r"`(\w+)`", item)) for item in numbered]
    expected = [set(re.split(r"\s*[|:]\s*", layer)) for layer in contract["layers"]]
    assert layers[: len(expected)] == expected


def test_contributing_says_how_to_regenerate_the_cli_reference() -> None:
    assert REGENERATE in CONTRIBUTING.read_text(encoding="utf-8")
