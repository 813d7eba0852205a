"""STUB (owned by the summarizer work of issue 2): replace with the real summarizer.

Public API (stable): ``summarize(article, settings=None, points=None) -> Summary``.
"""

from __future__ import annotations

import re

from digest.config import SummarySettings
from digest.models import Article, Summary


def summarize(article: Article, settings: SummarySettings | None = None, points: int | None = None) -> Summary:
    settings = settings or SummarySettings()
    n = settings.points if points is None else points
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", article.text.strip()) if s]
    if not sentences:
        return Summary(lede=article.title, key_points=[])
    return Summary(lede=sentences[0], key_points=sentences[1 : 1 + n])
