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

from digest.config import Settings
from digest.ingest import SourceFailure, Spec, collect, describe
from digest.links import canonical_url
from digest.models import Article, Digest, Story
from digest.related import TeaserCandidate, attach_teasers, normalize_title
from digest.render.sanitize import safe_url
from digest.summarize import summarize

# progress(stage, done, total): stage is "sources" or "summaries"
Progress = Callable[[str, int, int], None]


@dataclass
class BuildResult:
    digest: Digest
    failures: list[SourceFailure] = field(default_factory=list)


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
) -> BuildResult:
    """Read, summarize and order the stories of one digest; attach their teasers."""
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
    limit = settings.digest.max_stories
    if len(articles) > limit:
        warnings.append(
            f"{len(articles)} stories found, kept the first {limit} ([digest] max_stories); "
            f"left out: {', '.join(repr(a.title) for a in articles[limit : limit + 3])}"
            + (" ..." if len(articles) > limit + 3 else "")
        )
        articles = articles[:limit]

    stories: list[Story] = []
    for i, article in enumerate(articles, start=1):
        try:
            summary = summarize(article, settings.summary)
        except Exception as exc:  # noqa: BLE001 - one bad article must never sink the digest
            failures.append(SourceFailure(article.source, f'cannot summarize "{article.title}": {exc}'))
            warnings.append(f"story skipped: {describe(article.source)}: cannot summarize: {exc}")
        else:
            if not summary.lede.strip():
                warnings.append(f'{article.source}: "{article.title}" has no lede (empty text?)')
            stories.append(Story(article=article, summary=summary))
        if progress:
            progress("summaries", i, len(articles))

    attach_teasers(stories, settings, extra_teaser_candidates)
    day = today or digest_date(settings)
    digest = Digest(
        title=settings.digest.title,
        date=day,
        stories=stories,
        intro=settings.digest.intro,
        edition=edition or day.isoformat(),
        warnings=warnings,
    )
    return BuildResult(digest=digest, failures=failures)
