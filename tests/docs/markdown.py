"""Reading the docs the way the tests need them: fenced code blocks and links."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

FENCE = re.compile(r"^```(\S*)[^\n]*\n(.*?)^```\s*$", re.MULTILINE | re.DOTALL)


@dataclass(frozen=True)
class Block:
    language: str
    text: str
    line: int  # where the block's first line of code is, 1-based


def code_blocks(path: Path, language: str | None = None) -> list[Block]:
    """Fenced blocks in a Markdown file, optionally only those of one language."""
    source = path.read_text(encoding="utf-8")
    found = []
    for m in FENCE.finditer(source):
        if language is None or m.group(1) == language:
            found.append(Block(m.group(1), m.group(2), source.count("\n", 0, m.start(2)) + 1))
    return found
