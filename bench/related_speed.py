"""Related stories from the archive for a whole digest: one pass vs one pass per story.

An archive of N articles (default 3,000: the BBC and CNN/DM texts in ../shared, each copied
with a changed title and word so every copy is its own story) in a real SQLite file. A digest of
S stories (default 20) asks for up to 3 related archive stories each:

  per story  Archive.related_candidates(story) for each story: the archive's recent texts read
             and TF-IDF fitted once per story (how digest did it before related_to_each)
  one pass   Archive.related_to_each(stories): read and fitted once for the digest

Prints wall time of each (best of --repeat), their ratio, and how often the two agree on a
story's top-3 (the one-pass fit also sees the other stories, so IDF weights move slightly).
Run: PYTHONPATH=src python bench/related_speed.py [--articles 3000] [--stories 20] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from digest.config import load_settings
from digest.models import Article
from digest.storage.archive import Archive

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "data"


def texts() -> list[tuple[str, str]]:
    """(title, text) of every real article in the shared data."""
    found = []
    for path in sorted((SHARED / "bbc-news-summary" / "article").rglob("*.txt")):
        lines = path.read_text(encoding="utf-8", errors="replace").strip().split("\n", 1)
        if len(lines) == 2:
            found.append((lines[0].strip(), lines[1].strip()))
    for line in (SHARED / "cnndm-dev" / "cnndm-dev.jsonl").read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        found.append((item["text"][:80], item["text"]))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--articles", type=int, default=3000)
    parser.add_argument("--stories", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    originals = texts()
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(None, env={"DIGEST_DATA_DIR": tmp})
        with Archive(settings) as archive:
            batch = []
            for i in range(args.articles):
                title, text = originals[i % len(originals)]
                words = text.split()
                words.insert(len(words) // 2, f"copy{i}")
                url = f"https://news.example.com/{i}"
                batch.append(Article(title=f"{title} ({i})", text=" ".join(words), source=url, url=url, language="en"))
            archive.store(batch)
            stories = [
                Article(title=t, text=x, source=f"story-{i}", url=f"https://today.example.com/{i}", language="en")
                for i, (t, x) in enumerate(originals[-args.stories :])
            ]

            def per_story() -> list[list[int]]:
                return [[c.article_id for c in archive.related_candidates(s, limit=3)] for s in stories]

            def one_pass() -> list[list[int]]:
                return [[c.article_id for c in found] for found in archive.related_to_each(stories, limit=3)]

            timings: dict[str, float] = {}
            results = {}
            for name, fn in (("per story", per_story), ("one pass", one_pass)):
                best = float("inf")
                for _ in range(args.repeat):
                    t0 = time.perf_counter()
                    results[name] = fn()
                    best = min(best, time.perf_counter() - t0)
                timings[name] = best
    same = sum(1 for a, b in zip(results["per story"], results["one pass"], strict=True) if a == b)
    with_any = sum(1 for found in results["one pass"] if found)
    print(f"archive: {args.articles} articles (SQLite); digest: {len(stories)} stories; best of {args.repeat}")
    print(f"per story  related_candidates x {len(stories):<3} {timings['per story'] * 1000:9.1f} ms")
    print(f"one pass   related_to_each            {timings['one pass'] * 1000:9.1f} ms")
    print(f"ratio      per story / one pass = {timings['per story'] / timings['one pass']:.1f}x")
    print(f"agreement  same top-3 for {same}/{len(stories)} stories; {with_any} stories have related archive stories")


if __name__ == "__main__":
    main()
