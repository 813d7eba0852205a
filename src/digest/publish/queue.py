"""Scheduled posts: queue them, let an editor approve, edit or drop them, post the ones due.

A social job with ``post_to`` puts each new story's post in the post log: ``approved`` with a
``not_before`` time spaced by ``[social] spacing`` per account, or ``queued`` when the job
wants approval. Approving gives a queued post the next free slot. ``post_due`` (called by the
scheduler at each fire and every half minute) posts what is due, through ``post_logged``.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from digest.config import Settings, SocialAccountSettings, duration_seconds
from digest.errors import ConfigError, DigestError, InputError
from digest.publish import postlog
from digest.publish.accounts import Account
from digest.publish.base import LinkCard, PostKey, PostRequest, PublisherOptions
from digest.publish.posting import Outcome, post_logged
from digest.publish.registry import publisher_for

log = logging.getLogger("digest.publish")
_ROUND = threading.Lock()  # one round of posting at a time in a process (a fire's and the timer's)
_URL = re.compile(r"https?://[^\s<>\"]+")


def to_account(entry: SocialAccountSettings) -> Account:
    """The publisher's account for a ``[[social.accounts]]`` entry (X's ``service`` is its API root)."""
    return Account(
        name=entry.name,
        platform=entry.platform,
        instance=entry.instance,
        handle=entry.handle,
        service=entry.service if entry.platform == "bluesky" else None,
        api_url=entry.service if entry.platform == "x" else None,
    )


def account_named(settings: Settings, name: str) -> Account:
    for entry in settings.social_accounts:
        if entry.name == name:
            return to_account(entry)
    known = ", ".join(a.name for a in settings.social_accounts) or "none configured"
    raise ConfigError(f"no social account named {name!r} ([[social.accounts]] in {settings.label}: {known})")


def publisher_options(settings: Settings) -> PublisherOptions:
    return PublisherOptions(allow_private_addresses=settings.fetch.allow_private_addresses)


def spacing(settings: Settings) -> timedelta:
    return timedelta(seconds=duration_seconds(settings.social.spacing))


def card_from(data: Mapping[str, Any] | None) -> LinkCard | None:
    """A link card from the social writer's ``external`` (uri, title, description, thumb)."""
    if not data or not data.get("uri"):
        return None
    return LinkCard(
        uri=str(data["uri"]),
        title=str(data.get("title") or data["uri"]),
        description=str(data.get("description") or ""),
        thumb_url=data.get("thumb") or data.get("thumb_url"),
    )


def edited_facets(
    old_text: str, old_facets: Sequence[Mapping[str, Any]] | None, new_text: str
) -> list[dict[str, Any]] | None:
    """Bluesky facets for an edited text: the old links and tags where their text is still
    found, and every plain http(s) URL written into the new text."""
    from digest.render.social.facets import bluesky_facets
    from digest.render.social.links import LinkRef

    raw = old_text.encode("utf-8")
    links: list[LinkRef] = []
    tags: list[str] = []
    for facet in old_facets or []:
        index = facet.get("index", {})
        shown = raw[index.get("byteStart", 0) : index.get("byteEnd", 0)].decode("utf-8", "replace")
        for feature in facet.get("features", []):
            if feature.get("$type") == "app.bsky.richtext.facet#link" and shown:
                links.append(LinkRef(url=feature["uri"], text=shown))
            elif feature.get("$type") == "app.bsky.richtext.facet#tag":
                tags.append("#" + str(feature.get("tag", "")))
    links += [LinkRef(url=m.group(0), text=m.group(0)) for m in _URL.finditer(new_text)]
    return bluesky_facets(new_text, links, tags) or None


def check_fits(text: str, platform: str, settings: Settings) -> None:
    """An edited text the platform would refuse is refused now, with its count."""
    from digest.render.platforms import PLATFORMS, check_length

    if not text.strip():
        raise InputError("the text is empty: nothing to post")
    if platform not in PLATFORMS:
        return  # a plugin's platform: it counts for itself
    report = check_length(text, platform, settings.social.mastodon_limit)
    if not report.valid:
        raise InputError(f"{platform}: {report.length}/{report.limit}: " + "; ".join(report.problems))


# ------------------------------------------------------------------ queueing


@dataclass(frozen=True)
class QueueItem:
    """One story's post for one account, as a social job hands it over."""

    story: str
    text: str
    facets: list[dict[str, Any]] | None = None
    card: LinkCard | None = None
    title: str = ""
    link: str | None = None


