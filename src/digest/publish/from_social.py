"""PostRequests from what the social writer made: one post, or a thread's parts in order.

The writer has already fitted each text to the platform and, for Bluesky, computed the facets
at UTF-8 byte offsets; this only attaches the keys and the card. The card goes on the first
post of a thread (the one that carries the story's link).
"""

from __future__ import annotations

from typing import Any

from digest.models import SocialPost
from digest.publish.base import LinkCard, PostKey, PostRequest


def post_requests(
    post: SocialPost,
    story: str,
    account: str,
    *,
    thread: bool = False,
    card: LinkCard | None = None,
    language: str | None = None,
) -> list[PostRequest]:
    """The requests to post ``post`` (its thread parts with ``thread``) for ``story`` on ``account``."""
    if not thread or not post.thread:
        key = PostKey(story, account, 0)
        return [PostRequest(text=post.text, key=key, facets=post.facets, card=card, language=language)]
    facets: list[list[dict[str, Any]] | None] = [None] * len(post.thread)
    if post.thread_facets:
        facets = list(post.thread_facets)
    return [
        PostRequest(
            text=text,
            key=PostKey(story, account, i),
            facets=part_facets,
            card=card if i == 1 else None,
            language=language,
        )
        for i, (text, part_facets) in enumerate(zip(post.thread, facets, strict=True), start=1)
    ]
