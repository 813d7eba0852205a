"""Whole-process speed of `digest summarize` (and `digest send --dry-run`) against baselines
measured in the same run.

Usage: python bench/summarize_speed.py [--runs N] [--cnndm PATH] [--bbc DIR]

Every figure times a whole process from start to exit (start-up included), as a user sees
it. Each pair of commands runs alternately ``--runs`` times after one warm-up; the median is
quoted, and ratios are medians of the pair-by-pair ratios, so a machine that speeds up or
slows down during the run moves both sides alike. CPU time (user + system of the process) is
printed beside wall time: on a shared machine it moves far less with other work.

1. start-up: `digest summarize --jsonl </dev/null` vs `python -c "import click"`
   (target: at most 0.25 s more), and which heavy modules the empty run imported
   (target: no nltk, sklearn, scipy, trafilatura, lxml);
2. one 300-sentence paragraph (no line breaks) through `digest summarize --jsonl`, minus
   the start-up (target: at most 0.3 s);
3. the 130 dev articles (CNN/DM + BBC) through `digest summarize --jsonl` vs bare sumy
   LexRank with pysbd splitting over the same texts, start-up included on both sides
   (target: ratio at most 1.0);
4. `digest send --dry-run` on the bundled example articles vs `digest summarize` of the
   same files (target: ratio at most 2.0);
5. a 10 MB single-line article (with the file limit raised to let it in): seconds to finish.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent.parent / "shared" / "data"
if not SHARED.exists():
    SHARED = Path("/work/shared/data")
PY = sys.executable
HEAVY = ("nltk", "sklearn", "scipy", "trafilatura", "lxml", "requests", "numpy", "sumy", "pysbd")

# Bare sumy: its own Stemmer and stop words, LexRank, sentences split by pysbd per paragraph.
SUMY_BASELINE = """
import json, sys
import pysbd
from sumy.nlp.stemmers import Stemmer
from sumy.parsers.plaintext import PlaintextParser
from sumy.summarizers.lex_rank import LexRankSummarizer
from sumy.utils import get_stop_words

class Tokenizer:
    language = "english"
    def __init__(self):
        self.seg = pysbd.Segmenter(language="en", clean=False)
    def to_sentences(self, paragraph):
        return tuple(s.strip() for s in self.seg.segment(paragraph) if s.strip())
    def to_words(self, sentence):
        import re
        return tuple(re.findall(r"[^\\W_]+(?:['’][^\\W_]+)*", sentence))

tokenizer = Tokenizer()
summarizer = LexRankSummarizer(Stemmer("english"))
summarizer.stop_words = get_stop_words("english")
for line in sys.stdin:
    row = json.loads(line)
    doc = PlaintextParser.from_string(row["text"], tokenizer).document
    picked = [str(s) for s in summarizer(doc, 3)]
    print(json.dumps({"id": row.get("id"), "key_points": picked}))
