"""How much site chrome does our scraped-text cleaner remove?

For every page in an article-extraction-benchmark style folder (``*.html`` plus
``ground-truth.json`` mapping ``key -> {url, articleBody}``), the page is turned into
whole-page text with inscriptis (what a scraper that keeps everything would give us),
then scored three ways against ``articleBody``:

  raw         the whole-page text, no cleaning (the floor)
  cleaner     digest's general scraped-text cleaner on that text (``clean_scraped_text``)
  trafilatura trafilatura on the HTML itself (it sees the DOM: the ceiling)

Whole-page text comes from inscriptis and, when installed (the [test] extra), from
html2text with its default settings (Markdown, lines wrapped at 78 columns).

The metric is the article-extraction-benchmark's (scrapinghub/article-extraction-benchmark,
evaluate.py): tokens are ``\\w+`` runs, 4-token shingles are counted as multisets, each
page's TP/FP/FN are normalised to sum 1, precision and recall are averaged over pages and
F1 is their harmonic mean. Per-page F1 is shown too.

    python bench/clean_quality.py [FOLDER]   # default: ../shared/data/html-articles if present,
                                             # else the 3 pages in tests/data/html-articles
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

ROOT = Path(__file__).resolve().parents[1]
# The shared dev set next to the project, else the three pages copied into tests/data.
CANDIDATES = (ROOT.parent / "shared" / "data" / "html-articles", ROOT / "tests" / "data" / "html-articles")
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


def whole_page_texts(html: str) -> dict[str, str]:
    """Whole-page text as a scraper would keep it: inscriptis, and html2text if installed."""
    out = {"inscriptis": get_text(html)}
    try:
        import html2text
    except ImportError:
        return out
    out["html2text"] = html2text.html2text(html)  # default settings: Markdown, wrapped at 78
    return out


def main(folder: Path) -> None:
    truth = json.loads((folder / "ground-truth.json").read_text(encoding="utf-8"))
    rows: dict[str, list[TpFpFn]] = {}
    seconds: dict[str, float] = {}
    table: list[tuple[str, dict[str, float], str]] = []
    for key in sorted(truth):
        path = folder / f"{key}.html"
        if not path.is_file():
            continue
        html = decode_bytes(path.read_bytes(), str(path))
        gold = truth[key].get("articleBody", "")
        outputs: dict[str, str] = {}
        for converter, page_text in whole_page_texts(html).items():
            outputs[f"raw/{converter}"] = page_text
            t0 = time.perf_counter()
            outputs[f"cleaner/{converter}"] = clean_scraped_text(page_text, has_title=False).body
            seconds[f"cleaner/{converter}"] = seconds.get(f"cleaner/{converter}", 0.0) + time.perf_counter() - t0
        t0 = time.perf_counter()
        outputs["trafilatura"] = trafilatura.extract(html) or ""
        seconds["trafilatura"] = seconds.get("trafilatura", 0.0) + time.perf_counter() - t0
        scores = {}
        for method, text in outputs.items():
            row = shingle_matching(gold, text)
            rows.setdefault(method, []).append(row)
            scores[method] = page_f1(row)
        table.append((key, scores, truth[key].get("url", "")))
    methods = list(rows)
    short = {
        m: m.replace("inscriptis", "insc").replace("html2text", "h2t").replace("trafilatura", "trafil.")
        for m in methods
    }
    print("per-page F1 (4-token shingles)")
    print(f"{'page':<14}" + "".join(f"{short[m]:>14}" for m in methods) + "   url")
    for key, scores, url in table:
        print(f"{key:<14}" + "".join(f"{scores[m]:>14.3f}" for m in methods) + f"   {url[:50]}")
    n = len(table)
    print(f"\n{n} pages; benchmark aggregation (mean precision, mean recall, F1 of the two):")
    for m in methods:
        p, r, f = metrics(rows[m])
        timing = f"{seconds[m] / n * 1000:6.1f} ms/page" if m in seconds and n else ""
        print(f"  {m:<22} precision={p:.3f} recall={r:.3f} F1={f:.3f}   {timing}")
    for converter in [m.split("/", 1)[1] for m in methods if m.startswith("raw/")]:
        raw_f1, clean_f1 = metrics(rows[f"raw/{converter}"])[2], metrics(rows[f"cleaner/{converter}"])[2]
        print(
            f"  cleaner vs raw on {converter} text: F1 {clean_f1:.3f} vs {raw_f1:.3f} "
            f"({clean_f1 - raw_f1:+.3f}); target >= 0.80"
        )


if __name__ == "__main__":
    if len(sys.argv) > 1:
        chosen = Path(sys.argv[1])
    else:
        chosen = next((c for c in CANDIDATES if (c / "ground-truth.json").is_file()), CANDIDATES[0])
    if not (chosen / "ground-truth.json").is_file():
        sys.exit(f"{chosen}: no ground-truth.json here (give a folder of *.html + ground-truth.json)")
    print(f"pages from {chosen}")
    main(chosen)
