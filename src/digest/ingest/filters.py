"""Which stories a source lets through, and what a story is about: words and patterns.

A pattern is a word or phrase (matched whole, in any case: "flood" does not match "floodlight")
or, with a ``re:`` prefix, a regular expression (also in any case). Each is tried on the title,
the text and the categories of a story. Regular expressions run with a time limit, since they
meet text from servers we don't control.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import regex

from digest.config import SourceSettings
from digest.models import Article

_TIMEOUT = 0.5  # seconds a single pattern may spend on one story


class Matcher:
    """Any of several patterns, compiled once."""

    def __init__(self, patterns: Sequence[str]) -> None:
        self.patterns = tuple(patterns)
        self._compiled = [_compile(p) for p in self.patterns]

    def __bool__(self) -> bool:
        return bool(self._compiled)

    def search(self, texts: Iterable[str]) -> bool:
        chunks = [t for t in texts if t]
        for pattern in self._compiled:
            for chunk in chunks:
                try:
                    if pattern.search(chunk, timeout=_TIMEOUT):
                        return True
                except TimeoutError:
                    continue  # a pattern that cannot decide in time does not match
        return False


def _compile(pattern: str) -> regex.Pattern[str]:
    if pattern.startswith("re:"):
        return regex.compile(pattern[3:], regex.IGNORECASE | regex.VERSION0)
    words = r"\s+".join(regex.escape(w) for w in pattern.split())
    return regex.compile(rf"(?<!\w){words}(?!\w)", regex.IGNORECASE)


def story_texts(article: Article) -> list[str]:
    return [article.title, article.text, *article.categories]


@dataclass
class Selected:
    articles: list[Article]
    filtered: int  # left out by the source's include/exclude


def select(spec: SourceSettings, articles: list[Article]) -> Selected:
    """The source's articles, tagged with the source's name, minus what its filters leave out."""
    origin = spec.name or spec.url or spec.path
    include, exclude = Matcher(spec.include), Matcher(spec.exclude)
    kept = []
    for article in articles:
        article.origin = article.origin or origin
        texts = story_texts(article)
        if include and not include.search(texts):
            continue
        if exclude and exclude.search(texts):
            continue
        kept.append(article)
    return Selected(kept, len(articles) - len(kept))
