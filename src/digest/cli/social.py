"""`digest social` (posts for one article) and `digest length` (check a draft against a platform)."""

from __future__ import annotations

import sys

import click

from digest.cli.common import AppContext, emit_json, pass_app
from digest.errors import InputError
from digest.render.platforms import PLATFORMS

_PLATFORM = click.Choice(PLATFORMS, case_sensitive=False)


def _http_url(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None and not value.lower().startswith(("http://", "https://")):
        raise click.BadParameter(f"expected an http(s) URL, got {value!r}")
    return value


@click.command()
@click.argument("source")
@click.option("--url", callback=_http_url, help="The article's link (default: the URL the source gives).")
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
def social(
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
