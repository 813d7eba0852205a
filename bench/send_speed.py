"""How fast does `digest send` deliver, against what SMTP itself allows here?

Starts an aiosmtpd sink in its own process (so it does not share our GIL), then, in fresh
subprocesses, alternately:

- the ceiling: a plain smtplib loop sending N pre-built messages (the same bytes digest
  builds) over one connection;
- ``send_digest`` for N subscribers: build and render the 15-story digest, personalize every
  message, keep the send log exactly (attempt committed before each message leaves,
  outcome right after), over one connection.

Then memory: peak RSS of ``send_digest`` at 10x the subscribers (each in its own process).

    python bench/send_speed.py                  # 2,000 and 20,000 subscribers
    python bench/send_speed.py --n 500 --big 5000 --rounds 1   # a quicker look
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import smtplib
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
ARTICLES = HERE / "data" / "articles"
KEY = "bench-unsubscribe-key-0123456789abcdef"


# ---------------------------------------------------------------- child processes


def run_sink(port: int) -> None:
    from aiosmtpd.controller import Controller

    class Sink:
        async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
            return "250 2.0.0 Ok: queued"

    controller = Controller(Sink(), hostname="127.0.0.1", port=port)
    controller.start()
    print("ready", flush=True)
    try:
        sys.stdin.read()  # until the parent closes our stdin
    finally:
        controller.stop()


def _settings():  # type: ignore[no-untyped-def]
    from digest.config import load_settings

    return load_settings()


def child_seed(n: int) -> None:
    from digest.mailing.subscribers import import_csv
    from digest.storage.engine import open_engine

    settings = _settings()
    csv_path = Path(settings.data_dir) / "subscribers.csv"
    csv_path.parent.mkdir(parents=True, exist_ok=True)
    with open(csv_path, "w", encoding="utf-8") as fh:
        fh.write("email,name\n")
        for i in range(n):
            fh.write(f"reader{i:06d}@example.org,Reader Number {i}\n")
    report = import_csv(open_engine(settings), csv_path)
    assert report.added == n, report


def child_send() -> None:
    from digest.mailing.send import send_digest

    settings = _settings()
    marks: dict[str, float] = {}

    def progress(done: int, total: int) -> None:
        marks.setdefault("delivery", time.perf_counter())
        marks.setdefault("cpu", time.process_time())

    start = time.perf_counter()
    report = send_digest(settings, progress=progress)
    end = time.perf_counter()
    assert report.failed == 0 and report.sent > 0, report
    print(
        json.dumps(
            {
                "sent": report.sent,
                "seconds": end - start,
                "delivery_seconds": end - marks["delivery"],
                "cpu_ms": (time.process_time() - marks["cpu"]) * 1000 / report.sent,
                "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
            }
        )
    )


def child_ceiling(n: int, port: int) -> None:
    from digest.compose.build import build_digest
    from digest.mailing.message import MessageFactory
    from digest.mailing.tokens import signer_for
    from digest.render.email import render_email

    settings = _settings()
    rendered = render_email(build_digest(settings).digest, settings)
    factory = MessageFactory(settings, rendered, signer_for(settings))
    messages = [factory.build(f"reader{i:06d}@example.org", f"Reader Number {i}") for i in range(n)]
    size = sum(len(m.data) for m in messages) // n
    start, cpu = time.perf_counter(), time.process_time()
    smtp = smtplib.SMTP("127.0.0.1", port, timeout=30)
    for m in messages:
        smtp.sendmail(m.sender, [m.recipient], m.data)
    smtp.quit()
    seconds = time.perf_counter() - start
    cpu_ms = (time.process_time() - cpu) * 1000 / n
    print(
        json.dumps(
            {"sent": n, "seconds": seconds, "cpu_ms": cpu_ms, "message_bytes": size, "html_bytes": len(rendered.html)}
        )
    )


# ---------------------------------------------------------------- orchestration


def _env(work: Path, name: str, port: int) -> dict[str, str]:
    config = work / "bench.toml"
    if not config.exists():
        config.write_text(
            f'[digest]\ntitle = "The Bench Digest"\nmax_stories = 15\n\n'
            f'[[sources]]\ntype = "path"\npath = "{ARTICLES}"\n',
            encoding="utf-8",
        )
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIGEST_")}
    env.update(
        PYTHONPATH=f"{ROOT / 'src'}{os.pathsep}{env.get('PYTHONPATH', '')}",
        DIGEST_CONFIG=str(config),
        DIGEST_DATA_DIR=str(work / name),
        DIGEST_BACKEND=f"smtp://127.0.0.1:{port}?tls=none",
        DIGEST_UNSUBSCRIBE_KEY=KEY,
        OMP_NUM_THREADS="1",
        OPENBLAS_NUM_THREADS="1",
    )
    return env


def _child(args: list[str], env: dict[str, str]) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, *args], env=env, capture_output=True, text=True, check=False, cwd=ROOT
    )
    if out.returncode != 0:
        raise SystemExit(f"child {args} failed:\n{out.stderr}")
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    return json.loads(lines[-1]) if lines else {}


def _send_run(work: Path, tag: str, n: int, port: int) -> dict[str, float]:
    env = _env(work, tag, port)
    _child(["--child-seed", str(n)], env)
    result = _child(["--child-send"], env)
    shutil.rmtree(work / tag, ignore_errors=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=2000, help="subscribers for the speed runs")
    parser.add_argument("--big", type=int, default=20000, help="subscribers for the memory run (0: skip)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating ceiling/send rounds")
    parser.add_argument("--sink", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--child-seed", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--child-send", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--child-ceiling", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.sink:
        return run_sink(args.sink)
    if args.child_seed:
        return child_seed(args.child_seed)
    if args.child_send:
        return child_send()
    if args.child_ceiling:
        return child_ceiling(args.child_ceiling, args.port)

    sys.path.insert(0, str(ROOT))
    from tests.support.net import free_port

    port = free_port()
    sink = subprocess.Popen(
        [sys.executable, __file__, "--sink", str(port)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert sink.stdout is not None and sink.stdout.readline().strip() == "ready"
    work = Path(tempfile.mkdtemp(prefix="digest-bench-"))
    try:
        print(f"send_speed: {args.n} subscribers, 15-story digest, aiosmtpd sink in its own process, 1 connection")
        ceilings, sends = [], []
        for r in range(1, args.rounds + 1):
            c = _child(["--child-ceiling", str(args.n), "--port", str(port)], _env(work, f"ceiling{r}", port))
            ceilings.append(c)
            s = _send_run(work, f"send{r}", args.n, port)
            sends.append(s)
            print(
                f"  round {r}: smtplib loop {c['sent'] / c['seconds']:7.1f} msg/s | "
                f"send_digest {s['sent'] / s['seconds']:7.1f} msg/s overall, "
                f"{s['sent'] / s['delivery_seconds']:7.1f} msg/s delivering"
            )
        msg_bytes, html_bytes = ceilings[0]["message_bytes"], ceilings[0]["html_bytes"]
        ceiling = max(c["sent"] / c["seconds"] for c in ceilings)
        overall = max(s["sent"] / s["seconds"] for s in sends)
        delivering = max(s["sent"] / s["delivery_seconds"] for s in sends)
        median = statistics.median(
            (s["sent"] / s["delivery_seconds"]) / (c["sent"] / c["seconds"])
            for c, s in zip(ceilings, sends, strict=True)
        )
        print(f"message size: {msg_bytes:,.0f} bytes on the wire (HTML part {html_bytes:,.0f} bytes before encoding)")
        print(f"ceiling, plain smtplib loop, pre-built messages:  {ceiling:7.1f} msg/s (best round)")
        print(f"send_digest, whole command (build, render, send): {overall:7.1f} msg/s = {overall / ceiling:.1%}")
        print(f"send_digest, delivery phase:                      {delivering:7.1f} msg/s = {delivering / ceiling:.1%}")
        print(f"median of per-round ratios, delivery / ceiling:   {median:.1%}   (target: >= 85% of ceiling)")
        cpu_c = min(c["cpu_ms"] for c in ceilings)
        cpu_s = min(s["cpu_ms"] for s in sends)
        print(f"client CPU per message: smtplib loop {cpu_c:.2f} ms, send_digest {cpu_s:.2f} ms (build, log, send)")
        if args.big:
            small_rss = min(s["maxrss_kb"] for s in sends)
            big = _send_run(work, "big", args.big, port)
            print(
                f"peak RSS: {args.n:,} subscribers {small_rss / 1024:6.1f} MiB | "
                f"{args.big:,} subscribers {big['maxrss_kb'] / 1024:6.1f} MiB | "
                f"ratio {big['maxrss_kb'] / small_rss:.2f}x (target <= 1.5x); "
                f"{args.big:,} sent at {big['sent'] / big['delivery_seconds']:.1f} msg/s"
            )
    finally:
        if sink.stdin:
            sink.stdin.close()
        sink.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
