"""docs/cli.md is the commands' own --help: a test fails as soon as they disagree."""

from __future__ import annotations

import difflib
import subprocess
import sys

import click
from tests.support.paths import ROOT

from digest.cli import COMMANDS, cli
from digest.cli.reference import REGENERATE, anchor, context, render, walk

CLI_MD = ROOT / "docs" / "cli.md"


def test_docs_cli_md_is_up_to_date() -> None:
    expected = render()
    actual = CLI_MD.read_text(encoding="utf-8")
    if actual != expected:
        diff = "".join(
            list(
                difflib.unified_diff(
                    actual.splitlines(keepends=True),
                    expected.splitlines(keepends=True),
                    "docs/cli.md",
                    "--help",
                )
            )[:40]
        )
        raise AssertionError(f"docs/cli.md is stale; regenerate it with:\n\n    {REGENERATE}\n\n{diff}")


def test_every_command_and_subcommand_is_in_the_reference() -> None:
    text = CLI_MD.read_text(encoding="utf-8")
    headings = {line[3:] for line in text.splitlines() if line.startswith("## ")}
    assert {f"digest {name}" for name in COMMANDS} <= headings
    for group in ("subscribers", "schedule"):
        command = cli.get_command(context(cli, "digest"), group)
        assert isinstance(command, click.Group)
        for sub in command.list_commands(context(command, group)):
            assert f"digest {group} {sub}" in headings, sub


def test_every_option_of_every_command_is_shown() -> None:
    text = CLI_MD.read_text(encoding="utf-8")
    for ctx in walk(cli, context(cli, "digest")):
        section = text.split(f"\n## {ctx.command_path}\n", 1)[1].split("\n## ", 1)[0]
        for param in ctx.command.get_params(ctx):
            if isinstance(param, click.Option) and not param.hidden:
                for flag in param.opts:
                    assert flag in section, f"{ctx.command_path}: {flag} missing from docs/cli.md"


def test_contents_links_point_at_headings() -> None:
    text = CLI_MD.read_text(encoding="utf-8")
    anchors = {anchor(line[3:]) for line in text.splitlines() if line.startswith("## ")}
    links = [part.split(")", 1)[0] for part in text.split("](#")[1:]]
    assert links and set(links) == anchors


def test_the_generator_runs_as_documented_and_ignores_the_terminal_width() -> None:
    """`python -m digest.cli.reference` prints the same bytes in a narrow terminal."""
    env = {"COLUMNS": "40", "PATH": "/usr/bin:/bin", "PYTHONIOENCODING": "utf-8", "PYTHONPATH": str(ROOT / "src")}
    result = subprocess.run(
        [sys.executable, "-m", "digest.cli.reference"],
        capture_output=True,
        encoding="utf-8",
        cwd=ROOT / "tests",
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == render()
