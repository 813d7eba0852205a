"""`digest extract` (show what digest reads from a source) and `digest ingest` (fill the archive)."""

from __future__ import annotations

import sys
import textwrap
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

import click

from digest.cli.common import AppContext, emit_json, interrupt_on_signals, pass_app
from digest.cli.progress import progress_bar
from digest.errors import Interrupted
from digest.models import Article

if TYPE_CHECKING:
    from digest.ingest.to_archive import SourceReport


def article_record(article: Article) -> dict[str, Any]:
    return {
        "source": article.source,
        "title": article.title,
        "url": article.url,
        "published": article.published.isoformat() if article.published else None,
        "author": article.author,
        "site": article.site,
        "text": article.text,
        "related": [{"title": r.title, "url": r.url, "section": r.section} for r in article.related],
        "image": asdict(article.image) if article.image else None,
        "categories": list(article.categories),
    }


@click.command()
@click.argument("source")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON list of articles.")
@click.option(
    "--max-items", type=click.IntRange(1, 1000), default=20, show_default=True, help="Entries read from a feed."
)
@pass_app
def extract(app: AppContext, source: str, as_json: bool, max_items: int) -> None:
    """Show what digest reads from SOURCE: a file, folder, glob, "-" (stdin), feed URL or page URL."""
    from digest.ingest import is_url, read_source

    settings = app.settings
    if is_url(source):
        from digest.ingest import remote

        articles = remote.read_url(source, settings, max_items=max_items)
    else:
        articles = read_source(source, settings)
    if as_json:
        emit_json([article_record(a) for a in articles])
        return
    for i, article in enumerate(articles):
        if i:
            click.echo("")
        click.secho(article.title, bold=True)
        day = article.published.date().isoformat() if article.published else None
        facts = [x for x in (article.site, article.author, day) if x]
        if facts:
            click.echo(" · ".join(str(x) for x in facts))
        click.echo(article.url or article.source)
        preview = article.text if len(article.text) <= 600 else article.text[:600].rsplit(" ", 1)[0] + " …"
        click.echo(textwrap.indent(preview, "  "))
        for rel in article.related:
            click.echo(f"  related: {rel.title}" + (f" <{rel.url}>" if rel.url else ""))


def _failure(entry: SourceReport) -> str:
    """``source: reason`` without naming the source twice when the reason already starts with it."""
    error = entry.error or ""
    return error if error.startswith(entry.source) else f"{entry.source}: {error}"


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON report on stdout.")
@pass_app
def ingest(app: AppContext, as_json: bool) -> None:
    """Fetch every configured source into the archive; report new, known and failed per source."""
    from digest.ingest.to_archive import ingest_sources

    settings = app.settings
    total = len(settings.sources)
    done: list[SourceReport] = []
    with progress_bar() as bar:

        def step(entry: SourceReport) -> None:
            done.append(entry)
            if bar is not None:
                bar.advance("ingest", total=total, description=f"ingesting {entry.source[:40]}")

        try:
            with interrupt_on_signals():
                report = ingest_sources(settings, progress=step)
        except Interrupted as exc:
            stored = sum(e.new for e in done)
            exc.undone = (
                f"{total - len(done)} of {total} source(s) not ingested ({stored} new article(s) from the "
                "others are stored); run `digest ingest` again for the rest"
            )
            raise

    if as_json:
        emit_json(report.to_dict())
    else:
        for entry in report.sources:
            if entry.failed:
                click.echo(f"failed  {_failure(entry)}")
                continue
            note = " (not modified)" if entry.not_modified else ""
            click.echo(f"ok      {entry.source}: {entry.new} new, {entry.known} already known{note}")
            for warning in entry.warnings:
                click.echo(f"        warning: {warning}", err=True)
        click.echo(f"{report.new} new, {report.known} already known, {report.failed} failed")
    if not report.ok:
        first = next(s for s in report.sources if s.failed)
        click.echo(f"error: all {len(report.sources)} sources failed; first: {_failure(first)}", err=True)
        sys.exit(1)


__all__ = ["article_record", "extract", "ingest"]
