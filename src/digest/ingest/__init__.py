"""Ingest: turn sources (files, folders, globs, stdin, feeds, pages) into Articles.

Public API (stable; other stages rely on it):
- ``read_file(path, settings) -> Article``
- ``article_from_text(text, source, settings, title=None, fmt="txt") -> Article``
- ``read_source(spec, settings) -> list[Article]``: a file, folder, glob or "-" (stdin);
  feed and page URLs once the sources issue lands.
"""

from __future__ import annotations

from digest.ingest.files import article_from_text, read_file, read_source

__all__ = ["article_from_text", "read_file", "read_source"]
