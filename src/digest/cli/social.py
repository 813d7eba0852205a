"""`digest social` (posts for one article; the accounts and the post queue) and `digest length`."""

from __future__ import annotations

import sys
from typing import Any

import click

from digest.cli.common import AppContext, emit_json, one_line, pass_app
from digest.errors import InputError
from digest.render.platforms import PLATFORMS

_PLATFORM = click.Choice(PLATFORMS, case_sensitive=False)


def http_url(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None and not value.lower().startswith(("http://", "https://")):
        raise click.BadParameter(f"expected an http(s) URL, got {value!r}")
    return value


class SocialGroup(click.Group):
    """`digest social SOURCE` writes posts (the hidden ``write`` command); the words after
    `digest social` that name a subcommand (accounts, queue, approve, edit, drop) run it."""

    default = "write"

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args or (args[0] not in self.commands and args[0] not in ctx.help_option_names):
            args = [self.default, *args]
        return super().parse_args(ctx, args)

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        formatter.write_usage(ctx.command_path, "[OPTIONS] SOURCE | COMMAND [ARGS]...")

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        write = self.commands[self.default]
        with formatter.section("Options (digest social SOURCE)"):
            options = [p for p in write.get_params(ctx) if isinstance(p, click.Option)]
            formatter.write_dl([r for p in options if (r := p.get_help_record(ctx)) is not None])
        self.format_commands(ctx, formatter)


@click.group(cls=SocialGroup, context_settings={"help_option_names": ["-h", "--help"]})
def social() -> None:
    """Social posts for the article in SOURCE (a file, or - for stdin), each fitted to its platform.

    The commands below check the [[social.accounts]] and handle the queue of scheduled posts
    (jobs with post_to); `digest post` posts to an account.
    """


@social.command(name="write", hidden=True)
@click.argument("source")
@click.option("--url", callback=http_url, help="The article's link (default: the URL the source gives).")
@click.option(
    "--platform",
    "platforms",
    type=_PLATFORM,
    multiple=True,
    help="Only this platform (repeatable). Default: [social] platforms, all five.",
)
@click.option("--thread", is_flag=True, help="Also split into numbered posts (1/3 …): hook, key points, related.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@pass_app
def write(
    app: AppContext, source: str, url: str | None, platforms: tuple[str, ...], thread: bool, as_json: bool
) -> None:
    """Social posts for the article in SOURCE (a file, or - for stdin), each fitted to its platform."""
    from digest.ingest import read_source
    from digest.render.social import SocialWriter, post_to_dict
    from digest.summarize import summarize

    settings = app.settings
    articles = read_source(source, settings)
    if not articles:
        raise InputError(f"{source}: no article found")
    article = articles[0]
    if len(articles) > 1:
        click.echo(f"note: {source} holds {len(articles)} articles; posts are for the first: {article.title}", err=True)
    if not article.text.strip() and not article.title.strip():
        raise InputError(f"{source}: empty article: nothing to post")
    if not (url or article.url):
        click.echo(f"warning: {source}: the article has no link; pass --url to add one", err=True)
    summary = summarize(article, settings.summary)
    names = list(dict.fromkeys(p.lower() for p in platforms)) or list(settings.social.platforms)
    posts = SocialWriter(settings).posts(article, summary, names, url=url, thread=thread)
    for post in posts:
        for warning in post.warnings:
            click.echo(f"warning: {warning}", err=True)
    if as_json:
        emit_json({"posts": [post_to_dict(p, thread=thread) for p in posts]})
        return
    for i, post in enumerate(posts):
        if i:
            click.echo()
        click.echo(click.style(f"{post.platform}  ({post.length}/{post.limit})", bold=True))
        click.echo(post.text)
        if post.link_attachment:
            click.echo(f"[link attachment: {post.link_attachment}]")
        if thread and post.thread:
            click.echo(click.style(f"--- thread ({len(post.thread)} posts)", dim=True))
            for part in post.thread:
                click.echo(part)
                click.echo()


@click.command()
@click.option("--platform", "platform", type=_PLATFORM, required=True, help="Whose counting rules to apply.")
@click.argument("text")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@pass_app
def length(app: AppContext, platform: str, text: str, as_json: bool) -> None:
    """Length of TEXT (or - for stdin) by PLATFORM's own counting, its limit, and whether it fits."""
    from digest.render.platforms import check_length

    if text == "-":
        text = sys.stdin.read()
        if text.endswith("\n"):  # the newline a shell or editor adds is not part of the draft
            text = text[:-1]
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:  # a byte the terminal's encoding could not decode
        where = "stdin" if text == "-" else "TEXT"
        raise InputError(
            f"{where}: not valid text at character {exc.start + 1} (a byte that is not UTF-8); pass the draft as UTF-8"
        ) from None
    report = check_length(text, platform.lower(), app.settings.social.mastodon_limit)
    if as_json:
        emit_json({"platform": report.platform, "length": report.length, "limit": report.limit, "valid": report.valid})
        return
    verdict = "fits" if report.valid else "does NOT fit: " + "; ".join(report.problems)
    click.echo(f"{report.platform}  {report.length}/{report.limit}  {verdict}")


# ---------------------------------------------------------------- accounts and the post queue


@social.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@pass_app
def accounts(app: AppContext, as_json: bool) -> None:
    """List the [[social.accounts]] and check that each can log in (posts nothing; secrets never shown)."""
    from digest.errors import DigestError
    from digest.publish.queue import publisher_options, to_account
    from digest.publish.registry import publisher_for

    settings = app.settings
    found: list[dict[str, Any]] = []
    for entry in settings.social_accounts:
        item: dict[str, Any] = {"name": entry.name, "platform": entry.platform, "ok": False}
        try:
            with publisher_for(to_account(entry), options=publisher_options(settings)) as publisher:
                info = publisher.verify()
            item.update(ok=True, id=info.id, handle=info.handle, url=info.url)
        except DigestError as exc:
            item["error"] = one_line(str(exc))
        found.append(item)
        if not as_json:
            where = entry.instance or entry.service or ""
            line = f"{entry.name}  {entry.platform}  {where}".rstrip()
            verdict = f"ok: {item['handle']}" if item["ok"] else f"FAILED: {item['error']}"
            click.echo(f"{line}  {verdict}")
    if as_json:
        emit_json({"accounts": found})
    elif not found:
        click.echo(f"no [[social.accounts]] in {settings.label}", err=True)
    if any(not item["ok"] for item in found):
        click.get_current_context().exit(1)


def _queue_item(row: Any, settings: Any) -> dict[str, Any]:
    from digest.render.platforms import PLATFORMS, check_length

    item: dict[str, Any] = {
        "id": row.id,
        "account": row.account,
        "platform": row.platform,
        "story": row.story,
        "title": row.data.get("title") or "",
        "status": row.status,
        "text": row.text,
        "not_before": row.not_before.isoformat() if row.not_before else None,
        "job": row.job,
    }
    if row.platform in PLATFORMS:
        report = check_length(row.text, row.platform, settings.social.mastodon_limit)
        item["counter"] = f"{report.length}/{report.limit}"
        item["fits"] = report.valid
    if row.message:
        item["message"] = row.message
    return item


@social.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@pass_app
def queue(app: AppContext, as_json: bool) -> None:
    """Posts waiting: for approval (queued), for their time (approved), or after a failure."""
    from digest.publish import postlog
    from digest.storage.engine import open_engine

    settings = app.settings
    engine = open_engine(settings)
    try:
        rows = postlog.listing(engine)
        counts = postlog.counts(engine)
    finally:
        engine.dispose()
    items = [_queue_item(r, settings) for r in rows]
    if as_json:
        emit_json({"posts": items, "counts": counts})
        return
    if not items:
        click.echo("the queue is empty")
    for item in items:
        when = f"  at {item['not_before']}" if item["not_before"] and item["status"] == "approved" else ""
        counter = f"  ({item['counter']})" if "counter" in item else ""
        click.echo(
            click.style(
                f"#{item['id']}  {item['status']}  {item['platform']}/{item['account']}{counter}{when}", bold=True
            )
        )
        click.echo(item["text"])
        if "message" in item:
            click.echo(f"  ! {item['message']}")
        click.echo()
    click.echo(", ".join(f"{n} {status}" for status, n in counts.items() if n))


def _post_id(ctx: click.Context, param: click.Parameter, value: str | None) -> int | None:
    if value is None:
        return None
    if not value.strip().lstrip("#").isdigit():
        raise click.BadParameter(f"expected a post number from `digest social queue`, got {value!r}")
    return int(value.strip().lstrip("#"))


@social.command()
@click.argument("post_id", metavar="ID", required=False, callback=_post_id)
@click.option("--all", "approve_all", is_flag=True, help="Approve every queued post.")
@click.option(
    "--confirm-unknown", is_flag=True, help="Also a post that may already be out (an X attempt with no answer)."
)
@pass_app
def approve(app: AppContext, post_id: int | None, approve_all: bool, confirm_unknown: bool) -> None:
    """Approve a queued post (or --all): it goes out at its turn, spaced by [social] spacing."""
    from digest.publish import queue as posts
    from digest.storage.engine import open_engine

    if (post_id is None) == (not approve_all):
        raise click.UsageError("give one post ID or --all")
    engine = open_engine(app.settings)
    try:
        done = posts.approve(
            engine, app.settings, None if approve_all else [post_id or 0], confirm_unknown=confirm_unknown
        )
    finally:
        engine.dispose()
    for row in done:
        when = row.not_before.isoformat() if row.not_before else "now"
        click.echo(f"#{row.id} approved: {row.platform}/{row.account} at {when}")
    if not done:
        click.echo("nothing queued to approve")


@social.command()
@click.argument("post_id", metavar="ID", callback=_post_id)
@click.option("--text-file", type=click.Path(dir_okay=False), required=True, help="The new text (UTF-8).")
@pass_app
def edit(app: AppContext, post_id: int, text_file: str) -> None:
    """Replace a waiting post's text (checked against the platform's limit; Bluesky links kept)."""
    from digest.cli.post import read_text_file
    from digest.publish import queue as posts
    from digest.storage.engine import open_engine

    text = read_text_file(text_file)
    engine = open_engine(app.settings)
    try:
        row = posts.edit(engine, app.settings, post_id, text)
    finally:
        engine.dispose()
    click.echo(f"#{row.id} edited ({row.status})")


@social.command()
@click.argument("post_id", metavar="ID", callback=_post_id)
@pass_app
def drop(app: AppContext, post_id: int) -> None:
    """Never post this one (it stays in the log as dropped, so no later run posts it)."""
    from digest.publish import queue as posts
    from digest.storage.engine import open_engine

    engine = open_engine(app.settings)
    try:
        row = posts.drop(engine, post_id)
    finally:
        engine.dispose()
    click.echo(f"#{row.id} dropped")
