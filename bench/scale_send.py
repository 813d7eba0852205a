"""Does sending scale with sender processes, and what does PostgreSQL cost against SQLite?

One run, one relay, one edition, the same subscribers every time:

- a relay: aiosmtpd in its own process (asyncio), which waits ``--delay`` (20 ms) before it
  accepts each message, as a remote relay's round trip does; it counts every recipient;
- a PostgreSQL server of our own (initdb + pg_ctl, default durability settings) and an SQLite
  file, each holding ``--n`` (10,000) subscribers and the edition, built and frozen once
  beforehand (so every run measures delivery, not the build);
- real `digest send --now` processes, each with the same ``connections=``: 1, 2 and 4 of
  them on PostgreSQL sharing the edition through claims; then 1 on SQLite. Each run starts on
  a fresh copy of the database. ``--rounds`` (2) rounds of all four, the second in reverse
  order, so a load that drifts during the run (a shared machine) favours none of them.

It prints messages per second (from the relay's first to its last acceptance), the CPU the
senders and the relay spent per message, and, over the rounds, the mean rates and the
ratios: 2 and 4 senders against 1 (targets >= 1.8x and >= 3.2x), one sender on PostgreSQL
against one on SQLite (target >= 0.8x), and checks every run: no recipient missing, none twice.

    python bench/scale_send.py                      # 10,000 subscribers, 20 ms relay, connections=2
    python bench/scale_send.py --subscribers 2000 --connections 1   # a quicker look
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
ARTICLES = HERE / "data" / "articles"
KEY = "bench-unsubscribe-key-0123456789abcdef"
EDITION = "scale"


# ---------------------------------------------------------------- child processes


def run_relay(port: int, delay: float) -> None:
    """The relay: accepts after ``delay``; answers "stats" and "reset" on stdin with one JSON line."""
    import asyncio

    from aiosmtpd.controller import Controller

    lock = threading.Lock()
    seen: Counter[str] = Counter()
    times: list[float] = []

    class Relay:
        async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
            await asyncio.sleep(delay)  # the remote relay's round trip
            with lock:
                seen.update(envelope.rcpt_tos)  # type: ignore[attr-defined]
                times.append(time.monotonic())
            return "250 2.0.0 Ok: queued"

    controller = Controller(Relay(), hostname="127.0.0.1", port=port)
    controller.start()
    print("ready", flush=True)
    try:
        for line in sys.stdin:
            with lock:
                if line.strip() == "stats":
                    first, last = (min(times), max(times)) if times else (0.0, 0.0)
                    doubled = sum(n - 1 for n in seen.values() if n > 1)
                    print(json.dumps({"count": len(times), "first": first, "last": last, "doubled": doubled,
                                      "cpu": time.process_time(), "recipients": sorted(seen)}), flush=True)  # fmt: skip
                elif line.strip() == "reset":
                    seen.clear()
                    times.clear()
                    print("{}", flush=True)
    finally:
        controller.stop()


def child_seed(n: int) -> None:
    """Subscribers reader000000@example.org..., then the edition built, frozen and owed."""
    from digest.config import load_settings
    from digest.mailing.send import owe_edition
    from digest.mailing.subscribers import import_csv
    from digest.storage.engine import open_engine

    settings = load_settings()
    csv_path = Path(settings.data_dir) / "subscribers.csv"
    csv_path.parent.mkdir(parents=True, exist_ok=True)
    with open(csv_path, "w", encoding="utf-8") as fh:
        fh.write("email,name\n")
        for i in range(n):
            fh.write(f"reader{i:06d}@example.org,Reader Number {i}\n")
    engine = open_engine(settings)
    report = import_csv(engine, csv_path)
    engine.dispose()
    assert report.added == n, report
    prepared = owe_edition(settings, edition=EDITION)
    assert prepared.digest_id is not None and prepared.pending == n, prepared


# ---------------------------------------------------------------- orchestration


class Relay:
    def __init__(self, port: int, delay: float) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--relay", str(port), "--delay", str(delay)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None and self.proc.stdout.readline().strip() == "ready"

    def ask(self, what: str) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(what + "\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())  # type: ignore[no-any-return]

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait(timeout=30)


def _env(work: Path, data: str, port: int, connections: int, url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIGEST_")}
    env.update(
        PYTHONPATH=f"{ROOT / 'src'}{os.pathsep}{env.get('PYTHONPATH', '')}",
        DIGEST_CONFIG=str(work / "bench.toml"),
        DIGEST_DATA_DIR=str(work / data),
        DIGEST_BACKEND=f"smtp://127.0.0.1:{port}?tls=none&connections={connections}",
        DIGEST_UNSUBSCRIBE_KEY=KEY,
        DIGEST_DELIVERY__UNSUBSCRIBE_URL="https://news.digest.test/unsubscribe?token={token}",
        OMP_NUM_THREADS="1",
        OPENBLAS_NUM_THREADS="1",
    )
    if url:
        env["DIGEST_ARCHIVE__URL"] = url
    return env


def _run(cmd: list[str], env: dict[str, str]) -> None:
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False, cwd=ROOT)
    if out.returncode != 0:
        raise SystemExit(f"{cmd} failed:\n{out.stderr}")


def _senders(k: int, env: dict[str, str], relay: Relay, n: int, work: Path, tag: str) -> dict[str, float]:
    """k `digest send` processes at once; the relay's view of the run, checked."""
    relay_cpu = float(relay.ask("stats")["cpu"])
    relay.ask("reset")
    cmd = [sys.executable, "-m", "digest", "send", "--now", "--json", "--edition", EDITION]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    procs = []
    for i in range(k):
        err = open(work / f"{tag}-{i}.err", "wb")  # noqa: SIM115 - closed below
        procs.append((subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=err), err))
    reports = []
    for proc, err in procs:
        out, _ = proc.communicate(timeout=3600)
        err.close()
        if proc.returncode != 0:
            raise SystemExit(f"{tag}: a sender failed:\n{Path(err.name).read_text()[-3000:]}")
        reports.append(json.loads(out))
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    senders_cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    stats = relay.ask("stats")
    relay_cpu = float(stats["cpu"]) - relay_cpu
    expected = {f"reader{i:06d}@example.org" for i in range(n)}
    got = set(stats["recipients"])
    missing, extra = len(expected - got), len(got - expected)
    count, doubled = int(stats["count"]), int(stats["doubled"])
    sent = sum(int(r["sent"]) for r in reports)
    ok = missing == 0 and extra == 0 and doubled == 0 and count == n and sent == n
    rate = (count - 1) / (float(stats["last"]) - float(stats["first"]))
    shares = "/".join(str(r["sent"]) for r in reports)
    print(
        f"  {tag:<22} {rate:7.1f} msg/s delivering | {n / wall:7.1f} msg/s wall (incl. start-up) | "
        f"CPU/msg: senders {senders_cpu / n * 1000:.1f} ms, relay {relay_cpu / n * 1000:.1f} ms | "
        f"shares {shares} | missing {missing}, doubled {doubled}{'' if ok else '  <-- CHECK FAILED'}",
        flush=True,
    )
    if not ok:
        raise SystemExit(f"{tag}: {count} messages for {n} subscribers, {sent} reported sent")
    return {"rate": rate, "wall": wall, "cpu": senders_cpu / n, "cores": senders_cpu / wall}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--subscribers", "--n", dest="n", type=int, default=10_000, help="subscribers")
    parser.add_argument("--delay", type=float, default=0.020, help="seconds the relay waits before accepting")
    parser.add_argument("--connections", type=int, default=2, help="SMTP connections per sender process")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of every configuration (ABBA order)")
    parser.add_argument("--stories", type=int, default=5, help="stories in the digest (message size)")
    parser.add_argument("--relay", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--child-seed", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.relay:
        return run_relay(args.relay, args.delay)
    if args.child_seed:
        return child_seed(args.child_seed)

    sys.path.insert(0, str(ROOT))
    from tests.support.net import free_port
    from tests.support.postgres import PostgresServer

    work = Path(tempfile.mkdtemp(prefix="digest-scale-"))
    (work / "bench.toml").write_text(
        f'[digest]\ntitle = "The Scale Digest"\nmax_stories = {args.stories}\n\n'
        f'[[sources]]\ntype = "path"\npath = "{ARTICLES}"\n',
        encoding="utf-8",
    )
    port = free_port()
    relay = Relay(port, args.delay)
    pg = PostgresServer(fast=False)  # PostgreSQL's own defaults: every commit flushed to disk
    try:
        pg.start()
        pg.execute("CREATE DATABASE scale_seed")
        seed_url = pg.url("scale_seed")
        print(
            f"scale_send: {args.n:,} subscribers, {args.stories}-story digest, relay waits {args.delay * 1000:.0f} ms "
            f"per message (aiosmtpd, own process), connections={args.connections} per sender; "
            f"{os.cpu_count()} cores; PostgreSQL {pg.bindir.parent.name} (synchronous_commit=on), "
            "SQLite WAL (synchronous=NORMAL)",
            flush=True,
        )
        seed = [sys.executable, __file__, "--child-seed", str(args.n)]
        _run(seed, _env(work, "pg-seed", port, args.connections, seed_url))
        _run(seed, _env(work, "sqlite-seed", port, args.connections, None))

        def fresh_pg(tag: str) -> dict[str, str]:
            name = pg.create_database(f"scale_{tag}", template="scale_seed")
            return _env(work, tag, port, args.connections, pg.url(name))

        def fresh_sqlite(tag: str) -> dict[str, str]:
            (work / tag).mkdir()
            for part in ("digest.sqlite3", "digest.sqlite3-wal", "digest.sqlite3-shm"):
                if (work / "sqlite-seed" / part).exists():
                    shutil.copy(work / "sqlite-seed" / part, work / tag / part)
            return _env(work, tag, port, args.connections, None)

        # Rounds in ABBA order (1, 2, 4 senders, SQLite; then back): a machine whose load drifts
        # during the run favours no configuration; each figure is the mean over the rounds.
        runs: dict[str, list[dict[str, float]]] = {"pg1": [], "pg2": [], "pg4": [], "sqlite": []}
        order = ["pg1", "pg2", "pg4", "sqlite"]
        for r in range(1, args.rounds + 1):
            print(f"round {r} of {args.rounds}", flush=True)
            for key in order if r % 2 else reversed(order):
                if key == "sqlite":
                    runs[key].append(_senders(1, fresh_sqlite(f"sqlite-{r}"), relay, args.n, work, "SQLite, 1 sender"))
                else:
                    k = int(key[2:])
                    label = f"PostgreSQL, {k} sender{'s' if k > 1 else ''}"
                    runs[key].append(_senders(k, fresh_pg(f"{key}_{r}"), relay, args.n, work, label))

        def mean(key: str, what: str = "rate") -> float:
            return sum(x[what] for x in runs[key]) / len(runs[key])

        def spread(key: str) -> str:
            rates = [x["rate"] for x in runs[key]]
            return f"{mean(key):6.1f} msg/s" + (f" ({min(rates):.1f}-{max(rates):.1f})" if len(rates) > 1 else "")

        one = mean("pg1")
        print(f"mean of {args.rounds} round(s):")
        print(f"  PostgreSQL, 1 sender   {spread('pg1')}")
        print(f"  PostgreSQL, 2 senders  {spread('pg2')}   {mean('pg2') / one:5.2f}x of 1   (target >= 1.8x)")
        print(f"  PostgreSQL, 4 senders  {spread('pg4')}   {mean('pg4') / one:5.2f}x of 1   (target >= 3.2x)")
        print(f"  SQLite, 1 sender       {spread('sqlite')}")
        print(f"  PostgreSQL vs SQLite, 1 sender each: {one / mean('sqlite'):5.2f}x   (target >= 0.8x)")
        print("every run: each of the subscribers got the edition exactly once (checked at the relay)")
        ceiling = args.connections / args.delay
        print(
            f"ceiling set by the relay: {ceiling:.0f} msg/s per sender ({args.connections} connections / "
            f"{args.delay * 1000:.0f} ms); 1 sender reached {one / ceiling:.0%} of it, "
            f"4 senders {mean('pg4') / (4 * ceiling):.0%} of theirs, using {mean('pg4', 'cores'):.2f} cores "
            f"(of {os.cpu_count()}; load average at the end {os.getloadavg()[0]:.1f})"
        )
    finally:
        relay.close()
        pg.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
