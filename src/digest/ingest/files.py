"""STUB (owned by the ingestion work of issue 2): replace with the real reader."""

from __future__ import annotations

from pathlib import Path

from digest.config import Settings
from digest.errors import InputError
from digest.models import Article


def article_from_text(
    text: str | bytes, source: str, settings: Settings, title: str | None = None, fmt: str = "txt"
) -> Article:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    if not lines:
        raise InputError(f"{source}: empty input")
    if title is None:
        title, body = lines[0], "\n\n".join(lines[1:])
    else:
        body = "\n\n".join(lines)
    return Article(title=title, text=body, source=source)


def read_file(path: str | Path, settings: Settings) -> Article:
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{path}: no such file")
    return article_from_text(p.read_text(encoding="utf-8"), str(path), settings)


def read_path(spec: str, settings: Settings) -> list[Article]:
    p = Path(spec)
    if p.is_dir():
        return [read_file(f, settings) for f in sorted(p.iterdir()) if f.is_file()]
    return [read_file(p, settings)]
