"""Lede + key points for one article, offline, on sumy with our own sentence tokenizer.

Stable API (other stages and scripts call these):

- ``summarize(article, settings=None, points=None) -> Summary``
- ``summarize_text(text, title=None, settings=None, points=None, language=None) -> Summary``

The lede is the article's opening sentence as written (minus a leading "(CNN) --" style
source tag), or the first real sentence when the opening is chrome; a next sentence that
leans on it ("And ...", "It ...") and is worth a point is kept with it. Key points are chosen
by `digest.summarize.select` (sumy centrality + position + length, redundancy removed) and
returned in document order.
"""

from __future__ import annotations

import sys
import types
from dataclasses import dataclass

from digest.config import SummarySettings
from digest.errors import InputError
from digest.models import Article, Summary
from digest.summarize.chrome import strip_source_tag
from digest.summarize.language import Language, resolve_language
from digest.summarize.select import Weights, choose_lede, choose_points
from digest.summarize.sentences import Sentence, clean_text, split_sentences

__all__ = ["Analysis", "analyze", "summarize", "summarize_text"]

# Extra sentences split beyond max_sentences, for chrome, fragments and duplicates that
# the candidate filter drops before ranking.
SPLIT_MARGIN = 30
# Only this much text per sentence that may be ranked is read: news sentences are far
# shorter, so this bounds the work on a 10 MB "article" without changing real ones.
SCAN_CHARS_PER_SENTENCE = 2000
# Without title or sentence, the opening text is shortened to this for a lede.
FALLBACK_CHARS = 300


@dataclass(frozen=True)
class Analysis:
    """What the summary was made from; useful for debugging and benchmarks."""

    summary: Summary
    sentences: list[Sentence]  # as split; stops a little past max_sentences on long text
    language: Language
    lede_index: int | None
    point_indices: list[int]
    ranked: int = 0  # sentences the sumy ranker saw; bounded by max_sentences


def weights_from(settings: SummarySettings) -> Weights:
    return Weights(
        position_weight=settings.position_weight,
        redundancy=settings.redundancy,
        max_sentences=settings.max_sentences,
    )


def analyze(
    text: str,
    title: str | None = None,
    settings: SummarySettings | None = None,
    points: int | None = None,
    language: str | None = None,
) -> Analysis:
    """Summarize and also return the sentences, language and chosen indices."""
    settings = settings or SummarySettings()
    n_points = settings.points if points is None else points
    if n_points < 0:
        raise ValueError(f"points must be >= 0, got {n_points}")
    limit = settings.max_sentences + SPLIT_MARGIN
    cleaned = clean_text((text or "")[: limit * SCAN_CHARS_PER_SENTENCE])
    requested = language or (settings.language if settings.language != "auto" else None)
    lang = resolve_language(cleaned, requested=requested)
    # Sentences past what the rankers may see are never candidates: do not split them.
    sentences = split_sentences(cleaned, lang.pysbd_code, limit=limit)
    title = (title or "").strip() or None
    if not sentences:
        if title:
            return Analysis(Summary(lede=title, key_points=[], language=lang.code), [], lang, None, [])
        raise InputError("nothing to summarize: the article has no text and no title")
    lede = choose_lede(sentences, title)
    if lede is None:  # only bylines, captions and labels: the headline says more
        if title:
            return Analysis(Summary(lede=title, key_points=[], language=lang.code), sentences, lang, None, [])
        first = sentences[0].text
        shortened = first if len(first) <= FALLBACK_CHARS else first[:FALLBACK_CHARS].rsplit(" ", 1)[0] + " …"
        return Analysis(Summary(lede=shortened, key_points=[], language=lang.code), sentences, lang, None, [])
    chosen = choose_points(sentences, lede, n_points, lang, settings.algorithm, weights_from(settings))
    lede_last = lede if chosen.lede_last is None else chosen.lede_last
    summary = Summary(
        lede=" ".join([strip_source_tag(sentences[lede].text), *(s.text for s in sentences[lede + 1 : lede_last + 1])]),
        key_points=[sentences[i].text for i in chosen.indices],
        language=lang.code,
    )
    return Analysis(summary, sentences, lang, lede, chosen.indices, chosen.ranked)


def summarize_text(
    text: str,
    title: str | None = None,
    settings: SummarySettings | None = None,
    points: int | None = None,
    language: str | None = None,
) -> Summary:
    """Summary of plain text; ``language`` (ISO code) overrides detection."""
    return analyze(text, title, settings, points, language).summary


def summarize(article: Article, settings: SummarySettings | None = None, points: int | None = None) -> Summary:
    """Summary of an ingested article; its metadata language is used when the config says auto."""
    settings = settings or SummarySettings()
    language = settings.language if settings.language != "auto" else article.language
    return summarize_text(article.text, article.title, settings, points, language)


class _CallablePackage(types.ModuleType):
    """``digest.summarize`` names both this package and the public function. Python binds the
    package to that attribute of ``digest`` once the package is imported, so the package
    itself answers a call the way the function does: ``digest.summarize(article)`` works
    whichever of the two the name holds."""

    def __call__(self, article: Article, settings: SummarySettings | None = None, points: int | None = None) -> Summary:
        return summarize(article, settings, points)


sys.modules[__name__].__class__ = _CallablePackage
