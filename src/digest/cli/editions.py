"""`digest editions`: list editions, and review drafts: show, edit, approve (send) or discard."""

from __future__ import annotations

import sys
from typing import Any

import click

from digest.cli.common import AppContext, emit_json, pass_app, stop_on_signals
from digest.cli.progress import progress_bar


@click.group()
def editions() -> None:
    """Editions: drafts waiting for review, approved and sent ones."""


@editions.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON list on stdout.")
@pass_app
def list_(app: AppContext, as_json: bool) -> None:
    """Every edition, newest first, with its status (draft, approved, sent, discarded)."""
    from digest.mailing.drafts import list_editions
    from digest.storage.engine import open_engine

    engine = open_engine(app.settings)
    try:
        found = list_editions(engine)
    finally:
        engine.dispose()
    if as_json:
        emit_json([e.to_json() for e in found])
        return
    for e in found:
        when = f" review by {e.review_by:%Y-%m-%d %H:%M} UTC" if e.status == "draft" and e.review_by else ""
        click.echo(f"{e.edition:<40} {e.status:<10} {e.stories:>3} stories  {e.created_at:%Y-%m-%d %H:%M}{when}")
    _scheduled(app)


def _scheduled(app: AppContext) -> None:
    """The next fire of each scheduled digest job (human output only)."""
    from digest.errors import DigestError

    try:
        from digest.schedule.jobs import load_jobs, resolve_jobs_dir
        from digest.schedule.service import next_fire

        settings = app.settings
        loaded = load_jobs(resolve_jobs_dir(None, settings), settings.digest.timezone)
    except DigestError:
        return  # no jobs folder: nothing scheduled
    for job in loaded.jobs:
        if job.kind == "digest" and job.enabled:
            nxt = next_fire(job)
            review = " (for review)" if job.approve else ""
            when = f"{nxt.isoformat()}" if nxt else "never"
            click.echo(f"{job.name + '@…':<40} {'scheduled':<10} next fire {when}{review}")


@editions.command("show")
@click.argument("edition")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document on stdout.")
@pass_app
def show(app: AppContext, edition: str, as_json: bool) -> None:
    """An edition's status and, for a draft, its stories as edited so far."""
    from digest.mailing.drafts import draft_digest, get_edition
    from digest.storage.engine import open_engine

    engine = open_engine(app.settings)
    try:
        found = get_edition(engine, edition)
        digest = draft_digest(engine, edition) if found.edits is not None and found.status == "draft" else None
    finally:
        engine.dispose()
    stories: list[dict[str, Any]] = []
    for number, story in enumerate(digest.stories if digest else [], start=1):
        stories.append(
            {
                "number": number,
                "title": story.article.title,
                "url": story.article.url,
                "section": story.section,
                "lede": story.summary.lede,
                "key_points": list(story.summary.key_points),
                "image": story.article.image.url if story.article.image else None,
                "edited": list(story.edited),
            }
        )
    if as_json:
        emit_json({**found.to_detail(), "story_list": stories})
        return
    click.echo(f"{found.edition}: {found.status}, {found.stories} stories, list {found.list_name}")
    if found.subject:
        click.echo(f"subject: {found.subject}")
    if found.review_by and found.status == "draft":
        click.echo(f"review by {found.review_by.isoformat()} (then: {found.on_timeout or 'skip'})")
    for item in stories:
        marks = f"  [edited: {', '.join(item['edited'])}]" if item["edited"] else ""
        section = f"[{item['section']}] " if item["section"] else ""
        click.echo(f"\n{item['number']}. {section}{item['title']}{marks}")
        click.echo(f"   {item['lede']}")
        for k, point in enumerate(item["key_points"], start=1):
            click.echo(f"   {k}) {point}")


@editions.command("edit")
@click.argument("edition")
@click.option("--drop", multiple=True, metavar="N", help="Drop story N.")
@click.option("--move", multiple=True, metavar="N:M", help="Move story N to position M.")
@click.option("--pin", multiple=True, metavar="N", help="Move story N to the top.")
@click.option("--lede", multiple=True, metavar='N:"TEXT"', help="Replace story N's lede with your words.")
@click.option(
    "--point",
    multiple=True,
    metavar='N:K:"TEXT"',
    help="Replace key point K of story N (K = one past the last adds one).",
)
@click.option("--image", multiple=True, metavar="N:URL", help="Use this https image for story N.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document on stdout.")
@pass_app
def edit(
    app: AppContext,
    edition: str,
    drop: tuple[str, ...],
    move: tuple[str, ...],
    pin: tuple[str, ...],
    lede: tuple[str, ...],
    point: tuple[str, ...],
    image: tuple[str, ...],
    as_json: bool,
) -> None:
    """Edit a draft. Edits apply in the order given here: drops, moves, pins, then ledes, key
    points and images; numbers are positions in the draft as it is at that moment."""
    from digest.mailing.drafts import edit_draft, parse_edit

    ops = [
        *(parse_edit("drop", v) for v in drop),
        *(parse_edit("move", v) for v in move),
        *(parse_edit("pin", v) for v in pin),
        *(parse_edit("lede", v) for v in lede),
        *(parse_edit("point", v) for v in point),
        *(parse_edit("image", v) for v in image),
    ]
    if not ops:
        raise click.UsageError("give at least one edit: --drop, --move, --pin, --lede, --point or --image")
    found = edit_draft(app.settings, edition, ops)
    if as_json:
        emit_json(found.to_detail())
    else:
        click.echo(f"{found.edition}: {len(ops)} edit(s) saved ({len(found.edits)} in all); {found.stories} stories")


@editions.command("approve")
@click.argument("edition")
@click.option("--json", "as_json", is_flag=True, help="Print the send report as JSON.")
@pass_app
def approve(app: AppContext, edition: str, as_json: bool) -> None:
    """Approve a draft and send it (exactly once per subscriber, like `digest send`)."""
    from digest.mailing.drafts import approve as approve_draft

    with progress_bar(eta=True) as bar, stop_on_signals() as cancel:
        progress = (lambda done, total: bar.update("sending", done, total)) if bar else None
        report = approve_draft(app.settings, edition, progress=progress, cancel=cancel)
    if as_json:
        emit_json(report.to_json())
    else:
        click.echo(f"edition {edition} approved: {report.sent} sent, {report.failed} failed via {report.backend}")
    if report.cancelled:
        click.echo(f"stopped: {report.pending} still owed; run `digest editions approve {edition}` again", err=True)
        sys.exit(1)


@editions.command("discard")
@click.argument("edition")
@pass_app
def discard(app: AppContext, edition: str) -> None:
    """Drop a draft: it is never sent."""
    from digest.mailing.drafts import discard as discard_draft

    found = discard_draft(app.settings, edition)
    click.echo(f"edition {found.edition} discarded")
