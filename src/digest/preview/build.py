"""One preview build: the digest, its email, its social posts and their warnings, made once.

The page and the email frames must show the SAME build: the digest is built and summarized
once per page load, and the frames ask for that build by id (see ``app.PreviewApp``), so a
20-story digest is never summarized twice for one look at the page. Social posts of stories
unchanged since the last load are reused (``PostsMemo``).
"""

from __future__ import annotations

import functools
import re
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jinja2

from digest.compose.build import BuildResult, build_digest
from digest.config import Settings
from digest.errors import DigestError
from digest.ingest import Spec
from digest.models import SocialPost, Story
from digest.preview import warnings as checks
from digest.preview.counting import post_problems
from digest.preview.files import placeholder_unsubscribe_url
from digest.render.email import RenderedEmail, render_email
from digest.render.size import html_bytes
from digest.render.templates import make_environment, template_dirs
from digest.sanitize import plain_text


@dataclass
class PreviewBuild:
    """Everything the page, the frames and /posts.json show, built once."""

    settings: Settings
    result: BuildResult
    email: RenderedEmail
    html: str  # as one recipient gets it (unsubscribe link and greeting filled in)
    text: str
    posts: list[list[SocialPost]]  # per story, one post per platform
    problems: list[list[list[str]]]  # per story and post: why it cannot be pasted as it is
    warnings: list[checks.PreviewWarning]
    seconds: float
    id: str = field(default_factory=lambda: secrets.token_hex(8))
    built_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def stories(self) -> list[Story]:
        return self.result.digest.stories

    @property
    def html_bytes(self) -> int:
        return html_bytes(self.html)


# one story's posts and, per post, why it cannot be pasted as it is
Made = tuple[list[SocialPost], list[list[str]]]


class PostsMemo:
    """Posts already made for a story, kept across page loads (a reload redoes only what changed).

    The key holds everything a post is made from: the whole settings, the article, its summary
    and teasers, and the size and time of every social template file. Change any of them and
    the posts are made afresh.
    """

    def __init__(self, size: int = 400) -> None:
        self._items: OrderedDict[tuple[Any, ...], Made] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...]) -> Made | None:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        return None

    def put(self, key: tuple[Any, ...], made: Made) -> None:
        with self._lock:
            self._items[key] = made
            while len(self._items) > self._size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


def social_templates_fingerprint(settings: Settings) -> tuple[tuple[str, int, int], ...]:
    """(path, mtime, size) of every file under each template folder's social/."""
    found = []
    for folder in template_dirs(settings):
        social = folder / "social"
        if social.is_dir():
            for path in sorted(social.rglob("*")):
                if path.is_file():
                    st = path.stat()
                    found.append((str(path), st.st_mtime_ns, st.st_size))
    return tuple(found)


def social_posts(
    stories: Sequence[Story], settings: Settings, memo: PostsMemo | None = None
) -> tuple[list[list[SocialPost]], list[list[list[str]]], list[str]]:
    """Posts per story and platform, from the summaries already made (never a second summary).

    The posts carry the digest's teasers, as the email does. One story whose posts cannot be
    made is reported, and the others still get theirs. Returns (posts, their problems, errors).
    """
    from digest.render.social import SocialWriter

    # A writer compiles its templates afresh; the server makes one per page load, so hand it an
    # environment kept across loads (Jinja still re-reads a template whose file changed).
    writer = SocialWriter(settings, environment=_social_environment(tuple(template_dirs(settings)), settings))
    fingerprint = social_templates_fingerprint(settings) if memo is not None else ()
    posts: list[list[SocialPost]] = []
    problems: list[list[list[str]]] = []
    errors: list[str] = []
    for i, story in enumerate(stories, start=1):
        key = (settings, fingerprint, repr(story.article), repr(story.summary), repr(story.teasers))
        made = memo.get(key) if memo is not None else None
        if made is None:
            try:
                story_posts = writer.posts(story.article, story.summary, teasers=story.teasers)
            except DigestError as exc:
                errors.append(f"Story {i} “{story.article.title}”: no social posts: {exc}")
                made = ([], [])
            else:
                made = (story_posts, [post_problems(p) for p in story_posts])
                if memo is not None:
                    memo.put(key, made)
        posts.append(made[0])
        problems.append(made[1])
    return posts, problems, errors


def build_preview(
    settings: Settings, sources: Sequence[Spec] | None = None, *, memo: PostsMemo | None = None
) -> PreviewBuild:
    """Build, render and check today's digest exactly as `digest preview` would.

    ``memo`` (the server keeps one) reuses the social posts of stories unchanged since the last
    build; without it every post is made afresh.
    """
    start = time.perf_counter()
    result = build_digest(settings, sources or None)
    email = render_email(result.digest, settings)
    html, text = email.personalize(placeholder_unsubscribe_url(settings), None)
    posts, problems, post_errors = social_posts(result.digest.stories, settings, memo)
    titles = [s.article.title for s in result.digest.stories]
    found = (
        checks.empty_warnings(result.digest.stories)
        + checks.failure_warnings(result.failures)
        + [checks.PreviewWarning("render", w) for w in [*result.digest.warnings, *email.warnings] if not _covered(w)]
        + [checks.PreviewWarning("post", m, "error") for m in post_errors]
        + checks.email_warnings(html, settings.email.max_html_bytes, posts)
        + checks.story_warnings(result.digest.stories, shown=plain_text)
        + checks.image_warnings(result.digest.stories, settings.email.images)
        + checks.post_warnings(posts, titles, problems)
    )
    for i, w in enumerate(found):  # the renderer's size-guard notes are size warnings
        if w.kind == "render" and re.search(r"\b(bytes|size|clip)", w.message, re.I):
            # stories left out of the email entirely are an error, not a note
            level = "error" if re.search(r"left out [1-9]", w.message) else w.level
            found[i] = checks.PreviewWarning("size", w.message, level)
    return PreviewBuild(
        settings=settings,
        result=result,
        email=email,
        html=html,
        text=text,
        posts=posts,
        problems=problems,
        warnings=checks.dedupe(found),
        seconds=time.perf_counter() - start,
    )


def _covered(message: str) -> bool:
    """Build notes the preview reports more precisely itself (failed sources, missing ledes)."""
    return message.startswith("source failed:") or "has no lede" in message


@functools.lru_cache(maxsize=8)
def _social_environment(dirs: tuple[Path, ...], settings: Settings) -> jinja2.Environment:
    return make_environment(settings, autoescape=False)