"""


def env() -> dict[str, str]:
    out = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    out.pop("PYTHONPROFILEIMPORTTIME", None)
    return out


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


CPU: list[float] = []  # CPU seconds (user + system) of each run, in the order run


def run_once(
    cmd: Sequence[str], stdin: bytes, extra_env: dict[str, str] | None = None, cwd: Path | None = None
) -> float:
    cpu = _children_cpu()
    start = time.perf_counter()
    done = subprocess.run(
        cmd, input=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env={**env(), **(extra_env or {})}, cwd=cwd
    )
    elapsed = time.perf_counter() - start
    CPU.append(_children_cpu() - cpu)
    if done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} failed ({done.returncode}): {done.stderr.decode()[-500:]}")
    return elapsed


LAST_CPU: list[float] = [0.0, 0.0, 0.0]  # the last paired() call's CPU medians: A, B, A/B


def paired(
    a: tuple[Sequence[str], bytes], b: tuple[Sequence[str], bytes], runs: int, **kw: object
) -> tuple[float, float, float]:
    """(median A, median B, median of A/B pair by pair) of wall time after one warm-up of each;
    the same for CPU time (less moved by other work on a shared machine) in LAST_CPU."""
    run_once(*a, **kw)  # type: ignore[arg-type]
    run_once(*b, **kw)  # type: ignore[arg-type]
    times_a, times_b, cpu_a, cpu_b = [], [], [], []
    for _ in range(runs):
        times_a.append(run_once(*a, **kw))  # type: ignore[arg-type]
        cpu_a.append(CPU[-1])
        times_b.append(run_once(*b, **kw))  # type: ignore[arg-type]
        cpu_b.append(CPU[-1])
    ratios = [x / y for x, y in zip(times_a, times_b, strict=True)]
    cpu_ratios = [x / y for x, y in zip(cpu_a, cpu_b, strict=True)]
    LAST_CPU[:] = [statistics.median(cpu_a), statistics.median(cpu_b), statistics.median(cpu_ratios)]
    return statistics.median(times_a), statistics.median(times_b), statistics.median(ratios)


def cpu_line(label: str, a: str, b: str) -> str:
    ca, cb, ratio = LAST_CPU
    return f"{label} cpu: {a} {ca:.3f} s, {b} {cb:.3f} s, difference {ca - cb:+.3f} s, ratio {ratio:.2f}x"


def imported_modules(cmd: Sequence[str], stdin: bytes) -> set[str]:
    done = subprocess.run([PY, "-X", "importtime", *cmd[1:]], input=stdin, capture_output=True, env=env())
    names = set()
    for line in done.stderr.decode().splitlines():
        if line.startswith("import time:") and "|" in line:
            names.add(line.rsplit("|", 1)[1].strip())
    return names


def dev_rows(cnndm: Path, bbc: Path) -> list[dict[str, str]]:
    rows = [json.loads(x) for x in cnndm.read_text(encoding="utf-8").splitlines() if x.strip()]
    out = [{"id": r["id"], "text": r["text"]} for r in rows]
    for path in sorted(bbc.glob("article/*/*.txt")):
        title, _, body = path.read_bytes().decode("utf-8", errors="replace").partition("\n")
        out.append({"id": f"{path.parent.name}/{path.stem}", "title": title.strip(), "text": body.strip()})
    return out


def one_paragraph(rows: list[dict[str, str]], target: int = 300) -> str:
    """``target`` sentences of the dev texts in one paragraph (no line breaks)."""
    sys.path.insert(0, str(ROOT / "src"))
    from digest.summarize.sentences import split_sentences

    out: list[str] = []
    for row in rows:
        out.extend(s.text for s in split_sentences(row["text"]))
        if len(out) >= target:
            break
    return " ".join(out[:target])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--cnndm", type=Path, default=SHARED / "cnndm-dev" / "cnndm-dev.jsonl")
    parser.add_argument("--bbc", type=Path, default=SHARED / "bbc-news-summary")
    args = parser.parse_args()
    runs = args.runs
    digest = [PY, "-m", "digest"]
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"whole-process wall times, median of {runs} paired runs after a warm-up; {os.cpu_count()} CPUs, load {load}")

    # 1. start-up
    empty = ([*digest, "summarize", "--jsonl"], b"")
    click = ([PY, "-c", "import click"], b"")
    ours, base, _ = paired(empty, click, runs)
    print(f"\n[start-up] digest summarize --jsonl </dev/null: {ours:.3f} s; python -c 'import click': {base:.3f} s")
    print(f"[start-up] difference {ours - base:+.3f} s (target <= +0.250 s)")
    print(cpu_line("[start-up]", "digest", "click"))
    loaded = imported_modules(*empty)
    heavy = [m for m in HEAVY if m in loaded]
    print(f"[start-up] heavy modules imported by the empty run: {', '.join(heavy) or 'none'}")

    # 2. one long paragraph
    rows = dev_rows(args.cnndm, args.bbc)
    paragraph = one_paragraph(rows)
    long_in = (json.dumps({"id": 1, "text": paragraph}) + "\n").encode()
    long_t, empty_t, _ = paired(([*digest, "summarize", "--jsonl"], long_in), empty, runs)
    print(
        f"\n[long paragraph] 300 sentences, {len(paragraph)} chars, one line: {long_t:.3f} s; "
        f"beyond start-up {long_t - empty_t:+.3f} s (target <= +0.300 s)"
    )
    print(cpu_line("[long paragraph]", "300 sentences", "empty"))
    loaded = imported_modules([*digest, "summarize", "--jsonl"], long_in)
    print(f"[long paragraph] nltk imported: {'nltk' in loaded}; sklearn imported: {'sklearn' in loaded}")

    # 3. throughput against bare sumy
    batch = "".join(json.dumps(r) + "\n" for r in rows).encode()
    ours, base, ratio = paired(([*digest, "summarize", "--jsonl"], batch), ([PY, "-c", SUMY_BASELINE], batch), runs)
    print(
        f"\n[throughput] {len(rows)} dev articles: digest summarize --jsonl {ours:.3f} s; "
        f"bare sumy LexRank + pysbd {base:.3f} s; ratio {ratio:.2f}x (target <= 1.00x)"
    )
    print(cpu_line("[throughput]", "digest", "sumy"))

    # 4. dry run against summarize of the same files
    articles = sorted(str(p) for p in (ROOT / "examples" / "articles").iterdir() if p.is_file())
    with tempfile.TemporaryDirectory() as tmp:
        data = {"DIGEST_DATA_DIR": str(Path(tmp) / "data")}
        send, summ, ratio = paired(
            ([*digest, "send", "--dry-run"], b""),
            ([*digest, "summarize", *articles], b""),
            runs,
            extra_env=data,
            cwd=Path(tmp),
        )
    print(
        f"\n[dry run] digest send --dry-run (bundled example): {send:.3f} s; digest summarize of its "
        f"{len(articles)} files: {summ:.3f} s; ratio {ratio:.2f}x (target <= 2.00x)"
    )
    print(cpu_line("[dry run]", "send", "summarize"))

    # 5. a 10 MB single-line article
    rng = random.Random(7)
    vocabulary = [w for r in rows[:20] for w in r["text"].split()]
    words: list[str] = []
    size = 0
    while size < 10_000_000:
        word = rng.choice(vocabulary)
        words.append(word)
        size += len(word) + 1
    with tempfile.TemporaryDirectory() as tmp:
        big = Path(tmp) / "big.txt"
        big.write_text(" ".join(words)[:10_000_000], encoding="utf-8")
        limit = {"DIGEST_INGEST__MAX_FILE_BYTES": "20000000"}
        seconds = run_once([*digest, "summarize", str(big), "--json"], b"", extra_env=limit)
        refused = run_once([*digest, "summarize", str(big), "--json"], b"")
    print(
        f"\n[10 MB single line] summarized in {seconds:.2f} s (limit raised); "
        f"refused at the default 5 MB limit in {refused:.2f} s"
    )


if __name__ == "__main__":
    main()
