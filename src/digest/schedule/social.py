"""The "social" job: posts for every new story, e-mailed to the editors and kept as JSON.

"New" means: not in an earlier social copy of this job. Each job keeps a small ledger of the
stories it has covered (``DIGEST_DATA_DIR/social/<job>.seen.json``), so a social job can run
several times a day without repeating itself, independently of when the newsletter goes out.
Each fire writes ``DIGEST_DATA_DIR/social/<edition>.json`` first and marks it sent after the
backend accepted the e-mail: a catch-up or retry of the same fire finds it and sends nothing.
"""

from __future__ import annotations

import email.policy
import hashlib
import html
import json
import logging
import os
import tempfile
import threading
from dataclasses import asdict
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid
from pathlib import Path
from typing import Any

from digest.config import Settings
from digest.errors import ConfigError, DigestError
from digest.links import canonical_url
from digest.models import Article, SocialPost, Story
from digest.schedule.jobs import JobSpec
from digest.schedule.runner import RunOutcome, editors_for

log = logging.getLogger("digest.schedule")
LEDGER_LIMIT = 5000


def social_dir(settings: Settings) -> Path:
    folder = Path(settings.data_dir) / "social"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def edition_file(settings: Settings, edition: str) -> Path:
    """``social-copy@2026-03-02T06-30-00Z.json``: the edition, safe as a file name everywhere."""
    return social_dir(settings) / (edition.replace(":", "-") + ".json")


def article_key(article: Article) -> str:
    if article.guid:
        return "guid:" + article.guid
    if article.url:
        return "url:" + canonical_url(article.url)
    digest = hashlib.sha256((article.title + "\n" + article.text).encode("utf-8")).hexdigest()
    return "sha256:" + digest


def _write_json(path: Path, data: Any) -> None:
    """Atomic: a crash never leaves half a file that would block the retry."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False, indent=2, default=str)
    os.replace(tmp, path)


def _read_json(path: Path, default: Any) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return default
    except (OSError, ValueError) as exc:
        raise DigestError(f"{path}: unreadable ({exc}); move it aside to rebuild") from None


def load_ledger(settings: Settings, job: JobSpec) -> list[str]:
    return list(_read_json(social_dir(settings) / f"{job.name}.seen.json", []))


def save_ledger(settings: Settings, job: JobSpec, keys: list[str]) -> None:
    _write_json(social_dir(settings) / f"{job.name}.seen.json", keys[-LEDGER_LIMIT:])


def new_stories(job: JobSpec, settings: Settings, outcome: RunOutcome) -> list[Story]:
    """Read the sources, keep what this job has not covered yet, summarise only those."""
    from digest.ingest import collect
    from digest.summarize import summarize

    collected = collect(settings.sources, settings)
    if collected.failures:
        outcome.details["source_failures"] = [asdict(f) for f in collected.failures]
        for failure in collected.failures:
            log.warning("%s: source %s failed: %s", job.name, failure.source, failure.error)
        if not collected.articles:
            reasons = "; ".join(f"{f.source}: {f.error}" for f in collected.failures)
            raise DigestError(f"every source failed ({reasons})")
    seen = set(load_ledger(settings, job))
    fresh: list[Article] = []
    keys: set[str] = set()
    for article in collected.articles:
        key = article_key(article)
        if key not in seen and key not in keys:
            keys.add(key)
            fresh.append(article)
    return [Story(article=a, summary=summarize(a, settings.summary)) for a in fresh]


def build_posts(stories: list[Story], settings: Settings) -> list[list[SocialPost]]:
    """Posts per story, one per configured platform (digest.render.social writes and counts)."""
    from digest.render.social import SocialWriter, story_posts

    writer = SocialWriter(settings)
    return [story_posts(story, settings, writer=writer) for story in stories]


def post_record(post: SocialPost) -> dict[str, Any]:
    """The `digest social --json` shape, plus the counter an editor reads at a glance."""
    from digest.render.social import post_to_dict

    data = post_to_dict(post, thread=bool(post.thread))
    data["counter"] = f"{post.length}/{post.limit}"
    data["fits"] = post.length <= post.limit
    return data


def compose_email(
    job: JobSpec, settings: Settings, edition: str, items: list[dict[str, Any]], editors: tuple[str, ...]
) -> EmailMessage:
    """A plain, copy-ready e-mail: for each story, each platform's post with its counter."""
    title = settings.digest.title
    count = len(items)
    subject = f"Social copy — {title} — {count} new {'story' if count == 1 else 'stories'}"
    for what, value in (
        ("[digest] title", title),
        ("[delivery] from_name", settings.delivery.from_name),
        ("[delivery] from_address", settings.delivery.from_address),
    ):
        if "\r" in value or "\n" in value:
            raise ConfigError(f"{what}: a line break is not allowed in an e-mail header")
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = formataddr((settings.delivery.from_name, settings.delivery.from_address))
    msg["To"] = ", ".join(editors)
    msg["Date"] = format_datetime(datetime.now(UTC))
    msg["Message-ID"] = make_msgid(domain=settings.delivery.from_address.rpartition("@")[2] or None)
    msg["X-Digest-Edition"] = edition
    msg["Auto-Submitted"] = "auto-generated"

    lines = [f"{subject}", f"Edition {edition}", ""]
    blocks = []
    for n, item in enumerate(items, start=1):
        lines += [f"{n}. {item['title']}", f"   {item['url'] or ''}".rstrip(), ""]
        parts = [f"<h2 style='font-size:18px;margin:24px 0 4px'>{n}. {html.escape(item['title'])}</h2>"]
        if item["url"] and item["url"].lower().startswith(("http://", "https://")):
            parts.append(
                f"<p style='margin:0 0 8px'><a href='{html.escape(item['url'], quote=True)}'>"
                f"{html.escape(item['url'])}</a></p>"
            )
        for post in item["posts"]:
            flag = "" if post["fits"] else "  TOO LONG"
            lines += [f"--- {post['platform']} ({post['counter']}){flag} ---", post["text"], ""]
            colour = "#1a7f37" if post["fits"] else "#b42318"
            parts.append(
                f"<p style='margin:12px 0 2px;font:bold 13px sans-serif'>{html.escape(post['platform'])} "
                f"<span style='color:{colour}'>{html.escape(post['counter'])}</span></p>"
                f"<pre style='white-space:pre-wrap;font:14px/1.4 sans-serif;background:#f6f6f6;"
                f"padding:8px;margin:0'>{html.escape(post['text'])}</pre>"
            )
        blocks.append("".join(parts))
    msg.set_content("\n".join(lines), cte="quoted-printable")
    msg.add_alternative(
        "<!doctype html><html><body style='font-family:sans-serif;max-width:640px'>"
        f"<p style='color:#555'>{html.escape(subject)} · edition {html.escape(edition)}</p>"
        + "".join(blocks)
        + "</body></html>",
        subtype="html",
        cte="quoted-printable",
    )
    return msg


