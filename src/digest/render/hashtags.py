"""Hashtags from an article's key terms: the names it is about, written like #NorthKorea.

Names (runs of capitalized words such as "North Korea", "Antony Blinken") are scored by how
often the title, lede and key points mention them, the title counting double; a bare surname
("Blinken") counts for the full name it belongs to. Words capitalized only because they start a
sentence do not count. Lowercased text (no names to find) falls back to the most frequent
content words. The editor's fixed list ([social] hashtags) always comes first.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from functools import cache
from importlib import resources

import regex

_WORD = regex.compile(r"[\p{L}\p{M}][\p{L}\p{M}\p{Nd}'’\-]*|\p{Nd}+|[.!?;:]+|[\"“”(),]")
_BREAKS = frozenset('.!?;:"“”(),')
_OPENERS = frozenset('.!?"“(')
_LOWER_WORD = regex.compile(r"[\p{L}\p{M}][\p{L}\p{M}\p{Nd}'’\-]{3,}")
_TERM_SPLIT = regex.compile(r"[\s\-]+")
_TAG_CHARS = regex.compile(r"[^\p{L}\p{M}\p{Nd}_]+")
_HAS_LETTER = regex.compile(r"\p{L}")
MAX_TAG_LENGTH = 30

# Words that precede a name without being part of it ("US Secretary of State Antony Blinken").
_ROLES = frozenset(
    {
        "mr",
        "mrs",
        "ms",
        "dr",
        "sir",
        "dame",
        "lord",
        "lady",
        "president",
        "vice",
        "prime",
        "minister",
        "secretary",
        "state",
        "chancellor",
        "senator",
        "governor",
        "mayor",
        "judge",
        "justice",
        "general",
        "gen",
        "col",
        "captain",
        "king",
        "queen",
        "prince",
        "princess",
        "pope",
        "chairman",
        "chairwoman",
        "chair",
        "ceo",
        "director",
        "spokesman",
        "spokeswoman",
        "leader",
        "officials",
        "official",
        "former",
        "said",
        "says",
        "according",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    }
)


@cache
def stop_words() -> frozenset[str]:
    try:  # sumy's English list, read directly: importing sumy.utils pulls in requests (0.5 s)
        data = (resources.files("sumy") / "data" / "stopwords" / "english.txt").read_text(encoding="utf-8")
        words = {w.strip().lower() for w in data.split() if w.strip()}
    except (OSError, ModuleNotFoundError):  # stop words refine the choice; never a reason to fail
        words = set()
    return frozenset(words | {"the", "a", "an", "and", "or", "of", "in", "on", "to", "for", "with", "by"})


def _clean_token(token: str) -> str:
    for suffix in ("’s", "'s", "’", "'"):
        if token.endswith(suffix):
            token = token[: -len(suffix)]
    return token.strip("-")


def _is_capitalized(token: str) -> bool:
    return token[:1].isupper()


def _names(text: str) -> Iterable[tuple[tuple[str, ...], bool]]:
    """Runs of capitalized words, split at stop words and roles; flag: run starts a sentence."""
    stops = stop_words()
    run: list[str] = []
    run_at_start = False
    at_start = True
    for raw in _WORD.findall(text):
        first = raw[0]
        if first in _BREAKS:
            if run:
                yield tuple(run), run_at_start
            run = []
            at_start = first in _OPENERS
            continue
        if not first.isupper():  # the common case, kept cheap: a lowercase word ends any run
            if run:
                yield tuple(run), run_at_start
                run = []
            at_start = False
            continue
        token = _clean_token(raw)
        lower = token.lower()
        acronym = len(token) > 1 and token.isupper()
        if token and _is_capitalized(token) and (acronym or (lower not in stops and lower not in _ROLES)):
            if not run:
                run_at_start = at_start
            run.append(token)
            if token != raw and raw.endswith(("s", "’", "'")):  # possessive ends the name
                yield tuple(run), run_at_start
                run = []
        else:
            if run:
                yield tuple(run), run_at_start
            run = []
        at_start = False
    if run:
        yield tuple(run), run_at_start


def to_hashtag(term: str) -> str | None:
    """ "North Korea" -> "#NorthKorea"; None for terms that make no usable tag (digits only...)."""
    words = [w for w in _TERM_SPLIT.split(term.strip().lstrip("#")) if w]
    joined = "".join(w[:1].upper() + w[1:] if not w[:1].isupper() else w for w in words)
    tag = _TAG_CHARS.sub("", joined)
    if not tag or not _HAS_LETTER.search(tag) or len(tag) > MAX_TAG_LENGTH:
        return None
    return "#" + tag


def _name_scores(sources: Sequence[tuple[str, int]]) -> Counter[tuple[str, ...]]:
    scores: Counter[tuple[str, ...]] = Counter()
    mid_sentence: set[tuple[str, ...]] = set()
    first_seen: dict[tuple[str, ...], int] = {}
    order = 0
    for text, weight in sources:
        for run, at_start in _names(text):
            run = run[:3] if len(run) <= 3 else run[-3:]
            scores[run] += weight
            if not at_start or len(run) > 1:
                mid_sentence.add(run)
            first_seen.setdefault(run, order)
            order += 1
    # A lone word that also ends (or starts) a longer name counts for that name: Blinken -> Antony Blinken.
    for run in [r for r in scores if len(r) == 1]:
        longer = [r for r in scores if len(r) > 1 and (r[-1] == run[0] or r[0] == run[0])]
        if longer:
            best = max(longer, key=lambda r: (scores[r], -first_seen[r]))
            scores[best] += scores.pop(run)
            mid_sentence.discard(run)
    for run in list(scores):
        if run not in mid_sentence and scores[run] < 3:
            del scores[run]
    return Counter({r: int(s * (1 + 0.25 * (len(r) - 1)) * 1000) - first_seen[r] for r, s in scores.items()})


def _frequent_words(sources: Sequence[tuple[str, int]]) -> Counter[tuple[str, ...]]:
    stops = stop_words()
    counts: Counter[tuple[str, ...]] = Counter()
    seen: Counter[tuple[str, ...]] = Counter()
    for text, weight in sources:
        for raw in _LOWER_WORD.findall(text.lower()):
            word = _clean_token(raw) if raw[-1] in "s’'-" else raw
            if len(word) >= 4 and word not in stops and word not in _ROLES:
                counts[(word,)] += weight
                seen[(word,)] += 1
    return Counter({w: c for w, c in counts.items() if seen[w] >= 2})  # said once is not a key term


def derive_hashtags(
    title: str,
    lede: str = "",
    points: Sequence[str] = (),
    fixed: Sequence[str] = (),
    limit: int = 2,
) -> list[str]:
    """Up to ``limit`` hashtags: the fixed ones first, then the article's key names."""
    tags: list[str] = []
    seen: set[str] = set()

    def add(tag: str | None) -> None:
        if tag and tag.lower() not in seen and len(tags) < limit:
            tags.append(tag)
            seen.add(tag.lower())

    for term in fixed:
        add(to_hashtag(term))
    if len(tags) >= limit:
        return tags
    sources = [(title, 2), (lede, 1), *((p, 1) for p in points)]
    ranked = _name_scores(sources) or _frequent_words(sources)
    for run, _ in ranked.most_common():
        add(to_hashtag(" ".join(run)))
    return tags
