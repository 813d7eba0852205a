"""`digest serve` under load next to a bare Starlette app, both under uvicorn, in one run.

    python bench/web_speed.py [--seconds 5] [--rounds 3] [--subscribers 60000]

Load comes from wrk (Debian: apt-get install wrk), 2 threads, on this machine, 127.0.0.1 only.
- one-click: RFC 8058 POSTs to /unsubscribe/<token> at 50 connections, every request a
  different subscriber (a real unsubscribe: token check, a read, a write and a consent record),
  against the bare app's POST that does one SQLite UPDATE per request (same engine set-up).
  Target: >= 0.7x the bare throughput.
- archive: GET /archive/<edition>/ against the same HTML served as a static file by the bare
  app (Starlette StaticFiles). Target: >= 0.5x.
- 200 connections: one-click and archive at 200 connections; target: no errors.
Rounds alternate ours and bare (the machine is noisy); medians are reported.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LUA = ROOT / "bench" / "web" / "paths.lua"
KEY = "bench-signing-key-0123456789abcdef"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Run:
    rps: float
    p99_ms: float
    errors: int
    requests: int


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def wrk(url: str, paths: Path, seconds: int, connections: int, body: str = "") -> Run:
    env = {**os.environ, "PATHS": str(paths), "BODY": body, "THREADS": "2"}
    cmd = [
        "wrk",
        "-t2",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--latency",
        "--timeout",
        "10s",
        "-s",
        str(LUA),
        url,
    ]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=seconds + 60)
    out = done.stdout
    found = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if found is None:
        raise SystemExit(f"wrk failed on {url}: {out[-500:]} {done.stderr[-500:]}")
    rps = float(found.group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s|m)\b", out)
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    errors = 0
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors += int(bad.group(1)) if bad else 0
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors += sum(int(x) for x in sock.groups()) if sock else 0
    return Run(rps, _ms(*p99.groups()) if p99 else float("nan"), errors, total)


def wait_listening(port: int, proc: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited: {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("server did not start")


def seed(env: dict[str, str], n: int) -> None:
    """One sent edition, then n subscribers added in bulk (each with its link selector)."""

    def run(*a: str) -> None:
        subprocess.run([sys.executable, "-m", "digest", *a], env=env, cwd=ROOT, check=True, capture_output=True)

    run("subscribers", "add", "first@example.org")
    run("send", "--now", "--edition", "bench")
    from sqlalchemy import insert

    from digest.config import load_settings
    from digest.storage.engine import open_engine
    from digest.storage.schema import subscribers

    os.environ.update(env)
    engine = open_engine(load_settings())
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    with engine.begin() as conn:
        for start in range(0, n, 5000):
            conn.execute(
                insert(subscribers),
                [
                    {"list": "default", "email": f"r{i}@example.org", "status": "active", "created_at": now}
                    for i in range(start, min(n, start + 5000))
                ],
            )
    engine.dispose()


def token_files(tmp: Path, rounds: int) -> tuple[list[Path], list[Path]]:
    """Per round, a file of one-click paths (ours) and of row paths (bare), never reused."""
    from sqlalchemy import select

    from digest.config import load_settings
    from digest.mailing.tokens import UnsubscribeSigner
    from digest.storage.engine import open_engine
    from digest.storage.schema import subscribers

    engine = open_engine(load_settings())
    with engine.connect() as conn:
        rows = conn.execute(select(subscribers.c.id, subscribers.c.token).order_by(subscribers.c.id)).all()
    engine.dispose()
    signer = UnsubscribeSigner(KEY)
    rows = rows[1:]  # the first one got the edition
    per = len(rows) // (rounds + 1)
    ours, bare = [], []
    for r in range(rounds + 1):  # the last chunk: the 200-connection run
        chunk = rows[r * per : (r + 1) * per]
        a, b = tmp / f"ours-{r}.txt", tmp / f"bare-{r}.txt"
        a.write_text("".join(f"/unsubscribe/{signer.reader_token(t)}\n" for _, t in chunk))
        b.write_text("".join(f"/u/{i}\n" for i, _ in chunk))
        ours.append(a)
        bare.append(b)
    return ours, bare


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--subscribers", type=int, default=60000)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk not found: apt-get install wrk")
    tmp = Path(tempfile.mkdtemp(prefix="digest-web-bench-"))
    port, bare_port = free_port(), free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("DIGEST_")},
        "PYTHONPATH": str(ROOT / "src") + os.pathsep + str(ROOT),
        "DIGEST_CONFIG": str(ROOT / "config" / "digest.toml"),
        "DIGEST_DATA_DIR": str(tmp / "data"),
        "DIGEST_UNSUBSCRIBE_KEY": KEY,
        "DIGEST_WEB__BASE_URL": f"http://127.0.0.1:{port}",
    }
    procs: list[subprocess.Popen[bytes]] = []
    try:
        seed(env, args.subscribers)
        ours_paths, bare_paths = token_files(tmp, args.rounds)
        shutil.copy(tmp / "data" / "digest.sqlite3", tmp / "bare.sqlite3")
        static = tmp / "static"
        static.mkdir()

        ours = subprocess.Popen(
            [sys.executable, "-m", "digest", "serve", "--port", str(port)],
            env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        procs.append(ours)
        wait_listening(port, ours)
        import httpx

        page = httpx.get(f"http://127.0.0.1:{port}/archive/bench/", timeout=10)
        assert page.status_code == 200, page.status_code
        (static / "bench.html").write_bytes(page.content)
        bare = subprocess.Popen(
            [sys.executable, str(ROOT / "bench" / "web" / "bare_app.py"), str(tmp / "bare.sqlite3"), str(static),
             str(bare_port)],
            env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        procs.append(bare)
        wait_listening(bare_port, bare)
        archive_ours, archive_bare = tmp / "archive-ours.txt", tmp / "archive-bare.txt"
        archive_ours.write_text("/archive/bench/\n")
        archive_bare.write_text("/static/bench.html\n")
        ours_url, bare_url = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{bare_port}"
        body = "List-Unsubscribe=One-Click"

        # warm-up, untimed
        wrk(ours_url, archive_ours, 1, 10)
        wrk(bare_url, archive_bare, 1, 10)

        click_ours, click_bare, get_ours, get_bare = [], [], [], []
        for r in range(args.rounds):
            click_bare.append(wrk(bare_url, bare_paths[r], args.seconds, 50, body))
            click_ours.append(wrk(ours_url, ours_paths[r], args.seconds, 50, body))
            get_bare.append(wrk(bare_url, archive_bare, args.seconds, 50))
            get_ours.append(wrk(ours_url, archive_ours, args.seconds, 50))
        flood_click = wrk(ours_url, ours_paths[-1], args.seconds, 200, body)
        flood_get = wrk(ours_url, archive_ours, args.seconds, 200)
        # every one-click POST of the measured rounds really unsubscribed someone
        from sqlalchemy import create_engine, text

        db = create_engine(f"sqlite:///{tmp / 'data' / 'digest.sqlite3'}")
        with db.connect() as conn:
            unsubscribed = conn.execute(text("SELECT count(*) FROM subscribers WHERE status='unsubscribed'")).scalar()
            consents = conn.execute(text("SELECT count(*) FROM consents WHERE action='one-click'")).scalar()
        db.dispose()
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(tmp, ignore_errors=True)

    def med(runs: list[Run], attr: str) -> float:
        return statistics.median(getattr(x, attr) for x in runs)

    print(
        f"web_speed: wrk -t2, {args.rounds} alternating rounds of {args.seconds:g} s, medians; uvicorn, 1 process each"
    )
    print(f"  {os.cpu_count()} cores; {args.subscribers} subscribers; the same SQLite settings")
    rows = [
        ("one-click POST, 50 conn", click_ours, click_bare, "bare app: 1 SQLite write", 0.7),
        ("GET /archive/<edition>/, 50 conn", get_ours, get_bare, "static file (StaticFiles)", 0.5),
    ]
    for label, mine, base, what, target in rows:
        ratio = med(mine, "rps") / med(base, "rps")
        print(f"{label}:")
        for name, runs in (("digest serve", mine), (what, base)):
            errors = sum(x.errors for x in runs)
            print(
                f"  {name:26.26s}: {med(runs, 'rps'):8.0f} req/s   p99 {med(runs, 'p99_ms'):7.1f} ms   errors {errors}"
            )
        print(f"  {'ratio':26s}: {ratio:.2f}x   (target >= {target}x: {'met' if ratio >= target else 'NOT met'})")
    print("200 connections (digest serve):")
    for label, run in (("one-click POST", flood_click), ("GET archive", flood_get)):
        print(f"  {label:15s}: {run.rps:8.0f} req/s   p99 {run.p99_ms:7.1f} ms   errors {run.errors} of {run.requests}")
    measured = sum(x.requests for x in click_ours) + flood_click.requests
    print(f"one-click requests sent {measured}; subscribers unsubscribed {unsubscribed}; consent records {consents}")
    print(json.dumps({"oneclick_ratio": round(med(click_ours, 'rps') / med(click_bare, 'rps'), 3),
                      "archive_ratio": round(med(get_ours, 'rps') / med(get_bare, 'rps'), 3),
                      "errors_at_200": flood_click.errors + flood_get.errors}))  # fmt: skip


if __name__ == "__main__":
    main()
