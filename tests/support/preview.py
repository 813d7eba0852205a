"""Helpers for the preview app tests: article folders, configs, a real server process."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.net import free_port

ROOT = Path(__file__).resolve().parent.parent
SERVE = [sys.executable, "-m", "digest", "preview", "--serve"]

TOPICS = [
    ("Harbour", "City council approves harbour flood barrier after a decade of delays", "port"),
    ("Rail", "Night trains return to the northern line as the operator adds sleeper cars", "railway"),
    ("Science", "Astronomers map a cold gas stream feeding a distant spiral galaxy", "telescope"),
    ("Health", "Hospital trial cuts emergency waiting times with a new triage rota", "clinic"),
    ("Energy", "Offshore wind farm starts exporting power two months ahead of schedule", "turbine"),
    ("Schools", "Teachers pilot a four-day week in twelve rural primary schools", "classroom"),
]


@dataclass
class Article:
    title: str
    path: Path


def article_text(title: str, topic: str, noun: str, paragraphs: int = 4) -> str:
    body = [
        f"{title}. Officials said on Monday that the {noun} project would change daily life for thousands "
        f"of residents in the region.",
        f"The {topic.lower()} plan was first proposed in 2016 and has since passed three public consultations. "
        f"Supporters say the {noun} will pay for itself within eight years.",
        f"Critics argue that the cost estimates for the {noun} are optimistic. A spokesperson for the "
        f"opposition called for an independent audit before any further money is spent.",
        f"Work on the {noun} is expected to begin next spring. Local businesses have been invited to bid "
        f"for the first contracts, worth about 40 million euros.",
        f"Residents will be able to follow progress on the {noun} online. A public meeting is planned for "
        f"the end of the month in the town hall.",
    ]
    parts = [body[i % len(body)] for i in range(paragraphs)]
    return title + "\n\n" + "\n\n".join(parts) + "\n"


def write_articles(
    folder: Path, titles: Sequence[str] | None = None, paragraphs: int = 4, *, with_urls: bool = False
) -> list[Article]:
    """Plain-text articles (first line: the title); ``with_urls``: Markdown with a url in front matter."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for i, (topic, default_title, noun) in enumerate(TOPICS):
        if titles is not None and i >= len(titles):
            break
        title = titles[i] if titles is not None else default_title
        text = article_text(title, topic, noun, paragraphs)
        if with_urls:
            path = folder / f"{i + 1:02d}-{topic.lower()}.md"
            url = f"https://news.example.com/{topic.lower()}/{i + 1}"
            body = text.split("\n", 1)[1]
            text = f"---\ntitle: {title}\nurl: {url}\nsite: Example News\n---\n\n# {title}\n{body}"
        else:
            path = folder / f"{i + 1:02d}-{topic.lower()}.txt"
        path.write_text(text, encoding="utf-8")
        out.append(Article(title, path))
    return out


def write_config(folder: Path, articles_dir: Path, extra: str = "") -> Path:
    config = folder / "digest.toml"
    config.write_text(
        f'[digest]\ntitle = "Preview Test Digest"\n\n{extra}\n\n'
        f'[[sources]]\ntype = "path"\npath = "{articles_dir.as_posix()}"\nname = "Test articles"\n',
        encoding="utf-8",
    )
    return config


@dataclass
class ServerProcess:
    url: str
    proc: subprocess.Popen[bytes]
    stderr_path: Path

    def stderr(self) -> str:
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")


@contextmanager
def preview_server(config: Path, *args: str, cwd: Path | None = None) -> Iterator[ServerProcess]:
    """Start `digest preview --serve` as a real process on a free port; stop it afterwards."""
    port = free_port()
    log = (cwd or config.parent) / f"server-{port}.log"
    env = {**os.environ, "DIGEST_CONFIG": str(config)}
    with open(log, "wb") as err:
        proc = subprocess.Popen(
            [*SERVE, "--port", str(port), *args],
            cwd=cwd or config.parent,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
    server = ServerProcess(f"http://127.0.0.1:{port}/", proc, log)
    try:
        wait_until_up(server)
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def wait_until_up(server: ServerProcess, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            raise AssertionError(f"server exited ({server.proc.returncode}): {server.stderr()}")
        try:
            with urllib.request.urlopen(server.url + "healthz", timeout=2) as resp:
                if resp.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.1)
    raise AssertionError(f"server did not answer within {timeout} s: {server.stderr()}")
