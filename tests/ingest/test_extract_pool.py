"""Page extraction in worker processes: same articles as in-process, started only when a run has
pages, and a dead worker never loses a page. Real processes, real pages, a real local server."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.support.feedserver import PAGES, FixtureServer, serve

from digest.config import load_settings
from digest.ingest.extract_pool import PageExtractor
from digest.ingest.to_archive import ingest_sources
from digest.ingest.web import extract_article
from digest.storage.archive import Archive

KEYS = sorted(json.loads((PAGES / "ground-truth.json").read_text(encoding="utf-8")))


def page(key: str) -> bytes:
    return (PAGES / f"{key}.html").read_bytes()


def fields(article: object) -> tuple[object, ...]:
    a = article
    return (a.title, a.text, a.url, a.published, a.author, a.site, a.language, a.related)  # type: ignore[attr-defined]


@pytest.fixture
def extractor() -> Iterator[PageExtractor]:
    ex = PageExtractor(processes=2, start_after=1)
    try:
        yield ex
    finally:
        ex.close()


def worker_pids(ex: PageExtractor) -> list[int]:
    pool = ex._pool
    assert pool is not None
    return [p.pid for p in pool._processes.values() if p.pid is not None]  # type: ignore[union-attr]


def test_workers_extract_exactly_what_the_calling_process_does(extractor: PageExtractor) -> None:
    extractor.extract(page(KEYS[0]), "p0", "https://example.com/p0")
    assert extractor.wait_parallel(60), "worker processes did not come up"
    for i, key in enumerate(KEYS):
        url = f"https://example.com/{key}"
        assert fields(extractor.extract(page(key), f"p{i}", url)) == fields(extract_article(page(key), f"p{i}", url))
    assert extractor.in_workers == len(KEYS)
    assert all(pid != os.getpid() for pid in worker_pids(extractor))


def test_a_worker_that_dies_loses_no_page(extractor: PageExtractor, caplog: pytest.LogCaptureFixture) -> None:
    extractor.extract(page(KEYS[0]), "p0", None)
    assert extractor.wait_parallel(60)
    for pid in worker_pids(extractor):
        os.kill(pid, signal.SIGKILL)
    with caplog.at_level(logging.WARNING, logger="digest.ingest.extract_pool"):
        article = extractor.extract(page(KEYS[1]), "p1", None)
    assert fields(article) == fields(extract_article(page(KEYS[1]), "p1", None))
    assert not extractor.parallel and extractor.in_process >= 2
    assert "worker died" in caplog.text
    assert extractor.extract(page(KEYS[2]), "p2", None).text  # and the run carries on in-process


def test_ctrl_c_is_for_the_parent_not_the_workers(extractor: PageExtractor) -> None:
    extractor.extract(page(KEYS[0]), "p0", None)
    assert extractor.wait_parallel(60)
    for pid in worker_pids(extractor):
        os.kill(pid, signal.SIGINT)
    assert extractor.extract(page(KEYS[1]), "p1", None).text
    assert extractor.parallel and extractor.in_workers == 1


def test_a_run_with_few_pages_or_one_process_starts_no_workers() -> None:
    few = PageExtractor(processes=2, start_after=4)
    single = PageExtractor(processes=1, start_after=1)
    try:
        for key in KEYS[:3]:
            few.extract(page(key), key, None)
            single.extract(page(key), key, None)
        assert not few.started and not single.started
        assert few.in_process == single.in_process == 3
    finally:
        few.close()
        single.close()


@pytest.fixture
def web() -> Iterator[FixtureServer]:
    with serve() as server:
        yield server


def test_ingest_with_workers_archives_the_same_articles(web: FixtureServer, tmp_path: Path) -> None:
    # The first pages come at once and start the workers; the rest arrive once they are up.
    urls = [web.page(f"/p/{key}.html", key, delay=0.0 if i < 4 else 4.0) for i, key in enumerate(KEYS)]

    def run(processes: int, name: str) -> dict[str, tuple[object, ...]]:
        lines = [f"[fetch]\nallow_private_addresses = true\ntimeout = 20.0\nconcurrency = {len(KEYS)}\n"]
        lines.append(f"[ingest]\nextract_processes = {processes}\n")
        lines += [f'[[sources]]\ntype = "url"\nurl = "{u}"\n' for u in urls]
        cfg = tmp_path / f"{name}.toml"
        cfg.write_text("\n".join(lines), encoding="utf-8")
        s = load_settings(cfg, env={"DIGEST_DATA_DIR": str(tmp_path / name)})
        report = ingest_sources(s)
        assert (report.new, report.failed) == (len(KEYS), 0)
        with Archive(s) as archive:
            return {a.article.url or "": fields(a.article) for a in archive.new_since_last_sent()}

    inline = run(1, "inline")
    logger = logging.getLogger("digest.ingest.extract_pool")
    records: list[logging.LogRecord] = []
    handler = logging.Handler(logging.DEBUG)
    handler.emit = records.append  # type: ignore[method-assign]
    logger.addHandler(handler)
    old = logger.level
    logger.setLevel(logging.DEBUG)
    try:
        parallel = run(2, "parallel")
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old)
    assert parallel == inline
    messages = [r.getMessage() for r in records]
    assert any(m.startswith("page extraction on 2 worker processes") for m in messages), messages
    done = [m for m in messages if m.startswith("pages extracted:")]
    assert done and not done[0].startswith("pages extracted: 0 in worker"), done


def processes_marked(marker: str) -> list[int]:
    """PIDs of live processes whose environment carries ``marker`` (the CLI run and its workers)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if marker.encode() in (entry / "environ").read_bytes():
                status = (entry / "status").read_text()
                if "\nState:\tZ" not in status:  # zombies are gone already, just not reaped
                    found.append(int(entry.name))
        except OSError:
            continue
    return found


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs /proc")
def test_sigterm_ends_ingest_and_its_workers_and_keeps_what_is_done(web: FixtureServer, tmp_path: Path) -> None:
    urls = [web.page(f"/slow/{key}.html", key, delay=0.4) for key in KEYS]
    lines = ["[fetch]\nallow_private_addresses = true\ntimeout = 10.0\nconcurrency = 2\n"]
    lines.append("[ingest]\nextract_processes = 2\n")
    lines += [f'[[sources]]\ntype = "url"\nurl = "{u}"\n' for u in urls]
    cfg = tmp_path / "digest.toml"
    cfg.write_text("\n".join(lines), encoding="utf-8")
    marker = f"DIGEST_TEST_MARK={os.getpid()}-{time.monotonic_ns()}"
    env = {**os.environ, "DIGEST_DATA_DIR": str(tmp_path / "data"), marker.split("=")[0]: marker.split("=")[1]}
    cmd = [sys.executable, "-m", "digest", "--config", str(cfg), "ingest"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while len(processes_marked(marker)) < 3 and time.monotonic() < deadline:  # the run + 2 workers
            time.sleep(0.05)
        if len(processes_marked(marker)) < 3:
            proc.kill()
            out, err = proc.communicate(timeout=30)
            pytest.fail(f"worker processes never started (exit {proc.returncode}): {out[-500:]} {err[-2000:]}")
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode != 0
    assert "Traceback" not in err and "leaked" not in err, err
    deadline = time.monotonic() + 10
    while processes_marked(marker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert processes_marked(marker) == []  # no worker left behind

    s = load_settings(cfg, env={"DIGEST_DATA_DIR": str(tmp_path / "data")})
    with Archive(s) as archive:
        kept = len(archive.new_since_last_sent())
    assert 0 < kept < len(KEYS)  # stopped part-way, and what was done is stored
    again = ingest_sources(s)
    assert (again.new, again.known, again.failed) == (len(KEYS) - kept, kept, 0)
