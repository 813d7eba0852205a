"""Links as posts show them: written so each platform's linkifier takes the whole URL, and
shortened the way Bluesky's own app shows them (the facet carries the full URL)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlsplit, urlunsplit

import regex

from digest.render.social.fit import ELLIPSIS, GRAPHEME
from digest.render.twitter_text import extract_url_spans
from digest.sanitize import safe_url

BLUESKY_LINK_CHARS = 30

_PATH_END_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-=_#/")
_QUERY_END_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_&=#/")
_TRAILING_URL_PUNCT = frozenset(".,!?;:'*()[]$@~|&%")
_URL_SCHEME = regex.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://(www\.)?")


@dataclass
class LinkRef:
    """A link as a post shows it (``text``) and where it goes (``url``, with UTM, never cut)."""

    url: str
    text: str


@dataclass
class RelatedRef:
    title: str
    link: str
    url: str


def web_link(url: str | None, base: str | None = None) -> str | None:
    """An absolute http(s) URL fit to post, or None (relative links resolve against ``base``)."""
    safe = safe_url(url, base)
    return safe if safe and safe.lower().startswith(("http://", "https://")) else None


def linkable(url: str) -> str:
    """The URL written so that twitter-text's linkifier (X, and Mastodon's server) takes all of it.

    Characters its URL grammar stops at (non-ASCII or unusual path characters, a trailing ".")
    are percent-encoded, which leaves the address the same; a link must never be cut.
    """
    if _whole_url(url):
        return url
    parts = urlsplit(url)
    path = _encode_last(quote(parts.path, safe="/%:@!$&'()*+,;=~-._"), _PATH_END_CHARS)
    query = _encode_last(quote(parts.query, safe="=&%/:?@!$'()*+,;~-._"), _QUERY_END_CHARS)
    fragment = _encode_last(quote(parts.fragment, safe="=&%/:?@!$'()*+,;~-._"), _QUERY_END_CHARS)
    url = urlunsplit((parts.scheme, parts.netloc, path, query, fragment))
    while not _whole_url(url) and url and url[-1] in _TRAILING_URL_PUNCT:
        url = url[:-1] + f"%{ord(url[-1]):02X}"
    return url


def _encode_last(part: str, allowed: frozenset[str]) -> str:
    """twitter-text ends a path or query only on certain characters: encode any other last one."""
    if part and part[-1] not in allowed and part[-1].isascii():
        return part[:-1] + f"%{ord(part[-1]):02X}"
    return part


def _whole_url(url: str) -> bool:
    return extract_url_spans(url, without_protocol=False) == [(0, len(url))]


def short_link_text(url: str, limit: int = BLUESKY_LINK_CHARS) -> str:
    """How Bluesky's own app shows a link: no scheme, no www., cut to ~30 characters."""
    text = _URL_SCHEME.sub("", url)
    if len(text) <= limit:
        return text
    clusters = GRAPHEME.findall(text) if not text.isascii() else list(text)
    return "".join(clusters[: limit - 1]).rstrip("/.?&=#-_") + ELLIPSIS if len(clusters) > limit else text
