"""A real `digest serve` process for the web tests: uvicorn on a free port on 127.0.0.1."""

from __future__ import annotations

import json
import os
import re
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

import httpx
from tests.support.net import free_port
from tests.support.paths import ROOT

KEY = "web-test-signing-key-0123456789abcdef"
CONFIG = ROOT / "config" / "digest.toml"


@dataclass
class Service:
    url: str  # with a trailing slash
    proc: subprocess.Popen[str]
    env: dict[str, str] = field(default_factory=dict)

    def client(self, **kwargs: object) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=10, follow_redirects=False, **kwargs)  # type: ignore[arg-type]

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10) -> tuple[int, str]:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            _, err = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, err = self.proc.communicate()
        return self.proc.returncode, err


def service_env(tmp: Path, smtp_port: int | None = None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIGEST_")}
    env.update(
        {
            "PYTHONPATH": str(ROOT / "src"),
            "DIGEST_CONFIG": str(CONFIG),
            "DIGEST_DATA_DIR": str(tmp / "data"),
            "DIGEST_UNSUBSCRIBE_KEY": KEY,
            "DIGEST_DELIVERY__FROM_ADDRESS": "news@digest.example.org",
            "DIGEST_DELIVERY__RETRY_BACKOFF": "0.05",
        }
    )
    if smtp_port is not None:
        env["DIGEST_BACKEND"] = f"smtp://127.0.0.1:{smtp_port}?tls=none"
    env.update(extra)
    return env


def start(env: dict[str, str], *args: str, port: int | None = None, timeout: float = 30) -> Service:
    """Start `digest serve` and wait for its JSON line. With ``port`` None a free port is picked
    first, so [web] base_url can name it."""
    port = free_port() if port is None else port
    env = dict(env)
    env.setdefault("DIGEST_WEB__BASE_URL", f"http://127.0.0.1:{port}")
    cmd = [sys.executable, "-m", "digest", "serve", "--port", str(port), "--json", *args]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stdout], [], [], 0.2)
        if ready:
            line = proc.stdout.readline()
            if line:
                info = json.loads(line)
                return Service(info["url"], proc, env)
        if proc.poll() is not None:
            break
    proc.kill()
    _, err = proc.communicate()
    raise RuntimeError(f"digest serve did not start: {err[-2000:]}")


@contextmanager
def running(env: dict[str, str], *args: str) -> Iterator[Service]:
    service = start(env, *args)
    try:
        yield service
    finally:
        service.stop()


def digest_cli(env: dict[str, str], *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "digest", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )


def csrf_form(client: httpx.Client, path: str) -> str:
    """GET a page with a form (which sets the CSRF cookie) and return the form's token."""
    page = client.get(path)
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found, f"no CSRF field on {path}: {page.status_code} {page.text[:300]}"
    return found.group(1)


def link_in(message: EmailMessage, prefix: str) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    found = re.search(re.escape(prefix) + r"\S+", body.get_content())
    assert found, f"no link starting {prefix} in {body.get_content()[:500]}"
    return found.group(0)
