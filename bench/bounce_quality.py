"""How well and how fast does the bounce reader classify real bounce messages?

Quality, against a labelled set (``labels.jsonl`` next to an ``emails/`` directory, as in
shared/data/bounces, labelled by the reference parser Sisimai 4.25):

- recipients: the share of messages whose set of bounced recipients is exactly right;
- kind: the share of labelled recipients whose kind (hard / soft / complaint) agrees.

Speed, in the same run and on the same bytes (files read into memory first): messages per
second for ``classify_bytes``, next to a baseline that only parses each message with
Python's ``email`` package (``message_from_bytes`` with ``policy.default``, walking every
part and reading its content), and the ratio of the two. Each side runs ``--rounds`` times;
the best round counts.

    python bench/bounce_quality.py                       # ../shared/data/bounces (next to the checkout)
    python bench/bounce_quality.py /path/to/set --rounds 5
"""

from __future__ import annotations

import argparse
import email
import json
import sys
import time
from email import policy
from email.message import EmailMessage
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from digest.errors import InputError  # noqa: E402
from digest.mailing.bounces import classify_bytes  # noqa: E402


def default_set() -> Path:
    """../shared/data/bounces next to the checkout (for a git worktree, next to its main checkout)."""
    found = ROOT.parent / "shared" / "data" / "bounces"
    dotgit = ROOT / ".git"
    if not found.is_dir() and dotgit.is_file():
        gitdir = Path(dotgit.read_text().partition("gitdir:")[2].strip())
        main = gitdir.parent.parent.parent if gitdir.parent.name == "worktrees" else gitdir.parent
        found = main.parent / "shared" / "data" / "bounces"
    return found


def load(dataset: Path) -> tuple[list[dict[str, object]], dict[str, bytes]]:
    labels = [json.loads(line) for line in (dataset / "labels.jsonl").read_text().splitlines() if line.strip()]
    blobs = {str(lab["file"]): (dataset / "emails" / str(lab["file"])).read_bytes() for lab in labels}
    return labels, blobs


def quality(labels: list[dict[str, object]], blobs: dict[str, bytes]) -> tuple[float, float, list[str]]:
    exact = 0
    kinds_ok = 0
    kinds_total = 0
    misses: list[str] = []
    for lab in labels:
        name = str(lab["file"])
        expected = {str(b["recipient"]): str(b["kind"]) for b in lab["bounces"]}  # type: ignore[attr-defined]
        try:
            got = {b.recipient: b.kind for b in classify_bytes(blobs[name]).bounces}
        except InputError as exc:
            got = {}
            misses.append(f"{name}: {exc}")
        if set(got) == set(expected):
            exact += 1
        else:
            misses.append(f"{name}: expected {sorted(expected)}, got {sorted(got)}")
        for recipient, kind in expected.items():
            kinds_total += 1
            if got.get(recipient) == kind:
                kinds_ok += 1
            elif recipient in got:
                misses.append(f"{name}: {recipient} expected {kind}, got {got[recipient]}")
    return exact / max(len(labels), 1), kinds_ok / max(kinds_total, 1), misses


def baseline(data: bytes) -> int:
    """What it costs just to parse a message with the standard library, every part read."""
    msg = email.message_from_bytes(data, policy=policy.default)
    size = 0
    for part in msg.walk():
        if part.is_multipart():
            continue
        try:
            content = part.get_content() if isinstance(part, EmailMessage) else part.get_payload(decode=True)
        except (LookupError, ValueError, KeyError, AttributeError):
            content = part.get_payload(decode=True)
        size += len(content) if content is not None else 0
    return size


def ours(data: bytes) -> int:
    try:
        return len(classify_bytes(data).bounces)
    except InputError:
        return 0


def rate(func: object, blobs: list[bytes], rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        for data in blobs:
            func(data)  # type: ignore[operator]
        best = min(best, time.perf_counter() - started)
    return len(blobs) / best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dataset", nargs="?", type=Path, default=None)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--show-misses", action="store_true")
    args = parser.parse_args()
    args.dataset = args.dataset or default_set()
    if not (args.dataset / "labels.jsonl").is_file():
        print(f"error: {args.dataset}: no labels.jsonl here", file=sys.stderr)
        return 1

    labels, blobs = load(args.dataset)
    exact, kinds, misses = quality(labels, blobs)
    print(f"dataset: {args.dataset} ({len(labels)} messages)")
    print(f"recipients exactly right per message: {exact:.3f}")
    print(f"kind agreeing per recipient:          {kinds:.3f}")
    if args.show_misses:
        for line in misses:
            print("  miss:", line)

    data = list(blobs.values())
    ours(data[0])
    baseline(data[0])
    ours_rate = rate(ours, data, args.rounds)
    base_rate = rate(baseline, data, args.rounds)
    print(f"classify_bytes:           {ours_rate:8.1f} messages/s")
    print(f"email package parse only: {base_rate:8.1f} messages/s")
    print(f"ratio (ours / baseline):  {ours_rate / base_rate:8.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
