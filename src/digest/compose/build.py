"""sources -> articles -> stories -> Digest: the one function every command builds on.

``build_digest(settings, sources=None, *, today=None, edition=None, ...) -> BuildResult``.
Sources are read concurrently; a source that fails is recorded in ``failures`` (and a warning),
never fatal. Stories keep the order of the sources as given (the editor's order) and, within a
source, the order the source lists them; repeats of the same article (same canonical URL or
same title) are dropped; ``[digest] max_stories`` caps the count, with a warning.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from digest.compose.sections import arrange
from digest.compose.teasers import TeaserCandidate, attach_teasers, normalize_title
from digest.config import Settings
from digest.ingest import SourceFailure, Spec, collect, describe
from digest.links import canonical_url
from digest.models import Article, Digest, Story
from digest.sanitize import safe_url
from digest.storage.archive import Archive, RelatedCandidate
from digest.summarize import summarize

# progress(stage, done, total): stage is "sources" or "summaries"
Progress = Callable[[str, int, int], None]


@dataclass
class BuildResult:
    digest: Digest
    failures: list[SourceFailure] = field(default_factory=list)
    # archive ids of the stories, in story order (empty when built without an archive)
    article_ids: list[int] = field(default_factory=list)
    # stories that were read but left out because an earlier sent digest carried them
    already_sent: int = 0


def digest_date(settings: Settings, now: datetime | None = None) -> date:
    """Today in the configured time zone (a digest built at 23:30 UTC may be tomorrow's)."""
    zone = ZoneInfo(settings.digest.timezone)
    return (now.astimezone(zone) if now else datetime.now(zone)).date()


def failure_text(failure: SourceFailure) -> str:
    """'source: error', without repeating the source when the error already names it."""
    if failure.error.startswith(failure.source):
        return failure.error
    return f"{failure.source}: {failure.error}"


def _dedupe(articles: Iterable[Article]) -> tuple[list[Article], list[str]]:
    kept: list[Article] = []
    warnings: list[str] = []
    seen_urls: dict[str, Article] = {}
    seen_titles: dict[str, Article] = {}
    for article in articles:
        url = safe_url(article.url)
        key_url = canonical_url(url) if url else None
        key_title = normalize_title(article.title)
        first = (seen_urls.get(key_url) if key_url else None) or (seen_titles.get(key_title) if key_title else None)
        if first is not None:
            warnings.append(f'{article.source}: skipped a repeat of "{first.title}" (already from {first.source})')
            continue
        if key_url:
            seen_urls[key_url] = article
        if key_title:
            seen_titles[key_title] = article
        kept.append(article)
    return kept, warnings


def build_digest(
    settings: Settings,
    sources: Sequence[Spec] | None = None,
    *,
    today: date | None = None,
    edition: str | None = None,
    extra_teaser_candidates: Iterable[TeaserCandidate | Article] = (),
    progress: Progress | None = None,
    archive: Archive | None = None,
    only_new: bool = False,
) -> BuildResult:
    """Read, summarize and order the stories of one digest; attach their teasers.

    With an ``archive``, every article read is stored (deduplicated across sources and runs)
    and the archive's similar recent stories become teaser candidates. ``only_new`` keeps only
    articles no sent digest has carried, adding those ingested earlier (``digest ingest``) and
    not yet sent, first seen within ``[digest] new_within_days``.
    """
    specs = list(sources) if sources else list(settings.sources)
    done = 0

    def source_done(spec: Spec, count: int) -> None:
        nonlocal done
        done += 1
        if progress:
            progress("sources", done, len(specs))

    collected = collect(specs, settings, on_done=source_done)
    failures = list(collected.failures)
    warnings = [f"source failed: {failure_text(f)}" for f in failures]

    articles, repeat_warnings = _dedupe(collected.articles)
    warnings += repeat_warnings
    ids: list[int] = []
    already_sent = 0
    if archive is not None:
        articles, ids, already_sent = _through_archive(archive, articles, settings, only_new)
    arranged = arrange(articles, settings)
    warnings += arranged.warnings
    articles = [articles[i] for i in arranged.order]
    ids = [ids[i] for i in arranged.order] if ids else ids
    section_of = arranged.sections
    limit = settings.digest.max_stories
    if len(articles) > limit:
        warnings.append(
            f"{len(articles)} stories found, kept the first {limit} ([digest] max_stories); "
            f"left out: {', '.join(repr(a.title) for a in articles[limit : limit + 3])}"
            + (" ..." if len(articles) > limit + 3 else "")
        )
        articles = articles[:limit]
        ids = ids[:limit]

    stories: list[Story] = []
    story_ids: list[int] = []
    for i, article in enumerate(articles, start=1):
        try:
            summary = summarize(article, settings.summary)
        except Exception as exc:  # noqa: BLE001 - one bad article must never sink the digest
            failures.append(SourceFailure(article.source, f'cannot summarize "{article.title}": {exc}'))
            warnings.append(f"story skipped: {describe(article.source)}: cannot summarize: {exc}")
        else:
            if not summary.lede.strip():
                warnings.append(f'{article.source}: "{article.title}" has no lede (empty text?)')
            stories.append(Story(article=article, summary=summary, section=section_of[i - 1]))
            if ids:
                story_ids.append(ids[i - 1])
        if progress:
            progress("summaries", i, len(articles))

    candidates = list(extra_teaser_candidates)
    if archive is not None and settings.email.max_teasers and settings.archive.related_days:
        candidates += _archive_candidates(archive, stories, story_ids, settings)
    attach_teasers(stories, settings, candidates)
    day = today or digest_date(settings)
    digest = Digest(
        title=settings.digest.title,
        date=day,
        stories=stories,
        intro=settings.digest.intro,
        edition=edition or day.isoformat(),
        warnings=warnings,
    )
    return BuildResult(digest=digest, failures=failures, article_ids=story_ids, already_sent=already_sent)


def _through_archive(
    archive: Archive, articles: list[Article], settings: Settings, only_new: bool
) -> tuple[list[Article], list[int], int]:
    """Store what was read; with only_new, keep the unsent ones plus earlier unsent arrivals."""
    stored = archive.store(articles)
    ids = [s.id for s in stored]
    if not only_new:
        return articles, ids, 0
    fresh = set(archive.unsent(ids))
    kept = [(a, i) for a, i in zip(articles, ids, strict=True) if i in fresh]
    already_sent = len(articles) - len(kept)
    have = {i for _, i in kept}
    earlier = archive.new_since_last_sent(max_age_days=settings.digest.new_within_days)
    kept += [(e.article, e.id) for e in reversed(earlier) if e.id not in have]
    return [a for a, _ in kept], [i for _, i in kept], already_sent


def _archive_candidates(
    archive: Archive, stories: list[Story], story_ids: list[int], settings: Settings
) -> list[TeaserCandidate]:
    """Similar stories from the archive's last ``related_days`` (not this digest's own)."""
    own = set(story_ids)
    ids: list[int | None] = list(story_ids) if len(story_ids) == len(stories) else [None] * len(stories)
    per_story = archive.related_to_each(
        [s.article for s in stories], limit=settings.email.max_teasers, ids=ids, exclude=own
    )
    chosen: dict[int, RelatedCandidate] = {}
    for found in per_story:
        for cand in found:
            chosen.setdefault(cand.article_id, cand)
    texts = {a.id: a.article.text for a in archive.articles(list(chosen))}
    return [
        TeaserCandidate(title=c.title, url=c.url, text=texts.get(c.article_id, ""), origin="archive")
        for c in chosen.values()
    ]
