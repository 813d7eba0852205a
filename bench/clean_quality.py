"""How much site chrome does our scraped-text cleaner remove? (issue 2)

For every page in an article-extraction-benchmark style folder (``*.html`` plus
``ground-truth.json`` mapping ``key -> {url, articleBody}``), the page is turned into
whole-page text with inscriptis (what a scraper that keeps everything would give us),
then scored three ways against ``articleBody``:

  raw         the whole-page text, no cleaning (the floor)
  cleaner     digest's general scraped-text cleaner on that text (``clean_scraped_text``)
  trafilatura trafilatura on the HTML itself (it sees the DOM: the ceiling)

The metric is the article-extraction-benchmark's (scrapinghub/article-extraction-benchmark,
evaluate.py): tokens are ``\\w+`` runs, 4-token shingles are counted as multisets, each
page's TP/FP/FN are normalised to sum 1, precision and recall are averaged over pages and
F1 is their harmonic mean. Per-page F1 is shown too.

    python bench/clean_quality.py [FOLDER]   # default: ../shared/data/html-articles
"""

from __future__ import annotations

import json
import re
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

import trafilatura
from inscriptis import get_text

from digest.ingest.decode import decode_bytes
from digest.ingest.scraped_text import clean_scraped_text

DEFAULT = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "html-articles"
_TOKEN_RE = re.compile(r"\w+", re.UNICODE | re.MULTILINE | re.IGNORECASE | re.DOTALL)

TpFpFn = tuple[float, float, float]


def _shingles(text: str, n: int = 4) -> Counter[tuple[str, ...]]:
    tokens = _TOKEN_RE.findall(text or "")
    out: Counter[tuple[str, ...]] = Counter()
    for i in range(0, max(1, len(tokens) - n + 1)):
        shingle = tuple(tokens[i : i + n])
        if shingle:
            out[shingle] += 1
    return out


def shingle_matching(true: str, pred: str, n: int = 4) -> TpFpFn:
    """TP/FP/FN over 4-token shingles, normalised so long pages weigh no more than short ones."""
    t, p = _shingles(true, n), _shingles(pred, n)
    tp = fp = fn = 0.0
    for key in set(t) | set(p):
        tc, pc = t.get(key, 0), p.get(key, 0)
        tp += min(tc, pc)
        fp += max(0, pc - tc)
        fn += max(0, tc - pc)
    s = tp + fp + fn
    return (tp / s, fp / s, fn / s) if s > 0 else (tp, fp, fn)


def precision(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    if tp == fp == 0:
        return 0.0
    return tp / (tp + fp)


def recall(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    if tp == fn == 0:
        return 0.0
    return tp / (tp + fn)


def metrics(rows: list[TpFpFn]) -> tuple[float, float, float]:
    """(precision, recall, F1) exactly as the benchmark aggregates them."""
    p = statistics.mean([precision(*r) for r in rows if r[0] + r[1] > 0] or [0.0])
    r = statistics.mean([recall(*r) for r in rows if r[0] + r[2] > 0] or [0.0])
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def page_f1(row: TpFpFn) -> float:
    p, r = precision(*row), recall(*row)
    return 2 * p * r / (p + r) if p + r else 0.0


def main(folder: Path) -> None:
    truth = json.loads((folder / "ground-truth.json").read_text(encoding="utf-8"))
    methods = ("raw", "cleaner", "trafilatura")
    rows: dict[str, list[TpFpFn]] = {m: [] for m in methods}
    seconds = dict.fromkeys(methods, 0.0)
    print(f"{'page':<14}{'raw':>8}{'cleaner':>9}{'trafil.':>9}   url")
    for key in sorted(truth):
        path = folder / f"{key}.html"
        if not path.is_file():
            continue
        html = decode_bytes(path.read_bytes(), str(path))
        gold = truth[key].get("articleBody", "")
        page_text = get_text(html)
        t0 = time.perf_counter()
        cleaned = clean_scraped_text(page_text, has_title=False).body
        seconds["cleaner"] += time.perf_counter() - t0
        t0 = time.perf_counter()
        extracted = trafilatura.extract(html) or ""
        seconds["trafilatura"] += time.perf_counter() - t0
        outputs = (page_text, cleaned, extracted)
        scored = {m: shingle_matching(gold, txt) for m, txt in zip(methods, outputs, strict=True)}
        for m in methods:
            rows[m].append(scored[m])
        cells = "".join(f"{page_f1(scored[m]):>9.3f}" for m in methods)
        print(f"{key:<14}{cells[1:]}   {truth[key].get('url', '')[:60]}")
    n = len(rows["raw"])
    print(f"\n{n} pages; benchmark aggregation (mean precision, mean recall, F1 of the two):")
    for m in methods:
        p, r, f = metrics(rows[m])
        per_page = seconds[m] / n * 1000 if n else 0.0
        print(f"  {m:<12} precision={p:.3f} recall={r:.3f} F1={f:.3f}   {per_page:6.1f} ms/page")
    raw_f1, clean_f1 = metrics(rows["raw"])[2], metrics(rows["cleaner"])[2]
    print(f"  cleaner vs raw: F1 {clean_f1:.3f} vs {raw_f1:.3f} ({clean_f1 - raw_f1:+.3f}); target >= 0.80")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT)
