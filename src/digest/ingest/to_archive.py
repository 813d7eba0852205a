"""Fetch every configured source into the archive: the library behind `digest ingest`.

Sources run on a bounded pool sharing one guarded HTTP client; the archive is written from
the calling thread only. Repeat runs are cheap: feeds and pages send their remembered
ETag/Last-Modified (304 = nothing to do), an unchanged body is recognised by its hash, and
feed entries already archived are neither re-fetched for full text nor re-extracted.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

from digest.config import Settings, SourceSettings
from digest.errors import ConfigError, DigestError
from digest.ingest import describe, read_configured
from digest.ingest.extract_pool import parallel_extraction
from digest.ingest.fetch import Fetcher
from digest.ingest.filters import select
from digest.ingest.remote import fetch_feed, fetch_page
from digest.models import Article
from digest.storage.archive import Archive, FeedState, Stored


@dataclass
class SourceReport:
    source: str
    kind: str
    new: int = 0
    known: int = 0
    error: str | None = None
    not_modified: bool = False
    warnings: list[str] = field(default_factory=list)
    article_ids: list[int] = field(default_factory=list)
    filtered: int = 0  # left out by the source's include/exclude

    @property
    def failed(self) -> bool:
        return self.error is not None

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "type": self.kind,
            "new": self.new,
            "known": self.known,
            "failed": self.failed,
            "error": self.error,
            "not_modified": self.not_modified,
            "filtered": self.filtered,
            "warnings": self.warnings,
        }


@dataclass
class IngestReport:
    sources: list[SourceReport] = field(default_factory=list)

    @property
    def new(self) -> int:
        return sum(s.new for s in self.sources)

    @property
    def known(self) -> int:
        return sum(s.known for s in self.sources)

    @property
    def failed(self) -> int:
        return sum(1 for s in self.sources if s.failed)

    @property
    def ok(self) -> bool:
        """At least one source worked (or there was nothing to do)."""
        return not self.sources or self.failed < len(self.sources)

    def to_dict(self) -> dict[str, Any]:
        return {
            "sources": [s.to_dict() for s in self.sources],
            "new": self.new,
            "known": self.known,
            "failed": self.failed,
        }


@dataclass
class _Outcome:
    articles: list[Article] = field(default_factory=list)
    known: int = 0
    not_modified: bool = False
    warnings: list[str] = field(default_factory=list)
    state: tuple[str, str | None, str | None, str | None] | None = None  # url, etag, last_modified, hash
    filtered: int = 0


def _one(
    spec: SourceSettings, settings: Settings, archive: Archive, fetcher: Fetcher, state: FeedState | None
) -> _Outcome:
    out = _fetch_one(spec, settings, archive, fetcher, state)
    if spec.type != "path":  # a path source was filtered by read_configured
        chosen = select(spec, out.articles)
        out.articles, out.filtered = chosen.articles, chosen.filtered
    return out


def _label(spec: SourceSettings) -> str:
    return describe(spec) if spec.name else (spec.url or spec.path or "source")


def _fetch_one(
    spec: SourceSettings, settings: Settings, archive: Archive, fetcher: Fetcher, state: FeedState | None
) -> _Outcome:
    if spec.type == "path":
        chosen = read_configured(spec, settings)
        return _Outcome(articles=chosen.articles, filtered=chosen.filtered)
    url = spec.url or ""
    if spec.type == "feed":
        got = fetch_feed(
            url,
            settings,
            fetcher=fetcher,
            max_items=spec.max_items,
            fetch_full_text=spec.fetch_full_text,
            etag=state.etag if state else None,
            last_modified=state.last_modified if state else None,
            previous_hash=state.content_hash if state else None,
            is_known=archive.is_known,
        )
        return _Outcome(
            articles=got.articles,
            known=got.skipped_known,
            not_modified=got.not_modified,
            warnings=got.warnings,
            state=(url, got.etag, got.last_modified, got.body_hash or (state.content_hash if state else None)),
        )
    # A page: its state is saved only after its article was stored (new or as a duplicate), so a
    # remembered state means "archived": ask conditionally, and skip extraction if unchanged.
    page = fetch_page(
        url,
        settings,
        fetcher=fetcher,
        etag=state.etag if state else None,
        last_modified=state.last_modified if state else None,
        previous_hash=state.content_hash if state else None,
    )
    keep_hash = page.body_hash or (state.content_hash if state else None)
    out = _Outcome(state=(url, page.etag, page.last_modified, keep_hash))
    if page.not_modified:
        out.not_modified, out.known = True, 1
    elif page.article is not None:
        out.articles = [page.article]
    return out


def ingest_sources(
    settings: Settings,
    progress: Callable[[SourceReport], None] | None = None,
    sources: Sequence[SourceSettings] | None = None,
    archive: Archive | None = None,
) -> IngestReport:
    """Fetch ``sources`` (default: the configured ones) into the archive; one bad source never stops the rest."""
    specs = list(settings.sources if sources is None else sources)
    if not specs:
        where = settings.label
        raise ConfigError(f'{where}: no [[sources]] configured; add one (type = "feed", "url" or "path")')
    owned = archive is None
    arch = archive or Archive(settings)
    report = IngestReport([SourceReport(_label(s), s.type) for s in specs])
    try:
        with (
            Fetcher(settings.fetch) as fetcher,
            parallel_extraction(settings.ingest.extract_processes),
            ThreadPoolExecutor(max_workers=max(1, min(settings.fetch.concurrency, len(specs)))) as pool,
        ):
            states = arch.feed_states([s.url for s in specs if s.type != "path" and s.url])
            pending: dict[Future[_Outcome], int] = {
                pool.submit(_one, spec, settings, arch, fetcher, states.get(spec.url or "")): i
                for i, spec in enumerate(specs)
            }
            finished: list[tuple[SourceReport, Future[_Outcome], FeedState | None]] = []
            try:
                while pending:
                    done, _ = wait(pending, return_when=FIRST_COMPLETED)
                    for fut in done:
                        i = pending.pop(fut)
                        finished.append((report.sources[i], fut, states.get(specs[i].url or "")))
                    # Writes go in batches: every SQLite call hands the GIL to the extracting
                    # threads, so one transaction per page costs the main thread dearly.
                    if len(finished) >= WRITE_BATCH or not pending:
                        _record_batch(finished, arch)
                        if progress:
                            for entry, _, _ in finished:
                                progress(entry)
                        finished = []
            except BaseException:  # Ctrl-C / SIGTERM: start no more sources, keep what is done
                fetcher.abort()  # fetches in flight end now, so the pool's exit does not wait for them
                pool.shutdown(wait=False, cancel_futures=True)
                _record_batch(finished, arch)
                if progress:
                    for entry, _, _ in finished:
                        progress(entry)
                raise
    finally:
        if owned:
            arch.close()
    return report


# Finished sources whose articles are written to the archive in one transaction.
WRITE_BATCH = 16


def _record_batch(batch: list[tuple[SourceReport, Future[_Outcome], FeedState | None]], archive: Archive) -> None:
    """Store a batch of finished sources at once; on any trouble, one source at a time."""
    outcomes = []
    for entry, fut, before in batch:
        try:
            outcomes.append((entry, fut.result(), before))
        except Exception:  # noqa: BLE001 - reported per source below
            _record(entry, fut, archive, before)
    if not outcomes:
        return
    try:
        stored = archive.store([a for _, outcome, _ in outcomes for a in outcome.articles])
        states = [
            outcome.state for _, outcome, before in outcomes if outcome.state and not _unchanged(outcome.state, before)
        ]
        archive.save_feed_states(states)
    except Exception:  # noqa: BLE001 - fall back to per-source writes, each with its own error
        for entry, outcome, before in outcomes:
            _record(entry, _done(outcome), archive, before)
        return
    at = 0
    for entry, outcome, _ in outcomes:
        mine = stored[at : at + len(outcome.articles)]
        at += len(outcome.articles)
        _fill(entry, outcome, mine)


def _done(outcome: _Outcome) -> Future[_Outcome]:
    fut: Future[_Outcome] = Future()
    fut.set_result(outcome)
    return fut


def _unchanged(state: tuple[str, str | None, str | None, str | None], before: FeedState | None) -> bool:
    return before is not None and state == (before.url, before.etag, before.last_modified, before.content_hash)


def _fill(entry: SourceReport, outcome: _Outcome, stored: list[Stored]) -> None:
    entry.new = sum(1 for s in stored if s.new)
    entry.known = outcome.known + sum(1 for s in stored if not s.new)
    entry.not_modified = outcome.not_modified
    entry.warnings = outcome.warnings
    entry.article_ids = [s.id for s in stored]
    entry.filtered = outcome.filtered


def _record(entry: SourceReport, fut: Future[_Outcome], archive: Archive, before: FeedState | None) -> None:
    try:
        outcome = fut.result()
        stored = archive.store(outcome.articles) if outcome.articles else []
        if outcome.state and not _unchanged(outcome.state, before):
            archive.save_feed_state(*outcome.state)
    except DigestError as exc:
        entry.error = " ".join(str(exc).split())
        return
    except Exception as exc:  # noqa: BLE001 - one bad source must never sink the run
        entry.error = f"unexpected {type(exc).__name__}: {' '.join(str(exc).split())}"
        return
    _fill(entry, outcome, stored)
