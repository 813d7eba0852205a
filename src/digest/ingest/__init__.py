"""Ingest: turn sources (files, folders, globs, stdin, feeds, pages) into Articles.

Public API (stable; other stages rely on it):
- ``read_source(spec, settings) -> list[Article]``: a path (file, folder, glob), "-" for stdin,
  an http(s) URL (feed or page, detected), or a configured ``SourceSettings``.
- ``collect(sources, settings) -> Collected``: many sources concurrently (bounded pool); one
  failing source is recorded in ``failures`` and never sinks the rest.
- ``read_file(path, settings)`` and ``article_from_text(text, source, settings, ...)``.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field

from digest.config import Settings, SourceSettings
from digest.errors import DigestError, InputError
from digest.ingest.files import article_from_text, read_file, read_path
from digest.ingest.filters import Selected, select
from digest.models import Article

Spec = str | SourceSettings


@dataclass
class SourceFailure:
    source: str
    error: str


@dataclass
class Collected:
    articles: list[Article] = field(default_factory=list)
    failures: list[SourceFailure] = field(default_factory=list)


def is_url(spec: str) -> bool:
    return spec.lower().startswith(("http://", "https://"))


def describe(spec: Spec) -> str:
    if isinstance(spec, SourceSettings):
        return spec.name or spec.url or spec.path or "source"
    return spec


def read_configured(spec: SourceSettings, settings: Settings) -> Selected:
    """A configured source's articles after its include/exclude filters (and how many they left out)."""
    if spec.type == "path":
        return select(spec, read_path(str(settings.resolve(spec.path or "")), settings))
    from digest.ingest import remote

    if spec.type == "feed":
        found = remote.read_feed(
            spec.url or "", settings, max_items=spec.max_items, fetch_full_text=spec.fetch_full_text
        )
        return select(spec, found)
    return select(spec, [remote.read_page(spec.url or "", settings)])


def read_source(spec: Spec, settings: Settings) -> list[Article]:
    if isinstance(spec, SourceSettings):
        return read_configured(spec, settings).articles
    if not spec.strip():
        raise InputError('an empty source: give a file, a folder, a quoted glob, "-" for stdin or an http(s) URL')
    if spec == "-":
        limit = settings.ingest.max_file_bytes
        data = sys.stdin.buffer.read(limit + 1)
        if len(data) > limit:
            raise InputError(f"-: input is over the {limit / 1e6:g} MB limit ([ingest] max_file_bytes)")
        return [article_from_text(data, "-", settings)]
    if is_url(spec):
        from digest.ingest import remote

        return remote.read_url(spec, settings)
    if re.match(r"[A-Za-z][A-Za-z0-9+.-]*://", spec):
        raise InputError(f"{spec}: only http and https URLs can be fetched")
    return read_path(spec, settings)


def collect(
    sources: Iterable[Spec],
    settings: Settings,
    on_done: Callable[[Spec, int], None] | None = None,
) -> Collected:
    """Read every source; keep their order; report failures instead of raising."""
    specs = list(sources)

    def one(spec: Spec) -> list[Article] | SourceFailure:
        try:
            return read_source(spec, settings)
        except DigestError as exc:
            return SourceFailure(describe(spec), str(exc))
        except Exception as exc:  # noqa: BLE001 - one bad source must never sink the digest
            return SourceFailure(describe(spec), f"unexpected {type(exc).__name__}: {exc}")

    result = Collected()
    workers = max(1, min(settings.fetch.concurrency, len(specs)))
    remote_sources = any(s.type != "path" if isinstance(s, SourceSettings) else is_url(s) for s in specs)
    with ExitStack() as stack, ThreadPoolExecutor(max_workers=workers) as pool:
        if remote_sources:  # one pooled, guarded HTTP client for every feed and page in this collect
            from digest.ingest.extract_pool import parallel_extraction
            from digest.ingest.fetch import shared_fetcher

            stack.enter_context(shared_fetcher(settings.fetch))
            stack.enter_context(parallel_extraction(settings.ingest.extract_processes))
        for spec, outcome in zip(specs, pool.map(one, specs), strict=True):
            if isinstance(outcome, SourceFailure):
                result.failures.append(outcome)
            else:
                result.articles.extend(outcome)
            if on_done:
                on_done(spec, 0 if isinstance(outcome, SourceFailure) else len(outcome))
    return result


__all__ = [
    "Collected",
    "SourceFailure",
    "article_from_text",
    "collect",
    "read_configured",
    "read_file",
    "read_path",
    "read_source",
]
