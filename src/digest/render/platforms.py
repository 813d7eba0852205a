"""Each social platform's own counting rules and limits.

A post one character over is rejected by the platform, so every count here is the platform's
own: X's weighted length (twitter-text v3), grapheme clusters for Bluesky and Mastodon (with
Mastodon's flat 23 per http(s) URL), UTF-16 code units for LinkedIn and Threads (what their
JavaScript composers count; never fewer than the characters a person sees).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import regex

from digest.config import SOCIAL_PLATFORMS
from digest.errors import ConfigError
from digest.render.twitter_text import extract_url_spans, parse_tweet

PLATFORMS: tuple[str, ...] = SOCIAL_PLATFORMS

_GRAPHEME = regex.compile(r"\X")
_MASTODON_MENTION = regex.compile(r"(?<![\w/@])(@[\w.]+)@[\w.-]+\.\w+", regex.UNICODE)
MASTODON_URL_LENGTH = 23


def graphemes(text: str) -> int:
    """Extended grapheme clusters: what a reader sees as one character."""
    if text.isascii():
        return len(text) - text.count("\r\n")
    return len(_GRAPHEME.findall(text))


def utf16_units(text: str) -> int:
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le")) // 2


@dataclass(frozen=True)
class LengthReport:
    platform: str
    length: int
    limit: int
    valid: bool
    problems: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "platform": self.platform,
            "length": self.length,
            "limit": self.limit,
            "valid": self.valid,
        }
        if self.problems:
            data["problems"] = list(self.problems)
        return data


class Platform:
    """Counting rules for one platform. Subclasses override `length` and `_problems`."""

    name: str = ""
    limit: int = 0
    max_links: int | None = None
    max_hashtags: int | None = None
    max_related: int = 1
    shortens_links: bool = False  # Bluesky: link text may be shortened, the facet carries the URL

    def length(self, text: str) -> int:
        raise NotImplementedError

    def links(self, text: str) -> int:
        return len(extract_url_spans(text))

    def _problems(self, text: str, length: int) -> list[str]:
        problems = []
        if not text.strip():
            problems.append("empty")
        if length > self.limit:
            problems.append(f"{length - self.limit} over the limit of {self.limit}")
        if self.max_links is not None and (n := self.links(text)) > self.max_links:
            problems.append(f"{n} links, at most {self.max_links} allowed")
        return problems

    def check(self, text: str) -> LengthReport:
        length = self.length(text)
        problems = self._problems(text, length)
        return LengthReport(self.name, length, self.limit, not problems, tuple(problems))

    def fits(self, text: str) -> bool:
        return self.check(text).valid


class X(Platform):
    name = "x"
    limit = 280

    def length(self, text: str) -> int:
        return parse_tweet(text).weighted_length

    def check(self, text: str) -> LengthReport:
        parsed = parse_tweet(text)
        problems = self._problems(text, parsed.weighted_length)
        if not parsed.valid and not problems:
            problems.append("contains characters X refuses (U+FFFE, U+FEFF, U+FFFF)")
        return LengthReport(self.name, parsed.weighted_length, self.limit, not problems, tuple(problems))


class Bluesky(Platform):
    name = "bluesky"
    limit = 300
    max_bytes = 3000
    shortens_links = True

    def length(self, text: str) -> int:
        return graphemes(text)

    def _problems(self, text: str, length: int) -> list[str]:
        problems = super()._problems(text, length)
        if (size := len(text.encode("utf-8"))) > self.max_bytes:
            problems.append(f"{size} UTF-8 bytes, at most {self.max_bytes} allowed")
        return problems


class Mastodon(Platform):
    name = "mastodon"

    def __init__(self, limit: int = 500) -> None:
        self.limit = limit

    def length(self, text: str) -> int:
        # Mastodon counts each http(s) URL as 23 and a remote mention by its local part only.
        spans = extract_url_spans(text, without_protocol=False)
        if spans:
            pieces, pos = [], 0
            for start, end in spans:
                pieces.append(text[pos:start])
                pieces.append("x" * MASTODON_URL_LENGTH)
                pos = end
            pieces.append(text[pos:])
            text = "".join(pieces)
        if "@" in text:
            text = _MASTODON_MENTION.sub(r"\1", text)
        return graphemes(text)


class LinkedIn(Platform):
    name = "linkedin"
    limit = 3000
    max_related = 3

    def length(self, text: str) -> int:
        return utf16_units(text)


class Threads(Platform):
    name = "threads"
    limit = 500
    max_links = 5
    max_hashtags = 1  # Threads keeps one topic tag per post

    def length(self, text: str) -> int:
        return utf16_units(text)


def get_platform(name: str, mastodon_limit: int = 500) -> Platform:
    key = name.strip().lower()
    if key == "x" or key == "twitter":
        return X()
    if key == "bluesky":
        return Bluesky()
    if key == "mastodon":
        return Mastodon(mastodon_limit)
    if key == "linkedin":
        return LinkedIn()
    if key == "threads":
        return Threads()
    raise ConfigError(f"unknown platform {name!r} (expected one of {', '.join(PLATFORMS)})")


def check_length(text: str, platform: str, mastodon_limit: int = 500) -> LengthReport:
    """`digest length` as a function: the platform's own count, its limit, and whether it fits."""
    return get_platform(platform, mastodon_limit).check(text)
