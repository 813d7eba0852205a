"""ROUGE of our summary (lede + first two key points) against Lead-3 and plain sumy.

Usage: python bench/summary_quality.py DATA [--limit N] [--split even|odd] [--algorithm A]
       [--position-weight W] [--redundancy R]

DATA is a JSONL file with one {"id", "text", "reference"[, "title"]} object per line
(CNN/DailyMail style; the reference's highlights are newline-separated), or a BBC News
Summary folder (article/<topic>/NNN.txt with the title on the first line, and
summary/<topic>/NNN.txt). Every system gets the SAME sentences from
digest's splitter (pysbd per paragraph), so only the choice of sentences differs. Scores
are ROUGE-1/2/L F1 x 100 (rouge-score, Porter stemming on), averaged over articles; the gain
of ours over Lead-3 gets a bootstrap 95% interval (articles resampled with replacement).
``--split`` keeps every other article (0, 2, 4, ... or 1, 3, 5, ...): a change that is real
should help on both halves, not only on the whole set it was tried on.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from rouge_score import rouge_scorer

from digest.config import SummarySettings
from digest.summarize import analyze
from digest.summarize.language import get_language
from digest.summarize.rank import make_document, make_summarizer
from digest.summarize.sentences import SentenceTokenizer

PLAIN = ["lexrank", "textrank", "lsa", "luhn", "sumbasic", "kl"]
NAMES = {"lexrank": "LexRank", "textrank": "TextRank", "lsa": "LSA", "luhn": "Luhn", "sumbasic": "SumBasic", "kl": "KL"}
KL_MAX_SENTENCES = 120  # KL is O(n^2 * vocab); past this it takes seconds per article


def load(path: Path, limit: int | None) -> list[dict]:
    if path.is_dir():
        rows = []
        for article in sorted(path.glob("article/*/*.txt")):
            raw = article.read_bytes().decode("utf-8", errors="replace")
            title, _, body = raw.partition("\n")
            reference = (path / "summary" / article.parent.name / article.name).read_bytes()
            rows.append(
                {
                    "id": f"{article.parent.name}/{article.stem}",
                    "title": title.strip(),
                    "text": body.strip(),
                    "reference": reference.decode("utf-8", errors="replace"),
                }
            )
    else:
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return rows[:limit] if limit else rows


def summaries(row: dict, settings: SummarySettings) -> dict[str, str | None]:
    """Three-sentence summary per system for one article."""
    analysis = analyze(row["text"], row.get("title"), settings)
    out: dict[str, str | None] = {}
    s = analysis.summary
    out["ours"] = "\n".join([s.lede, *s.key_points[:2]])
    texts = list(dict.fromkeys(x.text for x in analysis.sentences))  # sumy scores duplicates as one
    out["Lead-3"] = "\n".join(x.text for x in analysis.sentences[:3])
    language = get_language("en")
    tokenizer = SentenceTokenizer(language.sumy_name, language.pysbd_code)
    document = make_document(texts, tokenizer)
    for name in PLAIN:
        if name == "kl" and len(texts) > KL_MAX_SENTENCES:
            out[NAMES[name]] = None
            continue
        picked = make_summarizer(name, language, fast=False)(document, 3)
        out[NAMES[name]] = "\n".join(str(x) for x in picked)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("jsonl", type=Path)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--split", choices=("even", "odd"), default=None, help="every other article only")
    parser.add_argument("--algorithm", default=None, help="override [summary] algorithm")
    parser.add_argument("--position-weight", type=float, default=None)
    parser.add_argument("--redundancy", type=float, default=None)
    parser.add_argument("--resamples", type=int, default=10_000, help="bootstrap resamples for the gain's CI")
    args = parser.parse_args()

    settings = SummarySettings()
    if args.algorithm:
        settings = replace(settings, algorithm=args.algorithm)
    if args.position_weight is not None:
        settings = replace(settings, position_weight=args.position_weight)
    if args.redundancy is not None:
        settings = replace(settings, redundancy=args.redundancy)

    rows = load(args.jsonl, args.limit)
    if args.split:
        rows = rows[0 if args.split == "even" else 1 :: 2]
    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=True)
    totals: dict[str, list[float]] = {}
    counts: dict[str, int] = {}
    words: dict[str, int] = {}  # summary length, so a gain cannot hide behind longer summaries
    gains: list[tuple[float, float, float]] = []  # per article: ours - Lead-3 (R1, R2, RL)
    for row in rows:
        per_system: dict[str, list[float]] = {}
        for system, summary in summaries(row, settings).items():
            if summary is None:
                continue
            scores = scorer.score(row["reference"], summary)
            acc = totals.setdefault(system, [0.0, 0.0, 0.0])
            per_system[system] = [scores[k].fmeasure * 100 for k in ("rouge1", "rouge2", "rougeL")]
            for i, value in enumerate(per_system[system]):
                acc[i] += value
            counts[system] = counts.get(system, 0) + 1
            words[system] = words.get(system, 0) + len(summary.split())
        ours, lead = per_system["ours"], per_system["Lead-3"]
        gains.append((ours[0] - lead[0], ours[1] - lead[1], ours[2] - lead[2]))

    half = f" ({args.split} half)" if args.split else ""
    print(
        f"{args.jsonl.name}{half}: {len(rows)} articles; algorithm={settings.algorithm} "
        f"position_weight={settings.position_weight} redundancy={settings.redundancy}"
    )
    print(
        "ROUGE F1 x100 (rouge-score, stemming on), 3 sentences each; ours = lede + first 2 key points "
        "(a lede may keep the sentence that leans on it)"
    )
    lead = [v / counts["Lead-3"] for v in totals["Lead-3"]]
    print(
        f"{'system':<10} {'n':>4} {'R1':>6} {'R2':>6} {'RL':>6}   {'dR1':>6} {'dR2':>6} {'dRL':>6}  (vs Lead-3)"
        f"  {'words':>5}"
    )
    for system in ["ours", "Lead-3", *NAMES.values()]:
        if system not in totals:
            continue
        avg = [v / counts[system] for v in totals[system]]
        deltas = " ".join(f"{a - b:+6.2f}" for a, b in zip(avg, lead, strict=True))
        mean_words = words[system] / counts[system]
        print(
            f"{system:<10} {counts[system]:>4} {avg[0]:6.2f} {avg[1]:6.2f} {avg[2]:6.2f}   {deltas}  {mean_words:5.1f}"
        )
    print_bootstrap(gains, args.resamples)


def print_bootstrap(gains: list[tuple[float, float, float]], resamples: int, seed: int = 13) -> None:
    """95% percentile interval of the mean gain over Lead-3, articles resampled with replacement:
    a gain whose interval stays above 0 is not one lucky draw of articles."""
    rng = random.Random(seed)
    n = len(gains)
    print(f"bootstrap: {resamples} resamples of the {n} articles (with replacement), gain of ours over Lead-3")
    for i, name in enumerate(("R1", "R2", "RL")):
        means = sorted(sum(gains[rng.randrange(n)][i] for _ in range(n)) / n for _ in range(resamples))
        low, high = means[int(0.025 * resamples)], means[int(0.975 * resamples) - 1]
        share = sum(m > 0 for m in means) / resamples
        mean = sum(g[i] for g in gains) / n
        print(f"  d{name}: mean {mean:+.2f}, 95% CI [{low:+.2f}, {high:+.2f}], resamples with a gain {share:.1%}")


if __name__ == "__main__":
    main()
