"""Time to first byte of the preview page next to `digest preview --out`, same digest, same run.

    python bench/preview_speed.py [--stories 20] [--runs 7]

Both are measured in this one process, warm (after one untimed run of each), alternating:
- baseline: ``preview_digest(settings, None, out_dir)``, the library call behind
  `digest preview --out` (build + summarize + render + write the three files);
- page: a real ``PreviewServer`` on 127.0.0.1 in a thread, and the time from sending
  ``GET /`` until the status line and headers arrive (the server re-reads the config, builds,
  summarizes, renders the email, the social posts for every story and the page before it
  answers). "reload": the server's memo reuses the social posts of unchanged stories, as on an
  editor's reload; "posts made anew": the memo emptied first, as on a first load. Then the two
  email frames and the text part are fetched for the page's build, to show they reuse it.
The 20 articles are BBC News articles from ../shared (first line = title); without them, the
bundled example is repeated under 20 titles.
"""

from __future__ import annotations

import argparse
import http.client
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# ../shared from the project root (a worktree may sit one level deeper)
SHARED = next((p / "shared" for p in ROOT.parents if (p / "shared" / "data").is_dir()), ROOT.parent / "shared")
BBC = SHARED / "data" / "bbc-news-summary" / "article"


def write_articles(folder: Path, n: int) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    files = sorted(BBC.glob("*/*.txt")) if BBC.is_dir() else []
    if len(files) >= n:
        step = len(files) // n
        for i in range(n):
            src = files[i * step]
            text = src.read_bytes().decode("utf-8", "replace")
            (folder / f"{i:02d}-{src.parent.name}-{src.name}").write_text(text, encoding="utf-8")
        return f"{n} BBC News articles from {BBC}"
    seed = next((ROOT / "examples" / "articles").glob("*.txt")).read_text(encoding="utf-8")
    body = seed.split("\n", 1)[1]
    for i in range(n):
        (folder / f"{i:02d}.txt").write_text(f"Example story number {i + 1}\n{body}", encoding="utf-8")
    return f"{n} copies of the bundled example article"


def get(conn: http.client.HTTPConnection, path: str) -> tuple[float, float, bytes]:
    """(seconds to first byte, seconds to the last byte, body)."""
    start = time.perf_counter()
    conn.request("GET", path)
    resp = conn.getresponse()  # returns once the status line and headers are in
    first = time.perf_counter() - start
    body = resp.read()
    if resp.status != 200:
        raise SystemExit(f"GET {path}: HTTP {resp.status}: {body[:300]!r}")
    return first, time.perf_counter() - start, body


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stories", type=int, default=20)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="digest-bench-preview-"))
    os.environ["DIGEST_DATA_DIR"] = str(tmp / "data")
    what = write_articles(tmp / "articles", args.stories)
    config = tmp / "digest.toml"
    config.write_text(
        f'[digest]\ntitle = "Bench Digest"\nmax_stories = {args.stories}\n\n'
        f'[[sources]]\ntype = "path"\npath = "{(tmp / "articles").as_posix()}"\n',
        encoding="utf-8",
    )

    from digest.config import load_settings
    from digest.preview.files import preview_digest
    from digest.preview.server import make_server

    settings = load_settings(config)
    server = make_server(settings, host="127.0.0.1", port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    conn = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=120)

    def baseline() -> float:
        start = time.perf_counter()
        result = preview_digest(load_settings(config), None, tmp / "out")
        elapsed = time.perf_counter() - start
        assert len(result.digest.stories) == args.stories, len(result.digest.stories)
        return elapsed

    def page(fresh: bool = False) -> tuple[float, float, float]:
        if fresh:
            server.app.posts.clear()  # as on a first load: every social post made afresh
        first, total, body = get(conn, "/")
        build = body.split(b'src="/email.html?b=', 1)[1].split(b'"', 1)[0].decode()
        start = time.perf_counter()
        for path in (f"/email.html?b={build}", f"/email.html?b={build}", f"/email.txt?b={build}"):
            get(conn, path)
        return first, total, time.perf_counter() - start

    baseline(), page()  # warm-up: imports, numpy, template compilation
    base_times, ttfb, fresh, full, frames = [], [], [], [], []
    for _ in range(args.runs):
        base_times.append(baseline())
        first, total, rest = page()
        ttfb.append(first)
        full.append(total)
        frames.append(rest)
        fresh.append(page(fresh=True)[0])
    server.shutdown()

    def ms(values: list[float]) -> str:
        return f"{statistics.median(values) * 1000:8.1f} ms (min {min(values) * 1000:.1f})"

    print(f"digest preview speed: {what}, {args.runs} runs, median (in-process, warm)")
    print(f"  baseline  preview_digest (digest preview --out)  {ms(base_times)}")
    print(f"  page      GET / time to first byte (reload)     {ms(ttfb)}")
    print(f"  page      GET / complete (reload)               {ms(full)}")
    print(f"  page      GET / first byte, all posts made anew {ms(fresh)}")
    print(f"  frames    2x /email.html + /email.txt (cached)  {ms(frames)}")
    verdicts = []
    for name, times in (("reload", ttfb), ("posts made anew", fresh)):
        ratio = statistics.median(times) / statistics.median(base_times)
        paired = statistics.median(p / b for p, b in zip(times, base_times, strict=True))
        best = min(times) / min(base_times)
        verdicts.append(paired)
        print(
            f"  ratio     page TTFB ({name}) / preview --out: paired runs {paired:.2f}x, "
            f"medians {ratio:.2f}x, minima {best:.2f}x"
        )
    # Adjacent runs share the machine's load, so the median of paired ratios is the figure judged.
    print(f"  target    <= 1.2x (median of paired runs): {'OK' if max(verdicts) <= 1.2 else 'OVER'}")
    print(f"  load      {os.getloadavg()[0]:.1f} (1-minute load average on {os.cpu_count()} CPUs)")
    sys.exit(0)


if __name__ == "__main__":
    main()
