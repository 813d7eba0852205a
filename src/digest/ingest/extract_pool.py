"""Page extraction on every core, for runs with many pages.

trafilatura is CPU-bound Python: threads extract one page at a time whatever their number, so a
run that fetches many pages is bound by one core. Inside a ``parallel_extraction`` block, once
the run has shown it has pages to extract (``START_AFTER`` of them), worker processes start in
the background, one per core; later pages are extracted there. Until they are up, and whenever
they cannot be used (one core, a worker that died), pages are extracted in the calling thread as
before, so a run with a page or two never pays for starting processes.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Iterator
from concurrent.futures import CancelledError, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager

from digest.ingest.web import extract_article
from digest.models import Article

log = logging.getLogger(__name__)

# Extraction requests seen before worker processes are started: fewer new pages than this and a
# run extracts in-process only (starting workers costs about one interpreter start-up).
START_AFTER = 4

# Seconds the workers may take to start before the run gives up on them.
START_TIMEOUT = 60.0

# How often a worker checks that the process it works for still exists.
PARENT_CHECK_SECONDS = 1.0

# Extraction is CPU under the GIL, so more in-process extractions at once than cores only
# contend for it (pool size 4 vs 8 measured 0.85 vs 0.79 of bare-extract throughput on 2 cores).
_EXTRACTING = threading.BoundedSemaphore(max(2, os.cpu_count() or 2))

_WARM_PAGE = (
    "<html><head><title>Warm-up</title><meta name='author' content='Ann Example'></head><body><article>"
    + "<p>The first page a worker extracts pays for trafilatura's lazy set-up; this one does instead.</p>" * 4
    + "</article></body></html>"
)


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def extract_inline(html: str | bytes, source: str, url: str | None) -> Article:
    with _EXTRACTING:
        return extract_article(html, source=source, url=url)


def _worker_init(parent: int) -> None:
    # Ctrl-C reaches the whole process group: the parent stops the run; workers must not print
    # a KeyboardInterrupt traceback each.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with, args=(parent,), name="digest-parent-watch", daemon=True).start()


def _exit_with(parent: int) -> None:
    """End this worker once the run that started it is gone (killed with no chance to clean up,
    e.g. SIGTERM or SIGKILL): a worker waits for work forever, and nobody else would end it."""
    while True:
        time.sleep(PARENT_CHECK_SECONDS)
        try:
            os.kill(parent, 0)
        except ProcessLookupError:
            os._exit(0)
        except PermissionError:  # exists, owned by someone else: ours is gone, its PID reused
            os._exit(0)


def _warm() -> int:
    extract_article(_WARM_PAGE, source="warm-up", url=None)
    time.sleep(0.05)  # stay busy a moment, so the next warm-up task goes to another worker
    return os.getpid()


def _warm_every_worker(pool: ProcessPoolExecutor, processes: int) -> None:
    """Return once every worker has run its initializer and a warm-up page: until then a worker
    could still die of a Ctrl-C meant for the parent, or make the first real page wait."""
    deadline = time.monotonic() + START_TIMEOUT
    seen: set[int] = set()
    while len(seen) < processes:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"{len(seen)} of {processes} workers ready after {START_TIMEOUT:g} s")
        seen |= {f.result(timeout=left) for f in [pool.submit(_warm) for _ in range(processes)]}


class PageExtractor:
    """Extracts pages in-process, then in worker processes once enough pages have asked."""

    def __init__(self, processes: int = 0, start_after: int = START_AFTER) -> None:
        self.processes = processes if processes > 0 else usable_cores()
        self.start_after = start_after
        self._lock = threading.Lock()
        self._requests = 0
        self._starter: threading.Thread | None = None
        self._pool: ProcessPoolExecutor | None = None
        self._ready = threading.Event()
        self._closed = False
        self.in_workers = 0  # pages extracted by worker processes
        self.in_process = 0  # pages extracted in the calling thread

    @property
    def started(self) -> bool:
        """True once this run has decided to start worker processes."""
        return self._starter is not None

    @property
    def parallel(self) -> bool:
        """True while worker processes are up and extracting."""
        return self._ready.is_set() and self._pool is not None

    def wait_parallel(self, timeout: float) -> bool:
        """Wait until worker processes are up (False if they are not within ``timeout`` seconds)."""
        return self._ready.wait(timeout) and self.parallel

    def extract(self, html: str | bytes, source: str, url: str | None) -> Article:
        self._maybe_start()
        pool = self._pool if self._ready.is_set() else None
        future = None
        if pool is not None:
            try:
                future = pool.submit(extract_article, html, source, url)
            except BrokenProcessPool:  # a worker died and the pool knows it already
                self._broken()
            except RuntimeError:  # the pool was shut down under us: extract here
                pass
        if future is not None:
            try:
                article = future.result()  # the page's own errors come through as they are
            except (BrokenProcessPool, CancelledError):  # a worker died (killed, out of memory)
                self._broken()  # the rest of the run extracts in-process
            else:
                self._count(workers=True)
                return article
        article = extract_inline(html, source, url)
        self._count(workers=False)
        return article

    def _count(self, workers: bool) -> None:
        with self._lock:
            if workers:
                self.in_workers += 1
            else:
                self.in_process += 1

    def _maybe_start(self) -> None:
        if self.processes < 2:
            return
        with self._lock:
            self._requests += 1
            if self._starter is not None or self._closed or self._requests < self.start_after:
                return
            self._starter = threading.Thread(target=self._start, name="digest-extract-start", daemon=True)
            self._starter.start()

    def _start(self) -> None:
        pool = None
        try:
            methods = multiprocessing.get_all_start_methods()
            ctx = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
            if ctx.get_start_method() == "forkserver":
                # One interpreter imports trafilatura once; every worker is then a cheap fork of it.
                ctx.set_forkserver_preload(["digest.ingest.extract_pool", "trafilatura", "htmldate"])
            pool = ProcessPoolExecutor(
                max_workers=self.processes, mp_context=ctx, initializer=_worker_init, initargs=(os.getpid(),)
            )
            _warm_every_worker(pool, self.processes)
            log.debug("page extraction on %d worker processes (%s)", self.processes, ctx.get_start_method())
        except Exception as exc:  # noqa: BLE001 - in-process extraction still works
            if pool is not None:
                pool.shutdown(wait=False, cancel_futures=True)
            log.warning(
                "page extraction stays in one process: worker processes did not start (%s); "
                "[ingest] extract_processes = 1 silences this",
                str(exc) or type(exc).__name__,
            )
            return
        with self._lock:
            if self._closed:
                pool.shutdown(wait=False, cancel_futures=True)
                return
            self._pool = pool
        self._ready.set()

    def _broken(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        self._ready.clear()
        if pool is not None:
            log.warning("a page extraction worker died; extracting the rest of this run in-process")
            pool.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            starter = self._starter
        if starter is not None:
            starter.join()
        with self._lock:
            pool, self._pool = self._pool, None
        self._ready.clear()
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
        if self.in_workers or self.in_process:
            log.debug("pages extracted: %d in worker processes, %d in-process", self.in_workers, self.in_process)


_active: PageExtractor | None = None
_active_count = 0
_active_lock = threading.Lock()


@contextmanager
def parallel_extraction(processes: int = 0) -> Iterator[PageExtractor]:
    """Pages extracted inside this block (by any thread) share one ``PageExtractor``."""
    global _active, _active_count
    with _active_lock:
        if _active is None:
            _active = PageExtractor(processes)
        _active_count += 1
        extractor = _active
    try:
        yield extractor
    finally:
        with _active_lock:
            _active_count -= 1
            last = _active_count == 0
            if last:
                _active = None
        if last:
            extractor.close()


def extract_page(html: str | bytes, source: str, url: str | None) -> Article:
    """An Article from fetched HTML: on the block's extractor if one is open, else in this thread."""
    extractor = _active
    if extractor is not None:
        return extractor.extract(html, source, url)
    return extract_inline(html, source, url)
