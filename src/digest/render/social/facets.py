"""Bluesky rich text: link and tag facets at UTF-8 byte offsets (app.bsky.richtext.facet)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

import regex

from digest.render.social.links import LinkRef


def _byte_offsets(text: str) -> Callable[[int], int]:
    if text.isascii():
        return lambda i: i
    return lambda i: len(text[:i].encode("utf-8"))


@lru_cache(maxsize=1024)
def _tag_pattern(tag: str) -> regex.Pattern[str]:
    return regex.compile(r"(?<![\w#])" + regex.escape(tag) + r"(?![\w])")


def bluesky_facets(text: str, links: Sequence[LinkRef], hashtags: Sequence[str]) -> list[dict[str, Any]]:
    """app.bsky.richtext.facet records: link and tag features with UTF-8 byteStart/byteEnd."""
    to_byte = _byte_offsets(text)
    taken: list[tuple[int, int]] = []
    facets: list[tuple[int, dict[str, Any]]] = []

    def add(start: int, end: int, feature: dict[str, Any]) -> None:
        if any(start < e and s < end for s, e in taken):
            return
        taken.append((start, end))
        facets.append((start, {"index": {"byteStart": to_byte(start), "byteEnd": to_byte(end)}, "features": [feature]}))

    for ref in links:
        start = text.find(ref.text)
        while start != -1:
            add(start, start + len(ref.text), {"$type": "app.bsky.richtext.facet#link", "uri": ref.url})
            start = text.find(ref.text, start + len(ref.text))
    for tag in hashtags:
        for m in _tag_pattern(tag).finditer(text):
            add(m.start(), m.end(), {"$type": "app.bsky.richtext.facet#tag", "tag": tag.lstrip("#")})
    return [f for _, f in sorted(facets, key=lambda item: item[0])]
