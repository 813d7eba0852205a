"""A page title without the site's name: "Story | Inexhibit" -> "Story".

Pages put their site's name before or after the headline, joined by a separator ("|", "-",
"–", "—", "::", "·", "»"). A digest already shows the site beside each story, so the name is
dropped, but only when the segment really names the site: it matches the declared site name
or the domain ("Remember 80/90" on remember8090.it). A separator inside a real headline
("Milan Design Week 2018 | Anastassiades' light installation") is left alone.
"""

from __future__ import annotations

import re
import unicodedata

from digest.links import readable_domain

_SEPARATOR = re.compile(r"\s+(?:\||-|–|—|::|·|•|»|/)\s+")
# A headline needs some words left: never cut a title down to one short word.
MIN_WORDS_LEFT = 2
MAX_SITE_SEGMENTS = 3


def _key(text: str) -> str:
    """Letters and digits only, case- and accent-folded: "Remember 80/90" -> "remember8090"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if c.isalnum())


def _site_keys(site: str | None, url: str | None) -> set[str]:
    keys = set()
    if site:
        keys.add(_key(site))
    domain = readable_domain(url) if url else None
    if domain:
        keys.add(_key(domain.split(".", 1)[0]))
    return {k for k in keys if len(k) >= 3}


def _names_site(segment: str, keys: set[str]) -> bool:
    key = _key(segment)
    if len(key) < 3:
        return False
    # The segment is the site's name, or the start of it ("Inexhibit" for "Inexhibit magazine").
    return any(
        key == k or (k.startswith(key) and 2 * len(key) >= len(k)) or (key.startswith(k) and 2 * len(k) >= len(key))
        for k in keys
    )


def title_without_site(title: str, site: str | None, url: str | None) -> str:
    """``title`` with a leading or trailing segment that names the site removed."""
    keys = _site_keys(site, url)
    if not keys or not title:
        return title
    parts = _SEPARATOR.split(title)
    seps = _SEPARATOR.findall(title)
    if len(parts) < 2:
        return title
    # Trailing site name: the longest run of final segments that together name the site.
    for k in range(min(MAX_SITE_SEGMENTS, len(parts) - 1), 0, -1):
        suffix = "".join(p + s for p, s in zip(parts[-k:-1], seps[-k + 1 :] if k > 1 else [], strict=False))
        suffix += parts[-1]
        head = title[: len(title) - len(suffix) - len(seps[-k])].strip()
        if _names_site(suffix, keys) and len(head.split()) >= MIN_WORDS_LEFT:
            return head
    # Leading site name ("Inexhibit | Story").
    for k in range(min(MAX_SITE_SEGMENTS, len(parts) - 1), 0, -1):
        prefix_end = sum(len(p) + len(s) for p, s in zip(parts[:k], seps[:k], strict=True))
        prefix = title[: prefix_end - len(seps[k - 1])]
        tail = title[prefix_end:].strip()
        if _names_site(prefix, keys) and len(tail.split()) >= MIN_WORDS_LEFT:
            return tail
    return title
