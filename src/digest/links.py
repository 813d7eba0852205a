"""URL handling shared by the archive (canonical keys), the email and social posts (UTM)."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import parse_qsl, quote, urlencode, urljoin, urlsplit, urlunsplit

# Parameters that identify a click, not a document: dropped from canonical URLs.
TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "mc_cid",
        "mc_eid",
        "igshid",
        "yclid",
        "_ga",
        "_gl",
        "ref_src",
        "ref_url",
        "spm",
        "mkt_tok",
        "oly_anon_id",
        "oly_enc_id",
        "vero_id",
        "__s",
        "s_cid",
        "cmpid",
    }
)


def is_tracking_param(name: str) -> bool:
    lower = name.lower()
    return lower.startswith("utm_") or lower in TRACKING_PARAMS


def canonical_url(url: str) -> str:
    """The URL an article is known by: lowercase scheme/host, no fragment, no tracking params.

    A URL urllib cannot take apart (a port out of range, a broken IPv6 literal) is its own key,
    as written: one odd link must never sink a feed or a digest.
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return url.strip()
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    default_port = (scheme == "http" and port == 80) or (scheme == "https" and port == 443)
    netloc = host if port is None or default_port else f"{host}:{port}"
    if parts.username:
        netloc = f"{parts.username}@{netloc}"
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not is_tracking_param(k)]
    path = parts.path or "/"
    return urlunsplit((scheme, netloc, path, urlencode(query, doseq=True), ""))


def utm_adder(**params: str | None) -> Callable[[str], str]:
    """``add_utm`` with fixed parameters, for tagging many links fast (one digest's links).

    The encoded parameters are computed once; a URL whose query has no ``utm_`` at all (the
    usual case) just gets them appended, others go through ``add_utm``.
    """
    suffix = urlencode([(f"utm_{k}", v) for k, v in params.items() if v])

    def tag(url: str) -> str:
        if not suffix or not url[:8].lower().startswith(("http://", "https://")):
            return url
        base, hash_, fragment = url.partition("#")
        if "utm_" in base.lower():
            return add_utm(url, **params)
        joiner = "&"
        if "?" not in base:
            joiner = "?"
        elif base.endswith(("?", "&")):
            joiner = ""
        return f"{base}{joiner}{suffix}{hash_}{fragment}"

    return tag


def add_utm(url: str, **params: str | None) -> str:
    """Add ``utm_*`` parameters, keeping the existing query and any utm_* value already set.

    ``add_utm(u, source="digest", medium="email", campaign="2026-11-28")``. Non-http(s) URLs
    (mailto:, relative links) are returned unchanged.
    """
    try:
        parts = urlsplit(url)
    except ValueError:  # a broken IPv6 literal: leave the link as the source gave it
        return url
    if parts.scheme.lower() not in {"http", "https"}:
        return url
    present = {k.lower() for k, _ in parse_qsl(parts.query, keep_blank_values=True)}
    added = []
    for key, value in params.items():
        name = f"utm_{key}"
        if value and name not in present:
            added.append((name, value))
            present.add(name)
    if not added:
        return url
    # Append to the query exactly as it was: re-encoding it could change what the server sees.
    query = "&".join(p for p in (parts.query.rstrip("&"), urlencode(added)) if p)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


_HOST = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*|[0-9a-f:.]+")


def image_url(url: str | None, base: str | None = None) -> str | None:
    """An image address fit for an email: absolute (resolved against ``base``), https only.

    Plain http images are refused rather than upgraded (the same path over https may not
    exist, and an http image in a mail client is mixed content). The query is kept exactly as
    the source wrote it: image CDNs put sizes and signatures there.
    """
    if not url:
        return None
    raw = url.strip()
    if not raw or any(ch in raw for ch in "\r\n\t\x00 <>\"'") or not raw.isascii():
        raw = raw.replace(" ", "%20")
        if not raw or any(ch in raw for ch in "\r\n\t\x00<>\"'") or not raw.isascii():
            return None
    if not raw.isprintable():  # any other control character
        return None
    try:
        absolute = urljoin(base, raw) if base else raw
        parts = urlsplit(absolute)
        parts.port  # noqa: B018 - raises on a port out of range
    except ValueError:
        return None
    if parts.scheme.lower() != "https" or not parts.hostname or parts.username or parts.password:
        return None
    if not _HOST.fullmatch(parts.hostname) or len(absolute) > 2048:
        return None
    return absolute


