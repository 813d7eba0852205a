"""How much do social posts cost next to summarizing the same articles? (target: <= 20%)

Over the CNN/DailyMail dev set: time digest.summarize.summarize on every article, then the
posts for all five platforms (single posts, then with --thread), and plain sumy LexRank on the
same texts as a stable baseline measured in the same run (the project's summarizer may change).
Prints posts/second and the ratios.

    python bench/social_speed.py [--rounds 3] [--data PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from digest.config import Settings  # noqa: E402
from digest.models import Article  # noqa: E402
from digest.render.platforms import PLATFORMS, get_platform  # noqa: E402
from digest.render.social import SocialWriter  # noqa: E402
from digest.summarize import summarize  # noqa: E402

_CANDIDATES = [base / "shared" / "data" / "cnndm-dev" / "cnndm-dev.jsonl" for base in (ROOT.parent, ROOT.parent.parent)]
DEFAULT_DATA = next((p for p in _CANDIDATES if p.is_file()), _CANDIDATES[0])
_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_WORD = re.compile(r"\w+(?:'\w+)?")


class _Tokenizer:
    """sumy needs only these three members; NLTK's punkt is not available offline."""

    language = "english"

    def to_sentences(self, text: str) -> list[str]:
        return [s for s in _SENTENCE.split(text) if s.strip()]

    def to_words(self, sentence: str) -> list[str]:
        return _WORD.findall(sentence)


def load(path: Path) -> list[Article]:
    articles = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        item = json.loads(line)
        text = item["text"].strip()
        title = " ".join(text.split()[:14])
        articles.append(
            Article(title=title, text=text, source=item["id"], url=f"https://news.example.com/{item['id']}")
        )
    return articles


def best_of(rounds: int, work: Callable[[], None]) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args()

    from sumy.nlp.stemmers import Stemmer
    from sumy.parsers.plaintext import PlaintextParser
    from sumy.summarizers.lex_rank import LexRankSummarizer
    from sumy.utils import get_stop_words
    from threadpoolctl import threadpool_limits

    articles = load(args.data)
    settings = Settings()
    writer = SocialWriter(settings)
    n = len(articles)

    # Warm-up: compile regexes, load templates and emoji data once, as a long-running process would.
    summaries = [summarize(a, settings.summary) for a in articles]
    writer.posts(articles[0], summaries[0], PLATFORMS, thread=True)

    lexrank = LexRankSummarizer(Stemmer("english"))
    lexrank.stop_words = get_stop_words("english")
    tokenizer = _Tokenizer()

    def run_lexrank() -> None:
        with threadpool_limits(1):
            for a in articles:
                lexrank(PlaintextParser.from_string(a.text, tokenizer).document, 3)

    def run_summarize() -> None:
        for a in articles:
            summarize(a, settings.summary)

    def run_posts() -> None:
        for a, s in zip(articles, summaries, strict=True):
            writer.posts(a, s, PLATFORMS)

    def run_threads() -> None:
        for a, s in zip(articles, summaries, strict=True):
            writer.posts(a, s, PLATFORMS, thread=True)

    t_summarize = best_of(args.rounds, run_summarize)
    t_lexrank = best_of(args.rounds, run_lexrank)
    t_posts = best_of(args.rounds, run_posts)
    t_threads = best_of(args.rounds, run_threads)

    posts = [p for a, s in zip(articles, summaries, strict=True) for p in writer.posts(a, s, PLATFORMS, thread=True)]
    invalid = sum(not get_platform(p.platform).check(t).valid for p in posts for t in [p.text, *(p.thread or [])])
    parts = statistics.mean(len(p.thread or []) for p in posts)

    n_posts = n * len(PLATFORMS)
    print(f"articles: {n} (CNN/DM dev), platforms: {len(PLATFORMS)}, best of {args.rounds} rounds")
    print(f"summarize (digest.summarize):  {t_summarize * 1000:8.1f} ms  ({t_summarize / n * 1000:.2f} ms/article)")
    print(f"LexRank baseline (sumy):       {t_lexrank * 1000:8.1f} ms  ({t_lexrank / n * 1000:.2f} ms/article)")
    print(f"posts, 5 platforms:            {t_posts * 1000:8.1f} ms  ({n_posts / t_posts:,.0f} posts/s)")
    print(f"posts + threads ({parts:.1f} parts):   {t_threads * 1000:8.1f} ms  ({n_posts / t_threads:,.0f} posts/s)")
    print(f"ratio posts / summarize:       {t_posts / t_summarize:8.1%}  (target <= 20%)")
    print(f"ratio posts / LexRank:         {t_posts / t_lexrank:8.1%}  (target <= 20%)")
    print(f"ratio posts+threads / LexRank: {t_threads / t_lexrank:8.1%}")
    print(f"invalid posts or thread parts: {invalid}")


if __name__ == "__main__":
    main()
