"""Pick the lede and the key points from an article's sentences.

News is written lead-first, so position is the strongest single signal (Lead-3 beats every
plain sumy ranker on CNN/DailyMail); centrality from sumy catches the sentences a later
paragraph makes central. Each candidate gets

    score = (centrality + position_weight * position) * length

where ``centrality`` is the sentence's rank under the chosen sumy ranker scaled to 0..1,
``position`` is 1 / (1 + k / position_scale) for the k-th sentence after the lede, and
``length`` is 1 for sentences of a comfortable length and falls off for fragments and
run-ons (an editor prefers concise points). Points are then taken best-first, skipping any
whose content words overlap the lede or an earlier point by more than ``redundancy``
(Jaccard), and returned in document order.

A sentence that leans on the one before it ("And ...", "She said ...") is never a point, yet
it is ranked like the others: it is part of the article, and leaving it out would move every
later sentence up the position prior. When it follows the lede and scores well enough to
have been a point, it joins the lede: that is the one place it can be read as written.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from digest.summarize.chrome import ends_like_sentence, is_chrome, is_real_sentence, strip_source_tag
from digest.summarize.language import Language
from digest.summarize.rank import cached_stemmer, rate_sentences
from digest.summarize.sentences import Sentence, words
from digest.summarize.standalone import is_caption, is_fragment, leans_on_previous, stands_alone

# A lede of last resort (no real sentence anywhere) must still read as one line.
MAX_FALLBACK_WORDS = 60
_QUESTION = re.compile(r"\?[\"'’”)\]»]*$")
_QUOTE_CHARS = "\"'“”‘’«»"


@dataclass(frozen=True)
class Selection:
    """Chosen key points (sentence indices, document order) and how many were ranked."""

    indices: list[int]  # first sentence of each point
    ranked: int  # sentences the sumy ranker saw (lede included), <= max_sentences
    lede_last: int | None = None  # last sentence of the lede when the next one joins it


@dataclass(frozen=True)
class Weights:
    """Knobs of the hybrid score; defaults come from SummarySettings."""

    position_weight: float = 3.0
    position_scale: float = 3.0
    redundancy: float = 0.5
    min_words: int = 6
    ideal_max_words: int = 35
    max_sentences: int = 150


def content_words(sentence: str, language: Language) -> frozenset[str]:
    """Stemmed, lower-cased words that are not stop words: what "saying the same" means."""
    stem = cached_stemmer(language)
    return frozenset(stem(w) for w in (t.lower() for t in words(sentence)) if w not in language.stop_words)


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def containment(a: frozenset[str], b: frozenset[str]) -> float:
    """Share of the smaller set found in the other: a short point inside a long one repeats it."""
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))


def length_factor(n_words: int, w: Weights) -> float:
    """1 for a concise sentence; fragments and run-ons lose weight smoothly."""
    if n_words < w.min_words:
        return 0.0
    if n_words < 10:
        return 0.6 + 0.4 * (n_words - w.min_words) / max(10 - w.min_words, 1)
    if n_words > w.ideal_max_words:
        return float((w.ideal_max_words / n_words) ** 1.5)
    return 1.0


def _style_factor(text: str) -> float:
    """Questions and sentences that are only a quotation make weaker stand-alone points."""
    factor = 1.0
    if _QUESTION.search(text):
        factor *= 0.5
    stripped = text.strip()
    if stripped[:1] in _QUOTE_CHARS and stripped.rstrip(".!?…")[-1:] in _QUOTE_CHARS:
        factor *= 0.8
    return factor


def choose_lede(sentences: Sequence[Sentence], title: str | None = None) -> int | None:
    """Index of the opening sentence, skipping chrome; None when there is no sentence."""
    if not sentences:
        return None
    all_caps = _mostly_upper(" ".join(s.text for s in sentences[:20]))
    norm_title = _normalize(title) if title else None
    for s in sentences:
        if norm_title and _normalize(s.text) == norm_title:
            continue  # the headline repeated at the top of the body
        if is_real_sentence(s.text, all_caps_text=all_caps) and not is_caption(s.text):
            return s.index
    # No sentence passes: fall back to the first complete one, then to the first at all.
    for s in sentences:
        if ends_like_sentence(s.text) and len(words(s.text)) >= 3 and not is_chrome(s.text, all_caps_text=all_caps):
            return s.index
    for s in sentences:
        if not is_chrome(s.text, all_caps_text=all_caps):
            return s.index if len(words(s.text)) <= MAX_FALLBACK_WORDS else None
    return None  # nothing but chrome or unpunctuated walls of text


def choose_points(
    sentences: Sequence[Sentence],
    lede: int,
    points: int,
    language: Language,
    algorithm: str = "hybrid",
    weights: Weights = Weights(),
) -> Selection:
    """Up to ``points`` key sentences other than the lede, in document order; ``lede_last``
    is set when the sentence after the lede leans on it and would have made a point."""
    if points <= 0:
        return Selection([], 0)
    opening = " ".join(s.text for s in sentences[:20])
    all_caps = _mostly_upper(opening)
    mixed_case = _has_capitals(opening)
    lede_text = sentences[lede].text
    seen = {_normalize(lede_text)}
    # Candidates: complete, non-chrome sentences after the lede, each text once, capped.
    candidates: list[Sentence] = []
    leaning: set[int] = set()
    for s in sentences:
        if s.index <= lede:
            continue
        key = _normalize(s.text)
        if key in seen or not is_real_sentence(s.text, min_words=weights.min_words, all_caps_text=all_caps):
            continue
        if not stands_alone(s.text, mixed_case=mixed_case):
            if not _only_leans(s.text, mixed_case=mixed_case):
                continue  # a caption or a fragment
            leaning.add(s.index)
        seen.add(key)
        candidates.append(s)
        if len(candidates) >= weights.max_sentences - 1:
            break  # the O(n²) rankers see a bounded document; news puts its substance early
    if not candidates:
        return Selection([], 0)

    texts = [sentences[lede].text, *(s.text for s in candidates)]
    centrality = _centrality(texts, language, algorithm)[1:]
    scored: list[tuple[float, int]] = []
    for k, (s, c) in enumerate(zip(candidates, centrality, strict=True)):
        position = 1.0 / (1.0 + k / weights.position_scale)
        base = c + weights.position_weight * position if algorithm != "lead" else position
        score = base * length_factor(len(words(s.text)), weights) * _style_factor(s.text)
        scored.append((score, k))
    scored.sort(key=lambda item: (-item[0], item[1]))

    chosen: list[Sentence] = []
    joins_lede: Sentence | None = None  # scored high enough to have been a point
    taken = [content_words(strip_source_tag(lede_text), language)]
    for score, k in scored:
        if score <= 0 or len(chosen) >= points:
            break
        s = candidates[k]
        if s.index in leaning:
            joins_lede = s if s.index == lede + 1 else joins_lede
            continue
        cw = content_words(s.text, language)
        if any(_repeats(cw, other, weights) for other in taken):
            continue
        chosen.append(s)
        taken.append(cw)
    if joins_lede and any(_repeats(content_words(joins_lede.text, language), other, weights) for other in taken):
        joins_lede = None
    return Selection(sorted(s.index for s in chosen), len(texts), joins_lede.index if joins_lede else None)


def _repeats(cw: frozenset[str], other: frozenset[str], weights: Weights) -> bool:
    return jaccard(cw, other) > weights.redundancy or containment(cw, other) >= 0.6


def _only_leans(text: str, *, mixed_case: bool) -> bool:
    """Leans on the sentence before it but is otherwise a whole, caption-free sentence."""
    return leans_on_previous(text) and not is_caption(text) and not is_fragment(text, mixed_case=mixed_case)


def _centrality(texts: list[str], language: Language, algorithm: str) -> list[float]:
    """Rank-based 0..1 centrality (1 = most central); ranks make rankers comparable."""
    if algorithm == "lead":
        return [0.0] * len(texts)
    names = ("lexrank", "textrank") if algorithm == "hybrid" else (algorithm,)
    total = [0.0] * len(texts)
    for name in names:
        for i, r in enumerate(_ranks(rate_sentences(texts, language, name))):
            total[i] += r / len(names)
    return total


def _ranks(scores: Sequence[float]) -> list[float]:
    n = len(scores)
    if n <= 1:
        return [1.0] * n
    order = sorted(range(n), key=lambda i: (-scores[i], i))
    out = [0.0] * n
    for rank, i in enumerate(order):
        out[i] = 1.0 - rank / (n - 1)
    return out


def _normalize(text: str) -> str:
    return " ".join(t.lower() for t in words(text))


def _has_capitals(text: str) -> bool:
    """Text that uses capitals (lower-cased corpora do not): a lower-case opening is then a fragment."""
    letters = sum(map(str.isalpha, text))
    return letters > 0 and sum(map(str.isupper, text)) / letters > 0.01


def _mostly_upper(text: str) -> bool:
    letters = sum(map(str.isalpha, text))
    return letters > 0 and sum(map(str.isupper, text)) / letters > 0.8