def readable_domain(host_or_url: str) -> str | None:
    """The registered domain a reader knows a site by: "edition.cnn.com" -> "cnn.com",
    "www.bbc.co.uk" -> "bbc.co.uk"; an IP address or a local name as it is, lower-cased."""
    text = host_or_url.strip()
    if not text:
        return None
    host = (urlsplit(text).hostname if "//" in text else text.split("/", 1)[0].split(":", 1)[0]) or ""
    host = host.lower().rstrip(".")
    if not host:
        return None
    from tld import get_fld  # the public suffix list: loaded only when a label is needed

    found = get_fld(host, fix_protocol=True, fail_silently=True)
    return str(found) if found else host.removeprefix("www.")


# A site name that is really a host name: "EDITION.CNN.COM", "www.example.org".
_HOST_LIKE = re.compile(r"(?:[a-z0-9-]+\.)+[a-z]{2,24}", re.IGNORECASE)


def site_label(declared: str | None, url: str | None) -> str | None:
    """The name to show for a story's site: the page's declared name (og:site_name, JSON-LD
    publisher), unless it is only a host name; else a readable form of the URL's domain."""
    name = " ".join((declared or "").split()).lstrip("@")
    if name and not _HOST_LIKE.fullmatch(name):
        return name
    if name:
        return readable_domain(name)
    return readable_domain(url) if url else None


# Words quoted at each end of a text fragment: enough to find the sentence, short enough that
# a small difference in the middle (a quote mark the page renders otherwise) still matches.
FRAGMENT_EDGE_WORDS = 4


_FRAGMENT_SAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.~")
_FRAGMENT_ASCII = {i: f"%{i:02X}" for i in range(128) if chr(i) not in _FRAGMENT_SAFE}
_FRAGMENT_WORDS = re.compile(r"[A-Za-z0-9_.~ ]*")
_FRAGMENT_UNSAFE = re.compile(r"[^A-Za-z0-9_.~]")


def _fragment_text(text: str) -> str:
    """Percent-encoding for a text directive: everything but unreserved characters, and "-"
    too (it marks a prefix or suffix in the directive's syntax; "," and "&" are encoded)."""
    if text.isascii():  # the usual case: words and spaces
        if _FRAGMENT_WORDS.fullmatch(text):
            return text.replace(" ", "%20")
        return _FRAGMENT_UNSAFE.sub(lambda m: _FRAGMENT_ASCII[ord(m.group())], text)
    return quote(text, safe="", errors="ignore").replace("-", "%2D")  # ignore: a lone surrogate


def text_fragment(sentence: str) -> str | None:
    """The fragment directive that finds ``sentence`` on its page: ``:~:text=start,end``
    (the first and last words), or the whole sentence when it is short."""
    words = sentence.split()
    if not words:
        return None
    if len(words) <= 2 * FRAGMENT_EDGE_WORDS:
        return ":~:text=" + _fragment_text(" ".join(words))
    start = " ".join(words[:FRAGMENT_EDGE_WORDS])
    end = " ".join(words[-FRAGMENT_EDGE_WORDS:])
    return f":~:text={_fragment_text(start)},{_fragment_text(end)}"


def sentence_link(url: str, sentence: str) -> str:
    """``url`` pointing at ``sentence`` on the page (browsers scroll to it and highlight it).
    Query parameters (UTM) stay before the fragment; an existing fragment is kept in front of
    the directive, as the Text Fragments syntax allows."""
    directive = text_fragment(sentence)
    if directive is None:
        return url
    base, _, fragment = url.partition("#")
    if ":~:" in fragment:
        fragment = fragment.split(":~:", 1)[0]
    return f"{base}#{fragment}{directive}"
