"""Related-story teasers: up to ``[email] max_teasers`` short links under each story.

Three kinds of candidates, in this order of trust:

1. the article's own related links (a "More from <Site>" block the page listed): chosen by the
   publisher's editors, so they come first. Relative URLs are resolved against the article's URL;
   a link that is not http(s) is dropped. A related item with no URL at all cannot be clicked
   in an email; it is still shown as a plain title (origin "page", url None) but only after
   every linked candidate, so it fills a slot only when nothing better exists.
2. other stories in the same digest, by TF-IDF cosine similarity (scikit-learn) of their
   titles and text, kept only at or above ``[archive] min_similarity``.
3. extra candidates passed in by the caller (the archive: earlier stories), scored the same way.

When the page alone offers enough links, one slot is kept for the best similarity match, so a
reader sees at least one link to something the publisher's own block did not choose. No story
teases itself, and no two teasers share a canonical URL (``digest.links.canonical_url``) or a
normalized title.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from digest.config import Settings
from digest.links import canonical_url
from digest.models import Article, Story, Teaser
from digest.sanitize import plain_text, safe_url
from digest.similarity import cosine_rows

_DOC_CHARS = 6000  # enough text to characterise a story; keeps TF-IDF fast on long pages


@dataclass(frozen=True)
class TeaserCandidate:
    """Something a story could tease that is not in this digest (e.g. from the archive)."""

    title: str
    url: str | None
    text: str = ""
    origin: str = "archive"

    @classmethod
    def from_article(cls, article: Article, origin: str = "archive") -> TeaserCandidate:
        return cls(title=article.title, url=article.url, text=article.text, origin=origin)


def normalize_title(title: str) -> str:
    """Case-, accent-, punctuation- and spacing-insensitive key for a title."""
    text = unicodedata.normalize("NFKD", plain_text(title)).casefold()
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(re.sub(r"[^\w\s]", " ", text).split())


def _web_url(url: str | None, base: str | None = None) -> str | None:
    safe = safe_url(url, base=base)
    if safe and safe.lower().startswith(("http://", "https://")):
        return safe
    return None


def _story_document(story: Story) -> str:
    a = story.article
    parts = [a.title, a.title, story.summary.lede, *story.summary.key_points, a.text[:_DOC_CHARS]]
    return plain_text(" ".join(p for p in parts if p))


def similarity_matrix(stories: Sequence[Story], candidates: Sequence[TeaserCandidate]) -> Any:
    """Cosine similarities: rows are stories, columns are stories then candidates (or None)."""
    docs = [_story_document(s) for s in stories]
    docs += [plain_text(f"{c.title} {c.title} {c.text[:_DOC_CHARS]}") for c in candidates]
    return cosine_rows(docs, len(stories))


class _Seen:
    """Canonical URLs and normalized titles already taken (or the story's own)."""

    def __init__(self) -> None:
        self.urls: set[str] = set()
        self.titles: set[str] = set()

    def fresh(self, teaser: Teaser) -> bool:
        """True (and remembered) unless the teaser repeats a title or URL already seen."""
        key_title = normalize_title(teaser.title)
        key_url = canonical_url(teaser.url) if teaser.url else None
        if not key_title or key_title in self.titles or (key_url and key_url in self.urls):
            return False
        self.titles.add(key_title)
        if key_url:
            self.urls.add(key_url)
        return True


def compute_teasers(
    stories: Sequence[Story],
    settings: Settings,
    extra_candidates: Iterable[TeaserCandidate | Article] = (),
) -> list[list[Teaser]]:
    """The teasers for each story (same order as ``stories``); does not modify the stories."""
    limit = settings.email.max_teasers
    threshold = settings.archive.min_similarity
    extras = [
        c if isinstance(c, TeaserCandidate) else TeaserCandidate.from_article(c, "archive") for c in extra_candidates
    ]
    if limit == 0:
        return [[] for _ in stories]
    sims = similarity_matrix(stories, extras)
    n = len(stories)
    result: list[list[Teaser]] = []
    for i, story in enumerate(stories):
        article = story.article
        linked_page: list[Teaser] = []
        unlinked_page: list[Teaser] = []
        for rel in article.related:
            title = plain_text(rel.title)
            if not title:
                continue
            url = _web_url(rel.url, base=article.url)
            label = plain_text(rel.block) or None
            if url:
                linked_page.append(Teaser(title=title, url=url, origin="page", label=label))
            elif not rel.url:
                unlinked_page.append(Teaser(title=title, url=None, origin="page", label=label))
            # a related link with an unsafe URL (javascript:, data:...) is dropped entirely

        similar: list[Teaser] = []
        if sims is not None:
            for j in range(sims.shape[1]):
                score = float(sims[i, j])
                if j == i or score < threshold:
                    continue
                if j < n:
                    other = stories[j].article
                    title, url, origin = other.title, _web_url(other.url), "digest"
                else:
                    cand = extras[j - n]
                    title, url, origin = cand.title, _web_url(cand.url), cand.origin
                title = plain_text(title)
                if title and url:
                    similar.append(Teaser(title=title, url=url, origin=origin, score=round(score, 3)))
            similar.sort(key=lambda t: t.score or 0.0, reverse=True)

        seen = _Seen()
        seen.fresh(Teaser(title=article.title, url=_web_url(article.url)))  # no story teases itself
        fresh = seen.fresh
        page = [t for t in linked_page if fresh(t)]
        similar = [t for t in similar if fresh(t)]
        unlinked = [t for t in unlinked_page if fresh(t)]
        keep_for_similar = 1 if similar else 0
        page_first = page[: max(0, limit - keep_for_similar)]
        chosen = (page_first + similar + page[len(page_first) :] + unlinked)[:limit]
        result.append(chosen)
    return result


def attach_teasers(
    stories: Sequence[Story],
    settings: Settings,
    extra_candidates: Iterable[TeaserCandidate | Article] = (),
) -> None:
    """Set ``story.teasers`` on every story (see ``compute_teasers``)."""
    for story, teasers in zip(stories, compute_teasers(stories, settings, extra_candidates), strict=True):
        story.teasers = teasers
