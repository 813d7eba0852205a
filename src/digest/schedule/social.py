"""The "social" job: posts for every new story, e-mailed to the editors and kept as JSON.

"New" means: not in an earlier social copy of this job. Each job keeps a small ledger of the
stories it has covered (``DIGEST_DATA_DIR/social/<job>.seen.json``), so a social job can run
several times a day without repeating itself, independently of when the newsletter goes out.
Each fire writes ``DIGEST_DATA_DIR/social/<edition>.json`` first and marks it sent after the
backend accepted the e-mail: a catch-up or retry of the same fire finds it and sends nothing.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import threading
from dataclasses import asdict
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from digest.config import Settings
from digest.errors import DigestError
from digest.links import canonical_url
from digest.mailing.notice import compose_notice, deliver_notice
from digest.models import Article, SocialPost, Story
from digest.render.templates import make_environment, template_errors
from digest.sanitize import safe_url
from digest.schedule.jobs import JobSpec, editors_for
from digest.schedule.outcome import RunOutcome

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
    except (OSError, ValueError, RecursionError) as exc:
        raise DigestError(f"{path}: unreadable ({type(exc).__name__}); move it aside to rebuild") from None


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
    """A plain, copy-ready e-mail: for each story, each platform's post with its counter.

    Its bodies come from ``email/social-copy.{txt,html}.j2`` (overridable like the digest's);
    its headers from the same checked sender as every message digest sends.
    """
    count = len(items)
    subject = f"Social copy — {settings.digest.title} — {count} new {'story' if count == 1 else 'stories'}"
    views = [{**item, "link": safe_url(item["url"]) if _is_web(item["url"]) else None} for item in items]
    context = {"subject": subject, "edition": edition, "items": views}
    with template_errors():
        text = make_environment(settings, autoescape=False).get_template("email/social-copy.txt.j2").render(context)
        html = make_environment(settings).get_template("email/social-copy.html.j2").render(context)
    headers = {"X-Digest-Edition": edition, "Auto-Submitted": "auto-generated"}
    return compose_notice(settings, to=editors, subject=subject, text=text, html=html, headers=headers)


def _is_web(url: str | None) -> bool:
    return bool(url) and str(url).lower().startswith(("http://", "https://"))


def send_email(settings: Settings, message: EmailMessage, editors: list[str]) -> tuple[list[str], list[str]]:
    """Hand one copy per editor to the configured backend; (delivered to, failure reasons)."""
    return deliver_notice(settings, message, editors)


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
