"""The related-story blocks of a scraped page ("More from ...", "Related", "Lesen Sie auch"):
their repeating layout (section label, image caption, headline) is found by trying group
sizes, and only the headlines are kept."""

from __future__ import annotations

from digest.ingest.chrome_patterns import TERMINAL
from digest.ingest.text_units import Unit
from digest.models import Related

# ------------------------------------------------------------------ related stories


def _headline_like(u: Unit) -> bool:
    return (
        u.words >= 3
        and not u.chrome
        and not u.meta
        and not u.related_header
        and not u.words > 30
        and not u.text.rstrip("\"'”’»)").endswith(".")  # headlines do not end in a full stop
        and not u.cookie
    )


def _label_like(u: Unit) -> bool:
    return u.words <= 6 and not TERMINAL.search(u.text) and not u.related_header


def parse_related(units: list[Unit], limit: int = 12) -> tuple[list[Related], int]:
    """Find the repeating layout of a related-stories block; return items and units used.

    A block lists stories as groups of k lines (k = 1..4: headline; label + headline;
    section + caption + headline; ...). For each k and each group position, count the
    groups whose line at that position reads like a headline while the other lines read
    like labels; the best layout wins. Position values that repeat (or are one or two
    words everywhere) are the section labels.
    """
    positions = [i for i, u in enumerate(units) if not u.text.strip().isdigit()]  # bare counters skipped
    items = [units[i] for i in positions]
    best: tuple[int, int, int, int, int] | None = None  # (groups, -k, offset, k, t)
    for k in (1, 2, 3, 4):
        for offset in range(0, min(k, 2)):
            for t in range(k):
                groups = 0
                i = offset
                while i + k <= len(items) and groups < limit:
                    group = items[i : i + k]
                    head = group[t]
                    others = [g for j, g in enumerate(group) if j != t]
                    if not _headline_like(head) or not all(_label_like(o) for o in others):
                        break
                    if others and head.words <= max(o.words for o in others) and "?" not in head.text:
                        break
                    groups += 1
                    i += k
                if groups >= 2 or (groups == 1 and k == 1):
                    cand = (groups * k, -offset, -k, k, t)
                    if best is None or cand > best:
                        best = cand
    if best is None:
        return [], 0
    _, neg_offset, _, k, t = best
    offset = -neg_offset
    n_groups = best[0] // k
    chosen = [items[offset + g * k : offset + (g + 1) * k] for g in range(n_groups)]
    section_pos = _section_position(chosen, k, t)
    related = []
    for group in chosen:
        head = group[t]
        section = group[section_pos].text if section_pos is not None else None
        related.append(Related(title=head.text, url=head.url, section=section))
    used_items = offset + n_groups * k
    # by position: equal units (a section label that repeats) must not match an earlier copy
    used = positions[used_items - 1] + 1 if used_items else 0
    return related, used


def _section_position(groups: list[list[Unit]], k: int, t: int) -> int | None:
    best, best_key = None, None
    for pos in range(k):
        if pos == t:
            continue
        values = [g[pos] for g in groups]
        if not all(v.words <= 3 and v.text[:1].isupper() for v in values):
            continue
        if any(v.meta for v in values):
            continue
        repeats = len(values) - len({v.text.casefold() for v in values})
        mean_words = sum(v.words for v in values) / len(values)
        if repeats == 0 and mean_words > 2:
            continue
        key = (repeats, -mean_words)
        if best_key is None or key > best_key:
            best, best_key = pos, key
    return best
