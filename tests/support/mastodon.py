"""mastodon-mock (a stateful imitation of Mastodon's REST API) as a real server process on 127.0.0.1.

Its mock-only control plane is used as a test harness: ``/api/v1/_mock/dev_user`` makes a fresh
account with its own token (so tests never see each other's statuses) and
``/api/v1/_mock/faults`` injects 429s, 5xx and slow answers on chosen paths.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from tests.support.net import free_port


@dataclass
class MastodonMock:
    base: str
    process: subprocess.Popen[bytes]

    def _client(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.base, headers=headers, timeout=10, trust_env=False)

    def new_user(self, username: str) -> tuple[str, str]:
        """(account id, access token) of a fresh local account."""
        with self._client() as c:
            r = c.post("/api/v1/_mock/dev_user", json={"username": username})
            r.raise_for_status()
            data = r.json()
        return str(data["id"]), str(data["access_token"])

    def another_token(self, username: str) -> str:
        """A second token for the same account (rate limits are counted per token)."""
        with self._client() as c:
            r = c.post("/api/v1/_mock/login", json={"username": username})
            r.raise_for_status()
            return str(r.json()["access_token"])

    def statuses(self, account_id: str, token: str) -> list[dict[str, Any]]:
        with self._client(token) as c:
            r = c.get(f"/api/v1/accounts/{account_id}/statuses", params={"limit": 40})
            r.raise_for_status()
            return list(r.json())

    def status(self, status_id: str, token: str) -> dict[str, Any]:
        with self._client(token) as c:
            r = c.get(f"/api/v1/statuses/{status_id}")
            r.raise_for_status()
            return dict(r.json())

    def add_fault(self, rule: dict[str, Any]) -> None:
        with self._client() as c:
            c.post("/api/v1/_mock/faults", json=rule).raise_for_status()

    def clear_faults(self) -> None:
        with self._client() as c:
            c.delete("/api/v1/_mock/faults").raise_for_status()


@contextmanager
def running_mastodon_mock(workdir: Path, ratelimit: tuple[int, int] | None = None) -> Iterator[MastodonMock]:
    """``python -m mastodon_mock serve --in-memory`` on a free loopback port, stopped after the block.

    ``ratelimit=(limit, window_seconds)`` turns on its per-token fixed-window limit, which
    sends ``X-RateLimit-*`` headers on every answer and 429 past the limit.
    """
    port = free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    config = ""
    if ratelimit:
        config = f"[ratelimit]\nenabled = true\nlimit = {ratelimit[0]}\nwindow_seconds = {ratelimit[1]}\n"
    (workdir / ".mastodon_mock.toml").write_text(config, encoding="utf-8")
    log = (workdir / "mastodon-mock.log").open("wb")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HOST", "PORT"))}
    cmd = [sys.executable, "-m", "mastodon_mock", "serve", "--in-memory", "--host", "127.0.0.1", "--port", str(port)]
    cmd += ["--log-level", "warning"]
    proc = subprocess.Popen(cmd, cwd=workdir, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"mastodon-mock exited ({proc.returncode}); see {workdir / 'mastodon-mock.log'}")
            try:
                if httpx.get(base + "/api/v1/instance", timeout=1, trust_env=False).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("mastodon-mock did not answer within 60 s")
            time.sleep(0.1)
        yield MastodonMock(base, proc)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        log.close()
