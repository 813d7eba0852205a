"""Servers that misbehave on purpose: every case ends in bounded time and memory with one line."""

from __future__ import annotations

import ipaddress
import json
import os
import subprocess
import sys
import time

import pytest
from tests.support.hostile import HostileServer, hostile_server
from tests.support.paths import ROOT

from digest.config import FetchSettings
from digest.errors import FetchError
from digest.ingest.fetch import Fetcher
from digest.ingest.guard import address_problem, embedded_ipv4


@pytest.fixture(scope="module")
def hostile() -> HostileServer:
    with hostile_server() as server:
        yield server  # type: ignore[misc]


def _fetcher(timeout: float = 1.0, max_bytes: int = 5_000_000) -> Fetcher:
    return Fetcher(FetchSettings(allow_private_addresses=True, timeout=timeout, max_bytes=max_bytes, max_redirects=5))


@pytest.mark.parametrize("path", ["/trickle-headers", "/trickle-body", "/silence"])
def test_one_deadline_for_the_whole_request(hostile: HostileServer, path: str) -> None:
    started = time.monotonic()
    with _fetcher(timeout=1.0) as fetcher, pytest.raises(FetchError) as err:
        fetcher.get(hostile.url(path))
    took = time.monotonic() - started
    assert str(err.value) == f"{hostile.url(path)}: timed out after 1 s"
    assert took < 2.5, took


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/brotli-bomb", "response over the 5 MB limit"),
        ("/zstd-bomb", "response over the 5 MB limit"),
        ("/length-lie", "response over the 5 MB limit"),
        ("/three-layers", "refused: 3 stacked content encodings (gzip, gzip, gzip); at most 2"),
        ("/redirect", "too many redirects (more than 5)"),
        ("/big-header", "the server sent a malformed or oversized response"),
    ],
)
def test_bounded_and_clear(hostile: HostileServer, path: str, message: str) -> None:
    started = time.monotonic()
    with _fetcher(timeout=10.0) as fetcher, pytest.raises(FetchError) as err:
        fetcher.get(hostile.url(path))
    assert str(err.value).startswith(hostile.url(path)) and message in str(err.value), str(err.value)
    assert "\n" not in str(err.value)
    assert time.monotonic() - started < 10


def test_raw_deflate_still_decodes(hostile: HostileServer) -> None:
    with _fetcher() as fetcher:
        resp = fetcher.get(hostile.url("/deflate-raw"))
    assert resp.content.startswith(b"<html><body><p>Raw deflate body.") and "content-encoding" not in resp.headers


