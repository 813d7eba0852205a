"""The stable id of a story in the post log: its canonical link, else its feed guid, else a hash."""

from __future__ import annotations

import hashlib

from digest.links import canonical_url
from digest.models import Article


def story_key(article: Article, url: str | None = None) -> str:
    """``url:<canonical link>`` (so `digest post` and a social job name a story alike), else
    ``guid:<feed guid>``, else ``sha256:<title and text>``."""
    link = url or article.url
    if link:
        return "url:" + canonical_url(link)
    if article.guid:
        return "guid:" + article.guid
    digest = hashlib.sha256((article.title + "\n" + article.text).encode("utf-8")).hexdigest()
    return "sha256:" + digest