def send_email(settings: Settings, message: EmailMessage, editors: list[str]) -> tuple[list[str], list[str]]:
    """Hand one copy per editor to the configured backend; (delivered to, failure reasons)."""
    from digest.deliver.base import OutgoingMessage
    from digest.deliver.registry import backend_from_url

    data = message.as_bytes(policy=email.policy.SMTP)
    outgoing = [
        OutgoingMessage(
            sender=settings.delivery.from_address,
            recipient=editor,
            data=data,
            message_id=str(message["Message-ID"]),
            ref=editor,
        )
        for editor in editors
    ]
    backend = backend_from_url(settings.delivery.backend, settings)
    delivered, failures = [], []
    with backend:
        for result in backend.deliver(outgoing):
            if result.ok:
                delivered.append(result.message.recipient)
            else:
                failures.append(f"{result.message.recipient}: {result.code or ''} {result.reply}".strip())
    return delivered, failures


def run_social(job: JobSpec, settings: Settings, outcome: RunOutcome, stop: threading.Event | None) -> None:
    editors = editors_for(job, settings)
    path = edition_file(settings, outcome.edition)
    outcome.details["file"] = str(path)
    record = _read_json(path, None)
    if record is None:
        stories = new_stories(job, settings, outcome)
        if not stories and job.skip_if_empty:
            outcome.status, outcome.reason = "skipped", "nothing new"
            return
        items = [
            {
                "key": article_key(story.article),
                "title": story.article.title,
                "url": story.article.url,
                "source": story.article.source,
                "posts": [post_record(p) for p in posts],
            }
            for story, posts in zip(stories, build_posts(stories, settings), strict=True)
        ]
        record = {
            "edition": outcome.edition,
            "job": job.name,
            "created_at": datetime.now(UTC).isoformat(),
            "editors": list(editors),
            "sent_to": [],
            "stories": items,
        }
        _write_json(path, record)  # before sending: a retry of this fire sends exactly this copy
    outcome.details["stories"] = len(record["stories"])
    owed = [e for e in record["editors"] if e not in record["sent_to"]]
    outcome.skipped = len(record["editors"]) - len(owed)
    if not owed:
        outcome.status = "duplicate"
        return
    message = compose_email(job, settings, outcome.edition, record["stories"], tuple(record["editors"]))
    delivered, failures = send_email(settings, message, owed)
    record["sent_to"] = [*record["sent_to"], *delivered]
    if delivered and len(record["sent_to"]) == len(record["editors"]):
        record["sent_at"] = datetime.now(UTC).isoformat()
    _write_json(path, record)
    if "ledger_saved" not in record and delivered:
        save_ledger(settings, job, [*load_ledger(settings, job), *(i["key"] for i in record["stories"])])
        record["ledger_saved"] = True
        _write_json(path, record)
    outcome.sent, outcome.failed = len(delivered), len(failures)
    if failures:
        outcome.reason = "; ".join(failures)
        outcome.status = "partial" if delivered else "failed"
    else:
        outcome.status = "sent"