def _run_measured(
    args: list[str], env: dict[str, str], timeout: float = 60
) -> tuple[subprocess.CompletedProcess[str], int, float]:
    """Run `digest ARGS` in a fresh parent, so its peak RSS is this command's own (kB)."""
    probe = (
        "import json, resource, subprocess, sys, time\n"
        "t = time.monotonic()\n"
        "p = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "print(json.dumps({'rc': p.returncode, 'out': p.stdout, 'err': p.stderr, 'seconds': time.monotonic() - t,\n"
        "                  'rss_kb': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, sys.executable, "-m", "digest", *args],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src"), **env},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    data = json.loads(done.stdout)
    return subprocess.CompletedProcess(args, data["rc"], data["out"], data["err"]), int(data["rss_kb"]), data["seconds"]


@pytest.mark.slow
def test_extract_gives_up_at_the_deadline_with_one_line(hostile: HostileServer) -> None:
    url = hostile.url("/trickle-headers")
    env = {"DIGEST_FETCH__TIMEOUT": "2", "DIGEST_ALLOW_PRIVATE_ADDRESSES": "1"}
    result, _, seconds = _run_measured(["extract", url], env)
    assert seconds < 7, seconds
    assert result.returncode == 1
    assert result.stderr.strip() == f"error: {url}: timed out after 2 s"


@pytest.mark.slow
def test_a_gigabyte_bomb_stays_small_in_memory(hostile: HostileServer) -> None:
    url = hostile.url("/gzip-bomb")
    result, rss_kb, _ = _run_measured(["extract", url], {"DIGEST_ALLOW_PRIVATE_ADDRESSES": "1"})
    assert result.returncode == 1
    assert result.stderr.strip() == f"error: {url}: response over the 5 MB limit"
    assert rss_kb < 300 * 1024, f"peak RSS {rss_kb // 1024} MB"


@pytest.mark.parametrize(
    ("address", "problem"),
    [
        ("2002:7f00:1::1", "a loopback"),  # 6to4 for 127.0.0.1
        ("2002:c0a8:0101::1", "a private"),  # 6to4 for 192.168.1.1
        ("2001:0:4136:e378:8000:63bf:80ff:fffe", "a loopback"),  # Teredo, client 127.0.0.1 (stored XOR-ed)
        ("2001:0:4136:e378:8000:63bf:f7f7:f7f7", None),  # Teredo, client 8.8.8.8 via a public server
        ("64:ff9b::a00:1", "a private"),  # NAT64 for 10.0.0.1
        ("::ffff:169.254.1.1", "a link-local"),  # IPv4-mapped
        ("2606:4700:4700::1111", None),  # public
    ],
)
def test_ipv6_forms_are_checked_as_the_ipv4_they_carry(address: str, problem: str | None) -> None:
    ip = ipaddress.ip_address(address)
    assert address_problem(ip) == problem
    if embedded_ipv4(ip) is not None and problem is not None:
        assert address_problem(embedded_ipv4(ip)) == problem  # type: ignore[arg-type]


def _children(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (from /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as fh:
                    if int(fh.read().rsplit(")", 1)[1].split()[1]) == pid:
                        found.append(int(entry))
            except (OSError, IndexError, ValueError):
                continue
    return found


@pytest.mark.slow
@pytest.mark.parametrize("signame", ["SIGTERM", "SIGINT"])
def test_ingest_stuck_on_a_server_stops_within_5_s(hostile: HostileServer, tmp_path, signame: str) -> None:  # type: ignore[no-untyped-def]
    """Sources that never answer: a signal ends `digest ingest` within 5 s, 143 or 130, one line
    saying what was left undone, what was done kept, no process left behind."""
    import signal as signals

    folder = tmp_path / "pages"
    folder.mkdir()
    (folder / "a.json").write_text('{"title": "Kept story", "text": "A story read from a file before the stop."}')
    stuck = "".join(
        f'[[sources]]\ntype = "url"\nurl = "{hostile.url(path)}"\nname = "stuck {n}"\n'
        for n, path in enumerate(["/silence", "/trickle-headers", "/trickle-body", "/silence"])
    )
    cfg = tmp_path / "digest.toml"
    cfg.write_text(f'[fetch]\ntimeout = 120\n[[sources]]\ntype = "path"\npath = "{folder}"\nname = "files"\n{stuck}')
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "src"),
        "DIGEST_CONFIG": str(cfg),
        "DIGEST_ALLOW_PRIVATE_ADDRESSES": "1",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "digest", "ingest"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(3)  # the file is stored, the four fetches hang
    sent = time.monotonic()
    proc.send_signal(getattr(signals, signame))
    out, err = proc.communicate(timeout=30)
    took = time.monotonic() - sent
    assert took < 5, took
    assert proc.returncode == (143 if signame == "SIGTERM" else 130), err
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert lines == [lines[0]] and f"stopped by {signame}: 4 of 5 source(s) not ingested" in lines[0], err
    assert "Traceback" not in err
    assert _children(proc.pid) == []
    from digest.config import load_settings
    from digest.storage.archive import Archive

    archive = Archive(load_settings(cfg))
    try:
        assert [a.article.title for a in archive.new_since_last_sent()] == ["Kept story"]  # what was done is kept
    finally:
        archive.close()
