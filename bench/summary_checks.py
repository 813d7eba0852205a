"""Flags ledes and key points an editor could not paste as they are, over every dev set.

Usage: python bench/summary_checks.py [--data DIR] [--show]

Kinds of flag (each point can get several):
- caption: a photo caption, credit or picture description ("(left), 43, has ...",
  "pictured with ...", "this the bacteria found on ...", "Photo: ...");
- dangling: opens by leaning on the sentence before ("And ...", "But ...", "However, ...",
  "He said ...", "They ...");
- fragment: not a whole sentence (no end mark, under six words, unbalanced brackets or
  quotes, opens mid-sentence);
- repeat: says nearly what the lede or an earlier point says.

These checks are written here on purpose and import nothing from digest.summarize but the
summarizer itself: the picking code has its own filters, and a bench that reused them
would only confirm itself. The target is 0 flags of every kind.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from digest.config import Settings  # noqa: E402
from digest.ingest.files import articles_from_text  # noqa: E402
from digest.summarize import summarize  # noqa: E402

SHARED = ROOT.parent.parent / "shared" / "data"
if not SHARED.exists():
    SHARED = Path("/work/shared/data")

KINDS = ("caption", "dangling", "fragment", "repeat")

CAPTION = re.compile(
    r"\((?:left|right|centre|center|top|bottom|above|below|pictured|inset|file|l|r|far left|far right|"
    r"second left|second right|front|back)\)"
    r"|\b(?:is|are|was|were)\s+pictured\b|\b(?:seen|shown|pictured)\s+(?:here|above|below)\b"
    r"|^\s*(?:pictured|above|below|left|right|top|bottom|inset|main picture|main image)\s*[:,-]"
    r"|^\s*(?:photo|photograph|picture|image|credit|caption|video|file photo|source)\s*[:|]"
    r"|\b(?:getty images|ap photo|afp photo|reuters/|rex features|shutterstock|press association|pa wire)\b"
    r"|^\s*(?:this|these|here)\s+(?:the|a|an|is the picture|is a picture|photo|picture|image)\b"
    r"|\bin this (?:photo|picture|image|handout|file photo)\b|\b(?:photo|picture|image) (?:shows|taken)\b",
    re.IGNORECASE,
)
DANGLING_WORDS = (
    "and but or nor so yet also however though although meanwhile moreover furthermore besides instead "
    "therefore thus hence still then otherwise nevertheless nonetheless consequently likewise similarly "
    "additionally indeed anyway plus"
)
DANGLING_START = re.compile(r"^[\"'‘“(]*(?:" + "|".join(DANGLING_WORDS.split()) + r")\b", re.IGNORECASE)
PRONOUN_START = re.compile(
    r"^[\"'‘“(]*(?:he|she|they|him|her|his|hers|their|theirs|them|it|its|this|these|those|that|such)\b"
    r"(?!\s+(?:year|week|month|season|summer|winter|spring|autumn|fall|morning|afternoon|evening|time|is\s+(?:the|a|an)\b))",
    re.IGNORECASE,
)
WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
END = re.compile(r"[.!?…][\"'’”)\]»]*$")
STOP_TEXT = (
    "the a an and or but of to in on at for with by from as is are was were be been has have had it its "
    "this that these those he she they his her their said says will would not no"
)
STOP = frozenset(STOP_TEXT.split())


def words(text: str) -> list[str]:
    return WORD.findall(text)


def is_caption(point: str) -> bool:
    return bool(CAPTION.search(point))


def is_dangling(point: str) -> bool:
    return bool(DANGLING_START.search(point) or PRONOUN_START.search(point))


def is_fragment(point: str, mixed_case: bool) -> bool:
    text = point.strip()
    if len(words(text)) < 6 or not END.search(text):
        return True
    if text.count("(") != text.count(")") or text.count("“") != text.count("”"):
        return True
    if text.count('"') % 2:
        return True
    first = text.lstrip("\"'‘“(")[:1]
    if first in ",;:)]-–—":
        return True
    return mixed_case and first.islower()


def stems(text: str) -> set[str]:
    return {w.lower()[:6] for w in words(text) if w.lower() not in STOP}


def is_repeat(point: str, earlier: list[str]) -> bool:
    mine = stems(point)
    if not mine:
        return False
    for other in earlier:
        theirs = stems(other)
        if theirs and len(mine & theirs) / min(len(mine), len(theirs)) >= 0.7:
            return True
    return False


def flags(lede: str, points: list[str], mixed_case: bool) -> Iterator[tuple[str, str]]:
    """(kind, text) for every flagged lede or point."""
    if is_caption(lede):
        yield "caption", lede
    if is_fragment(lede, mixed_case):
        yield "fragment", lede
    earlier = [lede]
    for point in points:
        if is_caption(point):
            yield "caption", point
        if is_dangling(point):
            yield "dangling", point
        if is_fragment(point, mixed_case):
            yield "fragment", point
        if is_repeat(point, earlier):
            yield "repeat", point
        earlier.append(point)


def dev_sets(data: Path) -> Iterator[tuple[str, list[tuple[str, str, str]]]]:
    """(set name, [(id, input text, format)]) for every dev set in the shared data."""
    rows = []
    for line in (data / "cnndm-dev" / "cnndm-dev.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            rows.append((row["id"], row["text"], "plain"))
    yield "cnndm-dev", rows
    bbc = []
    for path in sorted((data / "bbc-news-summary").glob("article/*/*.txt")):
        bbc.append((f"{path.parent.name}/{path.stem}", path.read_bytes().decode("utf-8", "replace"), "txt"))
    yield "bbc-news-summary", bbc
    pages = [
        (p.stem, p.read_text(encoding="utf-8", errors="replace"), "html")
        for p in sorted(data.glob("html-articles/*.html"))
    ]
    yield "html-articles", pages
    yield "seed", [(p.stem, p.read_text(encoding="utf-8"), "txt") for p in sorted(data.glob("seed/*.txt"))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=SHARED)
    parser.add_argument("--show", action="store_true", help="print every flagged point")
    args = parser.parse_args()
    settings = Settings()
    total: Counter[str] = Counter()
    print(f"{'set':<18} {'articles':>8} {'points':>7} " + " ".join(f"{k:>9}" for k in KINDS))
    for name, rows in dev_sets(args.data):
        counts: Counter[str] = Counter()
        n_points = 0
        for item_id, text, fmt in rows:
            for article in articles_from_text(text, item_id, settings, fmt=fmt):
                summary = summarize(article, settings.summary)
                n_points += 1 + len(summary.key_points)
                letters = [c for c in article.text[:3000] if c.isalpha()]
                mixed_case = sum(c.isupper() for c in letters) > 0.01 * max(len(letters), 1)
                for kind, point in flags(summary.lede, summary.key_points, mixed_case):
                    counts[kind] += 1
                    if args.show:
                        print(f"  {kind:<9} {name}/{item_id}: {point[:160]}")
        total.update(counts)
        print(f"{name:<18} {len(rows):>8} {n_points:>7} " + " ".join(f"{counts[k]:>9}" for k in KINDS))
    print(f"{'total':<18} {'':>8} {'':>7} " + " ".join(f"{total[k]:>9}" for k in KINDS))
    print(f"flagged: {sum(total.values())} (target 0)")


if __name__ == "__main__":
    main()
