"""`digest post`: post a story's social post (or thread) to one configured account, exactly once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from digest.cli.common import AppContext, emit_json, pass_app
from digest.cli.social import http_url
from digest.errors import InputError

THREAD_SEPARATOR = "---"


def read_text_file(path: str) -> str:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from None
    return text.replace("\r\n", "\n")


def thread_parts(text: str) -> list[str]:
    """A --text-file for a thread: its parts separated by lines holding only ---."""
    parts: list[list[str]] = [[]]
    for line in text.split("\n"):
        if line.strip() == THREAD_SEPARATOR:
            parts.append([])
        else:
            parts[-1].append(line)
    return [p for p in ("\n".join(lines).strip("\n") for lines in parts) if p.strip()]


@click.command()
@click.argument("source")
@click.option("--account", "account_name", required=True, help="The [[social.accounts]] name to post to.")
@click.option("--url", callback=http_url, help="The article's link (default: the URL the source gives).")
@click.option("--thread", is_flag=True, help="Post the numbered thread (1/n …) as replies, in order.")
@click.option(
    "--text-file",
    type=click.Path(dir_okay=False),
    help="Post this edited text instead (UTF-8; with --thread, parts separated by lines of ---).",
)
@click.option("--dry-run", is_flag=True, help="Show what would be posted; post nothing, log nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@click.option(
    "--confirm-unknown",
    is_flag=True,
    help="Post again what an earlier run may have posted without an answer (X only; check the account first).",
)
@pass_app
def post(
    app: AppContext,
    source: str,
    account_name: str,
    url: str | None,
    thread: bool,
    text_file: str | None,
    dry_run: bool,
    as_json: bool,
    confirm_unknown: bool,
) -> None:
    """Post the post `digest social` writes for SOURCE to one account; a re-run posts only what is missing."""
    from digest.ingest import read_source
    from digest.publish import post_requests, postlog
    from digest.publish.posting import Outcome, post_logged
    from digest.publish.queue import account_named, card_from, check_fits, edited_facets, publisher_options
    from digest.publish.registry import publisher_for
    from digest.publish.stories import story_key
    from digest.render.platforms import PLATFORMS
    from digest.render.social import SocialWriter
    from digest.storage.engine import open_engine
    from digest.summarize import summarize

    settings = app.settings
    account = account_named(settings, account_name)
    if account.platform not in PLATFORMS:
        raise InputError(f"account {account.name!r}: digest writes no posts for platform {account.platform!r}")
    articles = read_source(source, settings)
    if not articles:
        raise InputError(f"{source}: no article found")
    article = articles[0]
    if not article.text.strip() and not article.title.strip():
        raise InputError(f"{source}: empty article: nothing to post")
    story = story_key(article, url)
    summary = summarize(article, settings.summary)
    social = SocialWriter(settings).post(article, summary, account.platform, url=url, thread=thread)
    for warning in social.warnings:
        click.echo(f"warning: {warning}", err=True)
    if text_file is not None:
        edited = read_text_file(text_file)
        if thread:
            parts = thread_parts(edited)
            if not parts:
                raise InputError(f"{text_file}: no text: nothing to post")
            old = social.thread or [social.text]
            old_facets = social.thread_facets or [social.facets or []] * len(old)
            social.thread_facets = [
                edited_facets(old[min(i, len(old) - 1)], old_facets[min(i, len(old_facets) - 1)], p) or []
                for i, p in enumerate(parts)
            ]
            social.thread = parts
        else:
            new_text = edited.strip("\n")
            social.facets = edited_facets(social.text, social.facets, new_text)
            social.text = new_text
    if account.platform != "bluesky":
        social.facets, social.thread_facets = None, None
    requests = post_requests(social, story, account.name, thread=thread, card=card_from(social.card))
    if thread and not social.thread:
        raise InputError(f"{source}: the story makes no thread")
    for request in requests:
        check_fits(request.text, account.platform, settings)

    engine = open_engine(settings)
    try:
        if dry_run:
            shown = []
            for request in requests:
                row = postlog.find(engine, request.key)
                status = "already_posted" if row is not None and row.status == postlog.POSTED else "would_post"
                shown.append(
                    {
                        "account": account.name,
                        "platform": account.platform,
                        "id": row.platform_id if row else None,
                        "url": row.url if row else None,
                        "status": status,
                        "text": request.text,
                    }  # fmt: skip
                )
            if as_json:
                emit_json({"posts": shown})
            else:
                for item in shown:
                    click.echo(click.style(f"{item['status']}  {account.platform}/{account.name}", bold=True))
                    click.echo(item["text"])
                    click.echo()
            return

        def show(outcome: Outcome) -> None:
            for warning in outcome.warnings:
                click.echo(f"warning: {warning}", err=True)
            if as_json:
                return
            part = f" part {outcome.part}" if outcome.part else ""
            where = outcome.url or outcome.id or ""
            line = f"{outcome.status}  {account.platform}/{account.name}{part}  {where}".rstrip()
            click.echo(line if not outcome.message else f"{line}: {outcome.message}")

        with publisher_for(account, options=publisher_options(settings)) as publisher:
            outcomes = post_logged(
                engine,
                publisher,
                requests,
                confirm_unknown=confirm_unknown,
                extra={"title": article.title, "link": url or article.url},
                on_outcome=show,
            )
    finally:
        engine.dispose()
    missing = len(requests) - len(outcomes)
    if as_json:
        payload: dict[str, Any] = {"posts": [o.to_json() for o in outcomes]}
        emit_json(payload)
    if any(o.unknown for o in outcomes):
        click.echo(f"warning: {next(o.message for o in outcomes if o.unknown)}", err=True)
    if missing > 0:
        click.echo(
            f"note: {missing} later part(s) of the thread not posted; run again once the failure is fixed", err=True
        )
    if any(o.status == "failed" for o in outcomes):
        click.get_current_context().exit(1)
