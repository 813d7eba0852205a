"""Speed of digest's summarizer next to plain sumy LexRank, measured in the same run.

Usage: python bench/summarize_speed.py [--cnndm PATH] [--bbc DIR] [--repeat N]

Times one `summarize_text()` call per article end to end (cleaning, language detection,
pysbd sentence splitting, ranking, selection) over the shared CNN/DailyMail and BBC sets,
then one ~300-sentence article, then the whole set 1x and 4x (time per article should stay
flat: total time linear in the number of articles). The baseline is plain sumy LexRank
(PlaintextParser with the same pysbd tokenizer, 3 sentences) on the same texts.
Targets on a 2-core machine: median <= 40 ms/article, 300-sentence article <= 500 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from sumy.nlp.stemmers import Stemmer  # noqa: E402
from sumy.parsers.plaintext import PlaintextParser  # noqa: E402
from sumy.summarizers.lex_rank import LexRankSummarizer  # noqa: E402
from sumy.utils import get_stop_words  # noqa: E402

from digest.summarize import summarize_text  # noqa: E402
from digest.summarize.sentences import SentenceTokenizer, split_sentences  # noqa: E402

SHARED = ROOT.parent.parent / "shared" / "data"
if not SHARED.exists():
    SHARED = Path("/work/shared/data")


def load_texts(cnndm: Path, bbc: Path) -> tuple[list[str], list[str]]:
    news = [json.loads(line)["text"] for line in cnndm.read_text(encoding="utf-8").splitlines() if line.strip()]
    bbc_texts = []
    for path in sorted(bbc.glob("article/*/*.txt")):
        raw = path.read_bytes().decode("utf-8", errors="replace")
        bbc_texts.append(raw.partition("\n")[2].strip())  # first line is the title
    return news, bbc_texts


def long_article(texts: list[str], target: int = 300) -> str:
    """Paragraphs from the sets appended until the text has ``target``+ sentences."""
    paragraphs: list[str] = []
    count = 0
    for text in texts:
        for para in text.split("\n\n"):
            n = len(split_sentences(para))
            if n:
                paragraphs.append(para)
                count += n
            if count >= target:
                return "\n\n".join(paragraphs)
    return "\n\n".join(paragraphs)


def plain_lexrank() -> Callable[[str], object]:
    tokenizer = SentenceTokenizer("english", "en")
    summarizer = LexRankSummarizer(Stemmer("english"))
    summarizer.stop_words = get_stop_words("english")

    def run(text: str) -> object:
        return summarizer(PlaintextParser.from_string(text, tokenizer).document, 3)

    return run


def time_each(fn: Callable[[str], object], texts: list[str], clock: Callable[[], float]) -> list[float]:
    out = []
    for text in texts:
        start = clock()
        fn(text)
        out.append((clock() - start) * 1000)
    return out


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[-1] if len(values) > 1 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cnndm", type=Path, default=SHARED / "cnndm-dev" / "cnndm-dev.jsonl")
    parser.add_argument("--bbc", type=Path, default=SHARED / "bbc-news-summary")
    args = parser.parse_args()

    news, bbc = load_texts(args.cnndm, args.bbc)
    texts = news + bbc
    ours = summarize_text
    sumy_lexrank = plain_lexrank()
    for text in texts[:5]:  # warm caches (pysbd rules, language model, stemmer) for both
        ours(text)
        sumy_lexrank(text)

    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"articles: {len(news)} CNN/DM + {len(bbc)} BBC; times in ms per article, end to end")
    print(f"machine: {os.cpu_count()} CPUs, load average {load} (other work slows both systems alike)")
    for clock_name, clock in (("wall", time.perf_counter), ("cpu", time.process_time)):
        # CPU time of this process: what the summarizer costs, minus waiting for a core
        # that other processes hold (this machine is shared; wall time swings with load).
        print(f"\n[{clock_name} time]")
        print(f"{'set':<8} {'system':<14} {'median':>8} {'p95':>8} {'art/s':>8}")
        for name, subset in (("CNN/DM", news), ("BBC", bbc), ("all", texts)):
            ours_ms = time_each(ours, subset, clock)
            base_ms = time_each(sumy_lexrank, subset, clock)
            for label, ms in (("digest", ours_ms), ("sumy LexRank", base_ms)):
                rate = len(ms) / (sum(ms) / 1000)
                print(f"{name:<8} {label:<14} {statistics.median(ms):8.1f} {p95(ms):8.1f} {rate:8.1f}")
            ratio = statistics.median(ours_ms) / statistics.median(base_ms)
            print(f"{name:<8} {'ratio':<14} {ratio:8.2f}x (digest median / sumy LexRank median)")

        article = long_article(texts)
        sentences = len(split_sentences(article))
        ours_long = min(time_each(ours, [article] * 3, clock))
        base_long = min(time_each(sumy_lexrank, [article], clock))
        print(
            f"long article: {sentences} sentences, {len(article)} chars: digest {ours_long:.1f} ms, "
            f"sumy LexRank {base_long:.1f} ms, ratio {ours_long / base_long:.2f}x"
        )

        once = sum(time_each(ours, texts, clock))
        four = sum(time_each(ours, texts * 4, clock))
        per_once = once / len(texts)
        per_four = four / (4 * len(texts))
        print(
            f"linearity: 1x {len(texts)} articles {once / 1000:.2f} s ({per_once:.1f} ms/article); "
            f"4x {4 * len(texts)} articles {four / 1000:.2f} s ({per_four:.1f} ms/article); "
            f"per-article ratio 4x/1x {per_four / per_once:.2f}"
        )


if __name__ == "__main__":
    main()
