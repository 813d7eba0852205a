"""The reference Bluesky PDS (with its PLC directory) as a real server process on 127.0.0.1.

``tests/pds/start.mjs`` runs @atproto/dev-env's PLC + PDS (SQLite, no app view) and prints
their URLs; ``npm ci --prefix tests/pds`` installs it (CI does this in .ci/run). Accounts are
made through the PDS's own API (createAccount, then createAppPassword), as a person would.
"""

from __future__ import annotations

import json
import os
import selectors
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

PDS_DIR = Path(__file__).resolve().parent.parent / "pds"


class PDSUnavailable(RuntimeError):
    """Node or the npm packages are missing: the Bluesky tests cannot run here."""


@dataclass
class BlueskyAccount:
    handle: str
    did: str
    password: str
    app_password: str


@dataclass
class LocalPDS:
    plc: str
    base: str
    process: subprocess.Popen[bytes]

    def _http(self) -> httpx.Client:
        return httpx.Client(base_url=self.base, timeout=15, trust_env=False)

    def create_account(self, handle: str) -> BlueskyAccount:
        password = f"pw-{handle}-secret"
        with self._http() as c:
            r = c.post(
                "/xrpc/com.atproto.server.createAccount",
                json={"handle": handle, "email": f"{handle.split('.')[0]}@example.com", "password": password},
            )
            if r.status_code != 200:
                raise RuntimeError(f"createAccount {handle}: {r.status_code} {r.text}")
            made = r.json()
            r = c.post(
                "/xrpc/com.atproto.server.createAppPassword",
                json={"name": "digest"},
                headers={"Authorization": f"Bearer {made['accessJwt']}"},
            )
            r.raise_for_status()
        return BlueskyAccount(handle, str(made["did"]), password, str(r.json()["password"]))

    def list_posts(self, did: str) -> list[dict[str, Any]]:
        """Every post record of ``did`` (all pages)."""
        records: list[dict[str, Any]] = []
        params = {"repo": did, "collection": "app.bsky.feed.post", "limit": "100"}
        with self._http() as c:
            while True:
                r = c.get("/xrpc/com.atproto.repo.listRecords", params=params)
                r.raise_for_status()
                page = r.json()
                records += page["records"]
                if not page["records"] or not page.get("cursor"):
                    return records
                params["cursor"] = page["cursor"]

    def get_post(self, did: str, rkey: str) -> dict[str, Any]:
        with self._http() as c:
            r = c.get(
                "/xrpc/com.atproto.repo.getRecord",
                params={"repo": did, "collection": "app.bsky.feed.post", "rkey": rkey},
            )
            r.raise_for_status()
            return dict(r.json())

    def get_blob(self, did: str, cid: str) -> httpx.Response:
        with self._http() as c:
            return c.get("/xrpc/com.atproto.sync.getBlob", params={"did": did, "cid": cid})


def node_problem() -> str | None:
    """Why the PDS cannot start here, or None."""
    if shutil.which("node") is None:
        return "node is not installed (the Bluesky tests run the reference PDS; install Node 20+)"
    if not (PDS_DIR / "node_modules" / "@atproto" / "dev-env").is_dir():
        return f"the PDS packages are not installed: run `npm ci --prefix {PDS_DIR}`"
    return None


@contextmanager
def running_pds(data_dir: Path, *, rate_limits: bool = False) -> Iterator[LocalPDS]:
    """Start PLC + PDS; stop them (closing stdin, then SIGTERM, then SIGKILL) after the block."""
    problem = node_problem()
    if problem:
        raise PDSUnavailable(problem)
    data_dir.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, LOG_ENABLED="false", PDS_RATE_LIMITS="1" if rate_limits else "0")
    log = (data_dir / "pds.log").open("wb")
    proc = subprocess.Popen(
        [shutil.which("node") or "node", "start.mjs", str(data_dir)],
        cwd=PDS_DIR,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=log,
        env=env,
    )
    try:
        urls = _read_urls(proc, data_dir, timeout=90)
        yield LocalPDS(urls["plc"], urls["pds"], proc)
    finally:
        if proc.stdin:
            proc.stdin.close()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        if proc.stdout:
            proc.stdout.close()
        log.close()


def _read_urls(proc: subprocess.Popen[bytes], data_dir: Path, timeout: float) -> dict[str, str]:
    assert proc.stdout is not None
    selector = selectors.DefaultSelector()
    selector.register(proc.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    buffered = b""
    try:
        while time.monotonic() < deadline:
            if not selector.select(timeout=max(deadline - time.monotonic(), 0.01)):
                continue
            chunk = os.read(proc.stdout.fileno(), 65536)
            if not chunk:
                break
            buffered += chunk
            for line in buffered.splitlines():
                if line.startswith(b"{"):
                    data = json.loads(line)
                    if "pds" in data:
                        return {"plc": str(data["plc"]), "pds": str(data["pds"])}
    finally:
        selector.close()
    log = (data_dir / "pds.log").read_text(errors="replace")[-2000:]
    raise RuntimeError(f"the local PDS did not start (exit status {proc.poll()}); its log ends:\n{log}")
