"""`digest summarize`: title, lede, key points and related stories of articles.

digest summarize article.txt                 human-readable
digest summarize article.html --json         one JSON object
digest summarize examples/articles/* --json  several files: a JSON list
cat a.md | digest summarize -                stdin (format sniffed)
digest summarize --jsonl < batch.jsonl       one JSON line out per JSON line in
"""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path
from typing import IO, Any

import click

from digest.cli.common import AppContext, emit_json, emit_jsonl, one_line, pass_app
from digest.cli.progress import progress_bar
from digest.config import Settings
from digest.errors import DigestError, InputError
from digest.ingest import is_url, read_source
from digest.ingest.files import articles_from_text, expand, read_articles, size_error
from digest.ingest.jsonfile import load_json
from digest.models import Article, Summary
from digest.summarize import summarize as summarize_article
from digest.summarize import summarize_text


def summary_record(article: Article, summary: Summary) -> dict[str, Any]:
    """The documented JSON shape for one summarized article (docs/json.md)."""
    return {
        "title": article.title,
        "lede": summary.lede,
        "key_points": list(summary.key_points),
        "related": [{"title": r.title, "url": r.url, "section": r.section} for r in article.related],
        "source": article.source,
        "text": article.text,
    }


def read_stdin(settings: Settings, stream: IO[bytes] | None = None) -> bytes:
    """Stdin, read no further than the size limit (a runaway pipe must not fill memory)."""
    stream = stream or sys.stdin.buffer
    limit = settings.ingest.max_file_bytes
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise size_error("-", len(data), limit, "input")
    return data


def read_sources(sources: tuple[str, ...], settings: Settings) -> tuple[list[Article], list[str], bool]:
    """(articles, error lines, single): ``single`` when exactly one file (or stdin) was named."""
    articles: list[Article] = []
    errors: list[str] = []
    single = len(sources) == 1
    for spec in sources:
        try:
            if not spec.strip():
                raise InputError('an empty source: give a file, a quoted glob, "-" for stdin or an http(s) URL')
            if spec == "-":
                articles.extend(articles_from_text(read_stdin(settings), "-", settings, fmt="auto"))
                continue
            if is_url(spec):
                articles.extend(read_url(spec, settings))
                continue
            path = Path(spec).expanduser()
            if path.is_dir():
                raise InputError(f"{spec}: is a directory; name its files instead (e.g. {spec.rstrip('/')}/*.txt)")
            files = expand(spec)
            if len(files) > 1 or files[0] != path:
                single = False
            for f in files:
                try:
                    articles.extend(read_articles(f, settings))
                except DigestError as exc:
                    errors.append(str(exc))
        except DigestError as exc:
            errors.append(str(exc))
    return articles, errors, single


def read_url(spec: str, settings: Settings) -> list[Article]:
    """A feed or page URL, through the shared dispatcher (feeds and pages are ingest.remote's)."""
    try:
        return read_source(spec, settings)
    except ImportError as exc:  # ingest.remote is a separate module; tolerate its absence
        if "digest.ingest" in str(exc) or (exc.name or "").startswith("digest.ingest"):
            raise InputError(f"{spec}: reading URLs is not available in this installation") from None
        raise


def summarize_all(
    articles: list[Article], settings: Settings, points: int | None
) -> tuple[list[dict[str, Any]], list[str]]:
    """Summaries in input order; one article that fails is reported, the others go on."""
    records: list[dict[str, Any]] = []
    errors: list[str] = []
    with progress_bar(len(articles) > 3) as bar:
        for article in articles:
            try:
                summary = summarize_article(article, settings.summary, points=points)
                records.append(summary_record(article, summary))
            except DigestError as exc:
                errors.append(f"{article.source}: {exc}")
            except Exception as exc:
                if len(articles) == 1:
                    raise
                errors.append(f"{article.source}: unexpected {type(exc).__name__}: {exc}")
            if bar is not None:
                bar.advance("summarize", total=len(articles), description="summarizing")
    return records, errors


def print_human(record: dict[str, Any], out: IO[str]) -> None:
    width = 88
    title = record["title"]
    out.write(f"{title}\n{'=' * min(len(title), width)}\n")
    out.write(f"source: {record['source']}\n\n")
    out.write(textwrap.fill(record["lede"], width) + "\n")
    if record["key_points"]:
        out.write("\nKey points:\n")
        for point in record["key_points"]:
            out.write(textwrap.fill(point, width, initial_indent="  • ", subsequent_indent="    ") + "\n")
    if record["related"]:
        out.write("\nRelated:\n")
        for rel in record["related"]:
            label = f"[{rel['section']}] " if rel["section"] else ""
            url = f" <{rel['url']}>" if rel["url"] else ""
            line = f"{label}{rel['title']}{url}"
            out.write(textwrap.fill(line, width, initial_indent="  - ", subsequent_indent="    "))
            out.write("\n")


