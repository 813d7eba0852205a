"""The server side of the page's live counters: the social work's own counting rules.

The page's JavaScript (static/preview.js) re-implements these rules for live editing; the
tests evaluate it in Chromium and compare with these numbers. This module only adapts; the
rules themselves live in ``digest.render.lengths``.
"""

from __future__ import annotations

from digest.models import SocialPost


def count(platform: str, text: str) -> int:
    """Length of ``text`` by ``platform``'s rules (X weighted, graphemes, characters)."""
    from digest.render import lengths

    return lengths.count(platform, text)


def limit(platform: str, mastodon_limit: int = 500) -> int:
    from digest.render import lengths

    return lengths.limit(platform, mastodon_limit=mastodon_limit)


def post_problems(post: SocialPost) -> list[str]:
    """Why a post cannot be pasted as it is: the same checks the page's counters show."""
    problems = []
    if not post.text.strip():
        problems.append("empty")
    if post.length > post.limit:
        problems.append(f"{post.length} / {post.limit}: over by {post.length - post.limit}")
    if post.platform == "bluesky" and len(post.text.encode("utf-8")) > 3000:
        problems.append("over 3000 bytes")
    if post.platform == "threads" and len(post.links) > 5:
        problems.append(f"{len(post.links)} links (at most 5)")
    for i, part in enumerate(post.thread or [], start=1):
        n = count(post.platform, part)
        if n > post.limit:
            problems.append(f"thread part {i} is {n} / {post.limit}")
    return problems