def enqueue(
    engine: Engine,
    settings: Settings,
    account: Account,
    items: Iterable[QueueItem],
    *,
    job: str,
    approve: bool,
    start: datetime,
) -> list[postlog.LoggedPost]:
    """Add each item unless the log has it; spaced from ``start`` (or queued for approval)."""
    gap = spacing(settings)
    added: list[postlog.LoggedPost] = []
    for item in items:
        request = PostRequest(
            text=item.text, key=PostKey(item.story, account.name, 0), facets=item.facets, card=item.card
        )
        when = None if approve else postlog.next_slot(engine, account.name, start, gap)
        row, created = postlog.add(
            engine,
            request,
            account.platform,
            postlog.QUEUED if approve else postlog.APPROVED,
            job=job,
            not_before=when,
            extra={"title": item.title, "link": item.link},
        )
        if created:
            added.append(row)
    return added


def approve(
    engine: Engine,
    settings: Settings,
    ids: Sequence[int] | None,
    *,
    confirm_unknown: bool = False,
    now: datetime | None = None,
) -> list[postlog.LoggedPost]:
    """Give queued (or failed) posts their slots; ``ids`` None approves every queued post.

    A post left ``attempting`` on a platform without a duplicate guard needs ``confirm_unknown``.
    """
    now = now or datetime.now(UTC)
    gap = spacing(settings)
    rows = postlog.listing(engine, [postlog.QUEUED]) if ids is None else [postlog.get(engine, i) for i in ids]
    done: list[postlog.LoggedPost] = []
    for row in rows:
        if row.status == postlog.ATTEMPTING and not confirm_unknown:
            raise InputError(
                f"post {row.id} may already be on {row.platform} (an attempt got no answer): "
                "check the account, then approve it with --confirm-unknown"
            )
        if row.status not in (postlog.QUEUED, postlog.FAILED, postlog.ATTEMPTING):
            raise InputError(f"post {row.id} is {row.status}: only queued or failed posts can be approved")
        slot = postlog.next_slot(engine, row.account, now, gap)
        postlog.schedule(engine, row.id, slot)
        done.append(postlog.get(engine, row.id))
    return done


def edit(engine: Engine, settings: Settings, post_id: int, text: str) -> postlog.LoggedPost:
    row = postlog.get(engine, post_id)
    if row.status not in (postlog.QUEUED, postlog.APPROVED, postlog.FAILED):
        raise InputError(f"post {row.id} is {row.status}: only posts not yet sent can be edited")
    text = text.strip("\n")
    check_fits(text, row.platform, settings)
    facets = edited_facets(row.text, row.data.get("facets"), text) if row.platform == "bluesky" else None
    postlog.set_text(engine, row.id, text, facets)
    return postlog.get(engine, row.id)


def drop(engine: Engine, post_id: int) -> postlog.LoggedPost:
    row = postlog.get(engine, post_id)
    if row.status in (postlog.POSTED, postlog.ATTEMPTING):
        raise InputError(f"post {row.id} is {row.status}: it cannot be dropped any more")
    postlog.set_status(engine, [row.id], postlog.DROPPED)
    return postlog.get(engine, row.id)


# ------------------------------------------------------------------ posting what is due


def post_due(engine: Engine, settings: Settings, now: datetime | None = None) -> list[Outcome]:
    """Post every approved post whose time has come, one account after another.

    One account's trouble (a revoked token, a platform down) is logged and leaves its posts
    for the next round; the other accounts still post.
    """
    with _ROUND:
        return _post_due(engine, settings, now)


def _post_due(engine: Engine, settings: Settings, now: datetime | None) -> list[Outcome]:
    rows = postlog.due(engine, now)
    outcomes: list[Outcome] = []
    by_account: dict[str, list[postlog.LoggedPost]] = {}
    for row in rows:
        by_account.setdefault(row.account, []).append(row)
    for name, waiting in by_account.items():
        try:
            account = account_named(settings, name)
            with publisher_for(account, options=publisher_options(settings)) as publisher:
                for row in waiting:
                    if row.status == postlog.ATTEMPTING and not publisher.idempotent:
                        continue  # may be out already: `digest social approve --confirm-unknown`
                    for outcome in post_logged(engine, publisher, [row.request()], job=row.job):
                        outcomes.append(outcome)
                        level = logging.WARNING if outcome.status == "failed" else logging.INFO
                        log.log(
                            level, "%s post %s: %s %s", name, row.id, outcome.status, outcome.message or outcome.url
                        )
        except DigestError as exc:
            log.error("%s: %s (its due posts wait for the next round)", name, exc)
    return outcomes