def run_jsonl(stream: IO[bytes], settings: Settings, points: int | None) -> tuple[int, int]:
    """One output line per non-blank input line, in order; a bad line gets an error object."""
    done = failed = 0
    for number, raw in enumerate(stream, start=1):
        if not raw.strip():
            continue
        item_id: Any = None
        try:
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise InputError(f"line {number}: not UTF-8") from None
            data = load_json(line, f"line {number}")
            if not isinstance(data, dict):
                raise InputError(f"line {number}: expected a JSON object, got {type(data).__name__}")
            item_id = data.get("id")
            text = data.get("text")
            if not isinstance(text, str):
                raise InputError(f'line {number}: "text" must be a string')
            title = data.get("title")
            if title is not None and not isinstance(title, str):
                raise InputError(f'line {number}: "title" must be a string')
            title = title.strip() if title and title.strip() else None
            article = articles_from_text(text, f"line {number}", settings, title=title, fmt="plain")[0]
            if title is None:
                # the title was made from the opening sentence: that sentence is still the lede
                summary = summarize_text(article.text, None, settings.summary, points, article.language)
            else:
                summary = summarize_article(article, settings.summary, points=points)
            emit_jsonl({"id": item_id, "title": article.title, "lede": summary.lede, "key_points": summary.key_points})
            done += 1
        except DigestError as exc:
            emit_jsonl({"id": item_id, "error": one_line(str(exc))})
            failed += 1
        except Exception as exc:  # noqa: BLE001 - one bad line must never stop the batch
            message = f"line {number}: unexpected {type(exc).__name__}: {one_line(str(exc))}"
            emit_jsonl({"id": item_id, "error": message})
            failed += 1
    return done, failed


@click.command()
@click.argument("sources", nargs=-1, metavar="SOURCE...")
@click.option("--points", "-n", type=click.IntRange(1, 10), default=None, help="Key points per article (1-10).")
@click.option("--json", "as_json", is_flag=True, help="One JSON document on stdout (a list for several files).")
@click.option("--jsonl", is_flag=True, help="Batch mode: JSON lines in (stdin or SOURCE), one JSON line out per line.")
@pass_app
def summarize(app: AppContext, sources: tuple[str, ...], points: int | None, as_json: bool, jsonl: bool) -> None:
    """Summarize articles: title, lede, key points and the related stories they list.

    SOURCE is a .txt, .md, .html or .json file, a quoted glob, - for stdin, or an http(s)
    URL. A folder is refused: name its files (digest summarize folder/*). With one file,
    --json prints one object; with several, a list in the order given (files that cannot be
    read are reported on stderr, the others still printed, and the exit status is 1).
    """
    settings = app.settings
    if jsonl:
        if len(sources) > 1:
            raise click.UsageError("--jsonl reads one stream: stdin or a single file")
        spec = sources[0] if sources else "-"
        if spec == "-":
            done, bad_lines = run_jsonl(sys.stdin.buffer, settings, points)
        else:
            path = Path(spec)
            if not path.is_file():
                raise InputError(f"{spec}: {'is a directory' if path.is_dir() else 'no such file'}")
            with path.open("rb") as fh:
                done, bad_lines = run_jsonl(fh, settings, points)
        if bad_lines:
            click.echo(
                f"digest: {bad_lines} of {done + bad_lines} lines had errors (see their error objects)", err=True
            )
        return
    if not sources:
        raise click.UsageError("give a SOURCE (a file, a glob, or - for stdin), or use --jsonl")

    articles, errors, single = read_sources(sources, settings)
    if single and errors:
        raise InputError(errors[0])
    records, failed = summarize_all(articles, settings, points)
    errors += failed
    if single and failed and not records:
        raise InputError(failed[0])
    if as_json:
        emit_json(records[0] if single and len(records) == 1 else records)
    else:
        out = sys.stdout
        for i, record in enumerate(records):
            if i:
                out.write("\n" + "-" * 40 + "\n\n")
            print_human(record, out)
        out.flush()
    for error in errors:
        click.echo(f"error: {one_line(error)}", err=True)
    if errors:
        raise click.exceptions.Exit(1)
