"""Sections: the edition's stories grouped under headings, in the order the config gives.

Each ``[[sections]]`` entry has rules (source names, categories, URL prefixes, keywords); the
first section whose rules match a story takes it. A section may cap its own story count.
Stories no section takes go under ``[digest] other_section`` at the end (or are left out when
it is ""). Without sections nothing changes: one list, no headings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from digest.config import SectionSettings, Settings
from digest.ingest.filters import Matcher
from digest.models import Article


@dataclass(frozen=True)
class _Rules:
    section: SectionSettings
    sources: frozenset[str]
    categories: frozenset[str]
    keywords: Matcher

    @classmethod
    def of(cls, section: SectionSettings) -> _Rules:
        return cls(
            section,
            frozenset(s.casefold() for s in section.sources),
            frozenset(c.casefold() for c in section.categories),
            Matcher(section.keywords),
        )

    def match(self, article: Article) -> bool:
        if article.origin and article.origin.casefold() in self.sources:
            return True
        if self.categories and any(c.casefold() in self.categories for c in article.categories):
            return True
        if article.url and any(article.url.startswith(p) for p in self.section.url_prefixes):
            return True
        return bool(self.keywords) and self.keywords.search([article.title, article.text])


@dataclass
class Arranged:
    order: list[int]  # indices into the articles given, in edition order
    sections: list[str | None]  # the section of each, parallel to ``order``
    warnings: list[str]


def arrange(articles: Sequence[Article], settings: Settings) -> Arranged:
    """Which section each story goes to, and the edition's order (by section, then as read)."""
    if not settings.sections:
        return Arranged(list(range(len(articles))), [None] * len(articles), [])
    rules = [_Rules.of(s) for s in settings.sections]
    groups: dict[str, list[int]] = {r.section.name: [] for r in rules}
    other: list[int] = []
    for i, article in enumerate(articles):
        taken = next((r for r in rules if r.match(article)), None)
        (groups[taken.section.name] if taken else other).append(i)
    order: list[int] = []
    names: list[str | None] = []
    warnings: list[str] = []
    for r in rules:
        members = groups[r.section.name]
        cap = r.section.max_stories
        if cap and len(members) > cap:
            dropped = ", ".join(repr(articles[i].title) for i in members[cap : cap + 3])
            warnings.append(
                f"section {r.section.name!r}: {len(members)} stories, kept the first {cap}; left out: {dropped}"
            )
            members = members[:cap]
        order += members
        names += [r.section.name] * len(members)
    heading = settings.digest.other_section.strip()
    if other and heading:
        order += other
        names += [heading] * len(other)
    elif other:
        warnings.append(
            f"{len(other)} stories match no section and were left out ([digest] other_section is empty): "
            + ", ".join(repr(articles[i].title) for i in other[:3])
        )
    return Arranged(order, names, warnings)
