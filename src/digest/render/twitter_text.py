"""X (Twitter) weighted length, implemented from twitter-text's published v3 configuration.

X does not count characters: it NFC-normalizes the text, counts every URL it recognizes as 23,
every emoji sequence as 2, code points in a few Latin/punctuation ranges as 1 and every other
code point as 2, and allows 280. twitter-text's conformance file (tests/data/) decides; this
module follows the reference implementation's URL extraction (protocol-less domains included,
TLDs from the Public Suffix List shipped by the `tld` package) so a draft's length matches what
the X composer shows. Emoji sequences are matched by the UTS #51 grammar (`regex` Unicode
properties); a ZWJ chain counts as one emoji only where it is a recommended (RGI) sequence
from the `emoji` package, otherwise its parts count separately, as X does.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import regex

# ---------------------------------------------------------------- config v3 (twitter-text config/v3.json)
MAX_WEIGHTED_LENGTH = 280
SCALE = 100
DEFAULT_WEIGHT = 200
TRANSFORMED_URL_LENGTH = 23
RANGES = ((0, 4351, 100), (8192, 8205, 100), (8208, 8223, 100), (8242, 8247, 100))
MAX_URL_LENGTH = 4096

# Every code point NOT in a weight-100 range: each counts 2 instead of 1.
_HEAVY = re.compile("[^" + "".join(f"\\U{a:08x}-\\U{b:08x}" for a, b, _ in RANGES) + "]")
_INVALID = re.compile("[\ufffe\ufeff\uffff]")

# ---------------------------------------------------------------- emoji
_ELEMENT = r"(?:(?![0-9#*])\p{Emoji}(?:\p{Emoji_Modifier}|\uFE0F|[\U000E0020-\U000E007E]+\U000E007F)?)"
_EMOJI = regex.compile(
    r"\p{Regional_Indicator}{2}|[0-9#*]\uFE0F?\u20E3|" + _ELEMENT + r"(?:\u200D" + _ELEMENT + r")*",
    regex.V1,
)


@cache
def rgi_zwj_sequences() -> frozenset[str]:
    import emoji

    return frozenset(k.replace("\ufe0f", "") for k in emoji.EMOJI_DATA if "\u200d" in k)


def _emoji_weight(seq: str) -> int:
    """Weight (scaled) of one matched emoji sequence: 2 per RGI unit, plus 1 per joining ZWJ between units."""
    if "\u200d" not in seq:
        return DEFAULT_WEIGHT
    rgi = rgi_zwj_sequences()
    parts = seq.split("\u200d")
    weight, i = 0, 0
    while i < len(parts):
        j = len(parts)
        while j > i + 1 and "\u200d".join(parts[i:j]).replace("\ufe0f", "") not in rgi:
            j -= 1
        weight += DEFAULT_WEIGHT + (100 if j < len(parts) else 0)  # the ZWJ after a unit is in a 100 range
        i = j
    return weight


# ---------------------------------------------------------------- URLs (twitter-text's extractor)
_PUNCT = r"!'#%&'()*+,\\\-./:;<=>?@\[\]^_{|}~$"
_SPACES = r"\x09-\x0D\x20\x85\xA0\u1680\u180E\u2000-\u200A\u2028\u2029\u202F\u205F\u3000"
_INVALID_GROUP = r"\uFFFE\uFEFF\uFFFF"
_DIRECTIONAL = r"\u202A-\u202E\u061C\u200E\u200F\u2066\u2067\u2068\u2069"
_LATIN_ACCENTS = (
    r"\xC0-\xD6\xD8-\xF6\xF8-\xFF\u0100-\u024F\u0253\u0254\u0256\u0257\u0259\u025B\u0263\u0268"
    r"\u026F\u0272\u0289\u028B\u02BB\u0300-\u036F\u1E00-\u1EFF"
)
_CYRILLIC = r"\u0400-\u04FF"
_DOMAIN_CHAR = f"[^{_PUNCT}{_SPACES}{_INVALID_GROUP}{_DIRECTIONAL}]"
_SUBDOMAIN = f"(?:(?:{_DOMAIN_CHAR}(?:[_-]|{_DOMAIN_CHAR})*)?{_DOMAIN_CHAR}\\.)"
_DOMAIN_NAME = f"(?:(?:{_DOMAIN_CHAR}(?:-|{_DOMAIN_CHAR})*)?{_DOMAIN_CHAR}\\.)"
_PUNYCODE = r"(?:xn--[\-0-9a-z]+)"
_PATH_CHAR = f"[a-z{_CYRILLIC}0-9!*';:=+,.$/%#\\[\\]\\-\\u2013_~@|&{_LATIN_ACCENTS}]"
_PARENS = f"\\((?:{_PATH_CHAR}+|(?:{_PATH_CHAR}*\\({_PATH_CHAR}+\\){_PATH_CHAR}*))\\)"
_PATH_END = f"(?:[+\\-a-z{_CYRILLIC}0-9=_#/{_LATIN_ACCENTS}]|(?:{_PARENS}))"
_PATH = f"(?:(?:{_PATH_CHAR}*(?:{_PARENS}{_PATH_CHAR}*)*{_PATH_END})|(?:@{_PATH_CHAR}+/))"
_QUERY_CHARS = r"[a-z0-9!?*'@();:&=+$/%#\[\]\-_.,~|]"
_QUERY_END = r"[a-z0-9\-_&=#/]"
_PRECEDING = f"(?:[^A-Za-z0-9@＠$#＃{_INVALID_GROUP}]|[{_DIRECTIONAL}]|^)"
_SPECIAL_CCTLDS = ("co", "tv")
_TOKEN = re.compile(r"[^ \n]+")


def _trie_pattern(words: list[str]) -> str:
    """One regex alternation factored as a trie: ~1,500 TLDs cost a few steps, not 1,500 tries."""
    trie: dict[str, Any] = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict[str, Any]) -> str:
        alts = [re.escape(ch) + emit(child) for ch, child in sorted(node.items()) if ch]
        optional = "" in node
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 and not optional else "(?:" + "|".join(alts) + ")"
        return body + ("?" if optional else "")

    return emit(trie)


@cache
def top_level_domains() -> tuple[str, ...]:
    """ICANN top-level domains from the Public Suffix List bundled with the `tld` package."""
    from tld.utils import MozillaTLDSourceParser

    text = (resources.files("tld") / MozillaTLDSourceParser.local_path).read_text(encoding="utf-8")
    icann = text.split("===BEGIN ICANN DOMAINS===", 1)[-1].split("===END ICANN DOMAINS===", 1)[0]
    tlds = {
        line.strip().lower()
        for line in icann.splitlines()
        if line.strip() and not line.startswith("//") and "." not in line.strip() and "*" not in line
    }
    return tuple(sorted(tlds))


@dataclass(frozen=True)
class _Patterns:
    extract: re.Pattern[str]
    ascii_domain: re.Pattern[str]
    short_domain: re.Pattern[str]
    special_short: re.Pattern[str]
    tco: re.Pattern[str]


@cache
def _patterns() -> _Patterns:
    tlds = top_level_domains()
    tld = f"(?:{_trie_pattern(list(tlds))})(?=[^0-9a-z@+-]|$)"
    cctld = f"(?:{_trie_pattern([t for t in tlds if len(t) == 2 or not t.isascii()])})(?=[^0-9a-z@+-]|$)"
    domain = f"(?:{_SUBDOMAIN}*{_DOMAIN_NAME}(?:{tld}|{_PUNYCODE}))"
    extract = (
        f"({_PRECEDING})"  # 1 preceding char
        f"((https?://)?"  # 2 url, 3 protocol
        f"({domain})"  # 4 domain
        r"(?::([0-9]+))?"  # 5 port
        f"(/{_PATH}*)?"  # 6 path
        f"(\\?{_QUERY_CHARS}*{_QUERY_END})?)"  # 7 query
    )
    flags = re.IGNORECASE
    return _Patterns(
        extract=re.compile(extract, flags),
        ascii_domain=re.compile(f"(?:(?:[\\-a-z0-9{_LATIN_ACCENTS}]+)\\.)+(?:{tld}|{_PUNYCODE})", flags),
        short_domain=re.compile(f"^{_DOMAIN_NAME}{cctld}$", flags),
        special_short=re.compile(f"^{_DOMAIN_NAME}(?:{'|'.join(_SPECIAL_CCTLDS)})(?=[^0-9a-z@+-]|$)$", flags),
        tco=re.compile(f"^https?://t\\.co/([a-z0-9]+)(?:\\?{_QUERY_CHARS}*{_QUERY_END})?", flags),
    )


def _punycode_ok(url: str, protocol: str, domain: str) -> bool:
    try:
        ascii_domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        return False
    if not ascii_domain:
        return False
    return len(protocol) + len(url) + len(ascii_domain) - len(domain) <= MAX_URL_LENGTH


def extract_url_spans(text: str, without_protocol: bool = True) -> list[tuple[int, int]]:
    """(start, end) of every URL twitter-text recognizes (Mastodon passes without_protocol=False)."""
    if not text or ("." not in text if without_protocol else ":" not in text):
        return []
    pats = _patterns()
    spans: list[tuple[int, int]] = []
    # No URL part admits a space or line break, so only the tokens holding a "." (or ":") need the
    # big pattern: a long post costs a few short scans instead of one attempt at every position.
    needle = "." if without_protocol else ":"
    for token in _TOKEN.finditer(text):
        if needle in token.group(0):
            _scan(token.group(0), token.start(), without_protocol, pats, spans)
    return spans


def _scan(text: str, offset: int, without_protocol: bool, pats: _Patterns, spans: list[tuple[int, int]]) -> None:
    for m in pats.extract.finditer(text):
        before, url, protocol, domain, _, path = m.group(1, 2, 3, 4, 5, 6)
        start, end = m.start(2) + offset, m.end(2) + offset
        if not _punycode_ok(url, protocol or "https://", domain):
            continue
        if not protocol:
            if not without_protocol or (before and before in "-_./"):
                continue
            last: list[int] | None = None
            for d in pats.ascii_domain.finditer(domain):
                last = [start + d.start(), start + d.end()]
                if path or pats.special_short.match(d.group(0)) or not pats.short_domain.match(d.group(0)):
                    spans.append((last[0], last[1]))
                else:
                    last = None
            if last is None:
                continue
            if path:
                spans[-1] = (spans[-1][0], end)
        else:
            tco = pats.tco.match(url)
            if tco:
                if tco.group(1) and len(tco.group(1)) > 40:
                    continue
                end = start + len(tco.group(0))
            spans.append((start, end))


# ---------------------------------------------------------------- counting


@dataclass(frozen=True)
class TweetLength:
    weighted_length: int
    valid: bool
    urls: int


def _segment_weight(segment: str) -> int:
    """Scaled weight of text holding no URL: emoji sequences 2, the rest by code point ranges."""
    if segment.isascii():
        return len(segment) * 100
    weight = 0
    pos = 0
    for m in _EMOJI.finditer(segment):
        gap = segment[pos : m.start()]
        weight += len(gap) * 100 + len(_HEAVY.findall(gap)) * 100
        weight += _emoji_weight(m.group(0))
        pos = m.end()
    gap = segment[pos:]
    return weight + len(gap) * 100 + len(_HEAVY.findall(gap)) * 100


def parse_tweet(text: str) -> TweetLength:
    """twitter-text's parseTweet (v3): weighted length and validity of a draft post."""
    normalized = unicodedata.normalize("NFC", text)
    spans = extract_url_spans(normalized)
    weight = 0
    pos = 0
    for start, end in spans:
        weight += _segment_weight(normalized[pos:start]) + TRANSFORMED_URL_LENGTH * SCALE
        pos = end
    weight += _segment_weight(normalized[pos:])
    length = weight // SCALE
    valid = 0 < length <= MAX_WEIGHTED_LENGTH and not _INVALID.search(normalized)
    return TweetLength(length, valid, len(spans))


def weighted_length(text: str) -> int:
    return parse_tweet(text).weighted_length
