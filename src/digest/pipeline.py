"""STUB (owned by the email work of issue 3): sources -> articles -> stories -> Digest.

Stable contract: ``build_digest(settings, sources=None, *, today=None, edition=None)
-> BuildResult`` where ``BuildResult.digest`` is the Digest and ``BuildResult.failures`` the
sources that failed (reported, never fatal).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from digest.config import Settings
from digest.ingest import SourceFailure, Spec, collect
from digest.models import Digest, Story
from digest.summarize import summarize


@dataclass
class BuildResult:
    digest: Digest
    failures: list[SourceFailure] = field(default_factory=list)


def build_digest(
    settings: Settings,
    sources: Sequence[Spec] | None = None,
    *,
    today: date | None = None,
    edition: str | None = None,
) -> BuildResult:
    specs = list(sources) if sources else list(settings.sources)
    collected = collect(specs, settings)
    stories = [Story(article=a, summary=summarize(a, settings.summary)) for a in collected.articles]
    day = today or datetime.now(ZoneInfo(settings.digest.timezone)).date()
    digest = Digest(
        title=settings.digest.title,
        date=day,
        stories=stories[: settings.digest.max_stories],
        intro=settings.digest.intro,
        edition=edition or day.isoformat(),
    )
    return BuildResult(digest=digest, failures=collected.failures)
