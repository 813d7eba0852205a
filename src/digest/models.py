"""Plain data passed between pipeline stages: ingest -> summarize -> render -> deliver.

Every stage takes and returns these objects and nothing else, so each stage can be used
(and tested) alone, from Python as well as from the CLI.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any


@dataclass
class Related:
    """A related story the source page itself listed (e.g. a "More from <Site>" block)."""

    title: str
    url: str | None = None
    section: str | None = None
    block: str | None = None  # the heading of the page's block it was listed in ("More from X")


@dataclass
class Image:
    """A story's lead image, referenced by URL (https only, never embedded in the email)."""

    url: str
    alt: str | None = None
    width: int | None = None
    height: int | None = None


@dataclass
class Article:
    """One article as read from a source, cleaned of site chrome."""

    title: str
    text: str
    source: str
    url: str | None = None
    published: datetime | None = None
    author: str | None = None
    site: str | None = None
    language: str | None = None
    related: list[Related] = field(default_factory=list)
    guid: str | None = None
    image: Image | None = None
    categories: list[str] = field(default_factory=list)  # feed categories, page sections
    origin: str | None = None  # the configured source it came from (its name, else URL or path)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["published"] = self.published.isoformat() if self.published else None
        return data


@dataclass
class Summary:
    """A lede (the opening sentence as written) plus a few key points in document order."""

    lede: str
    key_points: list[str] = field(default_factory=list)
    language: str = "en"


@dataclass
class Teaser:
    """A related-story teaser shown under a story in the email and in social posts."""

    title: str
    url: str | None
    origin: str = "page"  # "page" (the article's own links), "digest" or "archive"
    score: float | None = None
    label: str | None = None  # the heading to show it under: a page's own block heading


@dataclass
class Story:
    article: Article
    summary: Summary
    teasers: list[Teaser] = field(default_factory=list)
    section: str | None = None  # the [[sections]] heading it goes under, if any
    edited: list[str] = field(default_factory=list)  # what an editor changed: "lede", "key_points.2", "image"


@dataclass
class Digest:
    title: str
    date: date
    stories: list[Story]
    intro: str | None = None
    edition: str | None = None
    warnings: list[str] = field(default_factory=list)


@dataclass
class SocialPost:
    platform: str
    text: str
    length: int
    limit: int
    links: list[str] = field(default_factory=list)
    hashtags: list[str] = field(default_factory=list)
    thread: list[str] | None = None
    facets: list[dict[str, Any]] | None = None  # Bluesky: link/tag facets, UTF-8 byte offsets
    thread_facets: list[list[dict[str, Any]]] | None = None  # Bluesky: facets of each thread part
    link_attachment: str | None = None  # a link too long for the text limit (never cut)
    card: dict[str, str | None] | None = None  # Bluesky link card: uri, title, description, thumb
    warnings: list[str] = field(default_factory=list)


@dataclass
class Recipient:
    email: str
    name: str | None = None


# ---------------------------------------------------------------- as data (a draft edition is stored so)

# Enough of an article's text for a link card's description; a draft never needs the whole page.
_STORED_TEXT = 2000


def digest_to_data(digest: Digest) -> dict[str, Any]:
    """A digest as JSON-able data that ``digest_from_data`` turns back into the same digest
    (article texts shortened): how a draft edition waits for review."""
    return {
        "title": digest.title,
        "date": digest.date.isoformat(),
        "intro": digest.intro,
        "edition": digest.edition,
        "warnings": list(digest.warnings),
        "stories": [
            {
                "article": {**asdict(s.article), "text": s.article.text[:_STORED_TEXT]}
                | {"published": s.article.published.isoformat() if s.article.published else None},
                "summary": asdict(s.summary),
                "teasers": [asdict(t) for t in s.teasers],
                "section": s.section,
                "edited": list(s.edited),
            }
            for s in digest.stories
        ],
    }


def digest_from_data(data: dict[str, Any]) -> Digest:
    stories = []
    for item in data["stories"]:
        a = dict(item["article"])
        a["published"] = datetime.fromisoformat(a["published"]) if a.get("published") else None
        a["related"] = [Related(**r) for r in a.get("related") or []]
        a["image"] = Image(**a["image"]) if a.get("image") else None
        stories.append(
            Story(
                article=Article(**a),
                summary=Summary(**item["summary"]),
                teasers=[Teaser(**t) for t in item.get("teasers") or []],
                section=item.get("section"),
                edited=list(item.get("edited") or []),
            )
        )
    return Digest(
        title=data["title"],
        date=date.fromisoformat(data["date"]),
        stories=stories,
        intro=data.get("intro"),
        edition=data.get("edition"),
        warnings=list(data.get("warnings") or []),
    )
