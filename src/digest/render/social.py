"""Social posts for one article, fitted exactly to each platform's own counting.

Editors paste these straight into X, Bluesky, Mastodon, LinkedIn and Threads, so every post is
measured AFTER its template is rendered, with the platform's own rules (digest.render.platforms).
The hook (from the lede) is the part that gives way: it is cut at a word boundary and ends with
"…", found by binary search over the cut points. The link is never cut: on Bluesky its text is
shortened and the facet carries the full URL; where a URL alone cannot fit (a 2,000-character
URL on Threads) it goes to ``link_attachment`` instead of being mangled. Hashtags and the
"Related:" teaser appear only when room allows; a user template that runs too long falls back
to hook + link.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import jinja2
import regex

from digest.config import Settings
from digest.errors import InputError
from digest.links import add_utm
from digest.models import Article, SocialPost, Story, Summary, Teaser
from digest.render.hashtags import derive_hashtags
from digest.render.platforms import PLATFORMS, Platform, get_platform
from digest.render.sanitize import plain_text, safe_url
from digest.render.templates import make_environment, template_errors
from digest.render.twitter_text import extract_url_spans

ELLIPSIS = "…"
MIN_HOOK_CHARS = 100  # below this, drop the teaser/hashtags rather than shorten the hook further
MAX_TEASER_TITLE = 80
MAX_THREAD_TEASERS = 3
BLUESKY_LINK_CHARS = 30

_SPACE_RUN = regex.compile(r"\s+")
_NO_SPACE_SCRIPT = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Thai}\p{Lao}\p{Khmer}\p{Myanmar}]")
_GRAPHEME = regex.compile(r"\X")
_JOINS_PREVIOUS = regex.compile(r"[\p{M}\u200d\ufe0e\ufe0f]")
_TRAILING_JUNK = " \t\r\n,;:.·-–—([{<\"'“‘«\u200d\u200b\u2060\ufe0f"
_BLANK_LINES = regex.compile(r"\n{3,}")
_TRAILING_SPACE = regex.compile(r"[ \t]+\n")
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


@dataclass
class _Parts:
    hook: str
    link: LinkRef | None
    hashtags: list[str]
    related: list[RelatedRef]
    title: str
    site: str | None
    points: list[str] = field(default_factory=list)


# ---------------------------------------------------------------- cutting at word boundaries


def _clean(text: str) -> str:
    """Tidy what a template produced: no trailing spaces, at most one blank line, no edge whitespace."""
    text = _TRAILING_SPACE.sub("\n", text.replace("\r\n", "\n"))
    return _BLANK_LINES.sub("\n\n", text).strip()


def _word_cuts(text: str) -> list[int]:
    """Positions where text may be cut without splitting a word (spaces; between CJK/Thai characters)."""
    cuts = {m.start() for m in _SPACE_RUN.finditer(text) if m.start() > 0}
    if not text.isascii():
        for m in _NO_SPACE_SCRIPT.finditer(text):
            end = m.end()
            if end < len(text) and not _JOINS_PREVIOUS.match(text, end):
                cuts.add(end)
    return sorted(c for c in cuts if c < len(text))


def _grapheme_cuts(text: str) -> list[int]:
    cuts, pos = [], 0
    for m in _GRAPHEME.finditer(text):
        pos = m.end()
        if pos < len(text):
            cuts.append(pos)
    return cuts or list(range(1, len(text)))


def _trimmed(text: str, cut: int) -> str:
    """The text up to ``cut``, ending cleanly with "…" (empty if nothing worth keeping)."""
    head = text[:cut].rstrip(_TRAILING_JUNK)
    return head + ELLIPSIS if head else ""


def _largest_fit(text: str, fits: Callable[[str], bool], cuts: Sequence[int]) -> tuple[str, int] | None:
    """Binary search over cut points for the longest trimmed prefix that fits: O(log n) renders."""
    lo, hi, best = 0, len(cuts) - 1, None
    while lo <= hi:
        mid = (lo + hi) // 2
        candidate = _trimmed(text, cuts[mid])
        if candidate and fits(candidate):
            best, lo = mid, mid + 1
        else:
            hi = mid - 1
    if best is None:
        return None
    # Counting is monotonic only almost everywhere (a URL cut in two counts differently): step back if needed.
    for i in range(best, -1, -1):
        candidate = _trimmed(text, cuts[i])
        if candidate and fits(candidate):
            return candidate, cuts[i]
    return None


def fit_text(text: str, fits: Callable[[str], bool]) -> tuple[str, int] | None:
    """The longest version of ``text`` that fits: whole, else cut at a word, else (one long word) anywhere."""
    if fits(text):
        return text, len(text)
    found = _largest_fit(text, fits, _word_cuts(text))
    if found is None:
        found = _largest_fit(text, fits, _grapheme_cuts(text))
    return found


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
    clusters = _GRAPHEME.findall(text) if not text.isascii() else list(text)
    return "".join(clusters[: limit - 1]).rstrip("/.?&=#-_") + ELLIPSIS if len(clusters) > limit else text


# ---------------------------------------------------------------- facets (Bluesky rich text)


def _byte_offsets(text: str) -> Callable[[int], int]:
    if text.isascii():
        return lambda i: i
    return lambda i: len(text[:i].encode("utf-8"))


@lru_cache(maxsize=1024)
def _tag_pattern(tag: str) -> regex.Pattern[str]:
    return regex.compile(r"(?<![\w#])" + regex.escape(tag) + r"(?![\w])")


def bluesky_facets(text: str, links: Sequence[LinkRef], hashtags: Sequence[str]) -> list[dict[str, Any]]:
    """app.bsky.richtext.facet records: link and tag features with UTF-8 byteStart/byteEnd."""
    to_byte = _byte_offsets(text)
    taken: list[tuple[int, int]] = []
    facets: list[tuple[int, dict[str, Any]]] = []

    def add(start: int, end: int, feature: dict[str, Any]) -> None:
        if any(start < e and s < end for s, e in taken):
            return
        taken.append((start, end))
        facets.append((start, {"index": {"byteStart": to_byte(start), "byteEnd": to_byte(end)}, "features": [feature]}))

    for ref in links:
        start = text.find(ref.text)
        while start != -1:
            add(start, start + len(ref.text), {"$type": "app.bsky.richtext.facet#link", "uri": ref.url})
            start = text.find(ref.text, start + len(ref.text))
    for tag in hashtags:
        for m in _tag_pattern(tag).finditer(text):
            add(m.start(), m.end(), {"$type": "app.bsky.richtext.facet#tag", "tag": tag.lstrip("#")})
    return [f for _, f in sorted(facets, key=lambda item: item[0])]


# ---------------------------------------------------------------- the writer


def _web_link(url: str | None, base: str | None = None) -> str | None:
    """An absolute http(s) URL fit to post, or None (relative links resolve against ``base``)."""
    safe = safe_url(url, base)
    return safe if safe and safe.lower().startswith(("http://", "https://")) else None


class SocialWriter:
    """Builds posts for one or many articles; templates are loaded once and reused."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings()
        self._env: jinja2.Environment | None = None
        self._templates: dict[str, jinja2.Template] = {}
        self._platforms: dict[str, Platform] = {}
        self._tags_key: tuple[str, str, tuple[str, ...]] | None = None
        self._tags: list[str] = []
        self._thread_warnings: list[str] = []

    # ---- plumbing
    def platform(self, name: str) -> Platform:
        if name not in self._platforms:
            self._platforms[name] = get_platform(name, self.settings.social.mastodon_limit)
        return self._platforms[name]

    def template(self, platform: str) -> jinja2.Template:
        if platform not in self._templates:
            with template_errors():
                if self._env is None:
                    self._env = make_environment(self.settings, autoescape=False)
                self._templates[platform] = self._env.get_template(f"social/{platform}.txt.j2")
        return self._templates[platform]

    def _render(self, platform: str, parts: _Parts, hook: str, tags: int, related: int, number: str = "") -> str:
        context = {
            "platform": platform,
            "limit": self.platform(platform).limit,
            "hook": hook,
            "link": parts.link.text if parts.link else "",
            "url": parts.link.url if parts.link else "",
            "hashtags": parts.hashtags[:tags],
            "related": parts.related[:related],
            "title": parts.title,
            "site": parts.site or "",
        }
        with template_errors():
            text = self.template(platform).render(context)
        text = _clean(text)
        return f"{number} {text}" if number else text

    # ---- inputs
    def hashtags(self, title: str, summary: Summary) -> list[str]:
        """The article's hashtags, derived once and shared by every platform's post."""
        key = (title, summary.lede, tuple(summary.key_points))
        if self._tags_key != key:
            social = self.settings.social
            self._tags = derive_hashtags(
                title, summary.lede, summary.key_points, fixed=social.hashtags, limit=social.max_hashtags
            )
            self._tags_key = key
        return self._tags

    def _parts(
        self,
        article: Article,
        summary: Summary,
        platform: Platform,
        teasers: Sequence[Teaser] | None,
        url: str | None,
    ) -> _Parts:
        social = self.settings.social
        # Source text is untrusted, as in the email: markup, entities and bidi overrides go, and
        # only http(s) links survive (never javascript:, never a Bluesky facet pointing at one).
        hook = unicodedata.normalize("NFC", plain_text(summary.lede) or plain_text(article.title))
        title = unicodedata.normalize("NFC", plain_text(article.title))
        target = _web_link(url or article.url)
        link = None
        if target:
            full = linkable(add_utm(target, source=platform.name, medium="social", campaign=social.utm_campaign))
            link = LinkRef(full, short_link_text(full) if platform.shortens_links else full)
        limit = social.max_hashtags
        if platform.max_hashtags is not None:
            limit = min(limit, platform.max_hashtags)
        tags = self.hashtags(title, summary)[:limit]
        if teasers is None:
            teasers = [Teaser(r.title, r.url) for r in article.related]
        related = []
        for teaser in teasers:
            teaser_url = _web_link(teaser.url, base=article.url)
            t_title = plain_text(teaser.title)
            if not teaser_url or not t_title:
                continue
            t_url = linkable(add_utm(teaser_url, source=platform.name, medium="social", campaign=social.utm_campaign))
            if len(t_title) > MAX_TEASER_TITLE:
                t_title = fit_text(t_title, lambda s: len(s) <= MAX_TEASER_TITLE)[0]  # type: ignore[index]
            related.append(RelatedRef(t_title, short_link_text(t_url) if platform.shortens_links else t_url, t_url))
        points = [unicodedata.normalize("NFC", t) for t in map(plain_text, summary.key_points) if t]
        return _Parts(hook, link, tags, related, title, article.site, points)

    # ---- one post
    def _fit_post(
        self, platform: Platform, parts: _Parts, number: str = "", allow_related: bool = True
    ) -> tuple[str, int, int, list[str]]:
        """(text, hashtags used, related used, warnings): the richest variant whose hook stays readable."""
        name = platform.name
        n_rel = min(len(parts.related), platform.max_related) if allow_related else 0
        options = [(len(parts.hashtags), r) for r in range(n_rel, -1, -1)]
        options += [(t, 0) for t in range(len(parts.hashtags) - 1, -1, -1)]
        keep = min(len(parts.hook), MIN_HOOK_CHARS)
        for i, (tags, rel) in enumerate(options):
            last = i == len(options) - 1
            found = fit_text(
                parts.hook, lambda h, t=tags, r=rel: platform.fits(self._render(name, parts, h, t, r, number))
            )
            if found and (last or len(found[0]) >= keep or found[0] == parts.hook):
                return self._render(name, parts, found[0], tags, rel, number), tags, rel, []
        # The template itself leaves no room: plain hook + link, as the issue asks.
        warnings = [f"{name}: the template leaves no room for the hook; used plain hook + link"]
        link = parts.link.text if parts.link else ""
        prefix = f"{number} " if number else ""

        def plain(h: str, with_link: bool = True) -> str:
            return prefix + (f"{h}\n\n{link}" if link and with_link else h)

        found = fit_text(parts.hook, lambda h: platform.fits(plain(h)))
        if found:
            return plain(found[0]), 0, 0, warnings
        found = fit_text(parts.hook, lambda h: platform.fits(plain(h, with_link=False)))
        text = plain(found[0], with_link=False) if found else prefix + parts.hook[:1]
        return text, 0, 0, [f"{name}: the link does not fit in a post; it is given as link_attachment"]

    def post(
        self,
        article: Article,
        summary: Summary,
        platform: str,
        teasers: Sequence[Teaser] | None = None,
        url: str | None = None,
        thread: bool = False,
    ) -> SocialPost:
        """One post for one platform (and, with ``thread``, the numbered thread parts)."""
        if not (article.title.strip() or article.text.strip()):
            raise InputError(f"{article.source}: empty article: nothing to post")
        plat = self.platform(platform)
        parts = self._parts(article, summary, plat, teasers, url)
        text, n_tags, n_rel, warnings = self._fit_post(plat, parts)
        link_attachment = None
        if warnings and "link_attachment" in warnings[-1] and parts.link:
            link_attachment = parts.link.url
        links_shown = [parts.link] if parts.link and link_attachment is None else []
        links_shown += [LinkRef(r.url, r.link) for r in parts.related[:n_rel]]
        post = SocialPost(
            platform=plat.name,
            text=text,
            length=plat.length(text),
            limit=plat.limit,
            links=[ref.url for ref in links_shown],
            hashtags=parts.hashtags[:n_tags],
            link_attachment=link_attachment,
            warnings=warnings,
        )
        if plat.shortens_links:
            post.facets = bluesky_facets(text, links_shown, post.hashtags)
        if thread:
            self._thread_warnings = []
            post.thread, thread_links, thread_tags = self._thread(plat, parts)
            post.warnings.extend(w for w in self._thread_warnings if w not in post.warnings)
            if self._thread_warnings and parts.link and post.link_attachment is None:
                post.link_attachment = parts.link.url
            if plat.shortens_links:
                post.thread_facets = [
                    bluesky_facets(t, links, tags)
                    for t, links, tags in zip(post.thread, thread_links, thread_tags, strict=True)
                ]
        return post

    # ---- threads
    def _thread(self, plat: Platform, parts: _Parts) -> tuple[list[str], list[list[LinkRef]], list[list[str]]]:
        """Numbered parts (1/n): hook + link, the rest of the lede and key points, then related stories."""
        for digits in (1, 2, 3):
            reserve = f"{'9' * digits}/{'9' * digits}"
            bodies = self._thread_bodies(plat, parts, reserve)
            if len(bodies) < 10**digits:
                break
        n = len(bodies)
        texts, links, tags = [], [], []
        for i, (kind, body, refs, used_tags) in enumerate(bodies, start=1):
            number = f"{i}/{n}"
            texts.append(
                self._render(plat.name, body, body.hook, used_tags, 0, number) if kind == "post" else f"{number} {body}"
            )
            links.append(refs)
            tags.append(body.hashtags[:used_tags] if kind == "post" else used_tags or [])
        return texts, links, tags

    def _thread_bodies(self, plat: Platform, parts: _Parts, reserve: str) -> list[tuple[str, Any, list[LinkRef], Any]]:
        bodies: list[tuple[str, Any, list[LinkRef], Any]] = []
        # The lede continues in part 2 when cut, so prefer the whole lede (fewer hashtags) to a cut
        # that leaves a stub like "2/5 …in Beijing." behind; otherwise keep every hashtag.
        fitted = {
            t: fit_text(parts.hook, lambda h, t=t: plat.fits(self._render(plat.name, parts, h, t, 0, reserve)))
            for t in range(len(parts.hashtags), -1, -1)
        }
        whole = [t for t, f in fitted.items() if f and f[1] == len(parts.hook)]
        usable = [t for t, f in fitted.items() if f]
        n_tags = whole[0] if whole else (usable[0] if usable else 0)
        found = fitted[n_tags]
        rest = ""
        if found is None:  # the template leaves no room: the hook alone opens the thread, the link follows
            found = fit_text(parts.hook, lambda h: plat.fits(f"{reserve} {h}"))
            hook, cut = found if found else (parts.hook[:1], 1)
            bodies.append(("text", hook, [], 0))
            if parts.link and plat.fits(f"{reserve} {parts.link.text}"):
                bodies.append(("text", parts.link.text, [parts.link], 0))
            elif parts.link:
                self._thread_warnings.append(
                    f"{plat.name}: the link does not fit in a thread post; it is link_attachment"
                )
        else:
            hook, cut = found
            head = _Parts(hook, parts.link, parts.hashtags, [], parts.title, parts.site)
            bodies.append(("post", head, [parts.link] if parts.link else [], n_tags))
        if cut < len(parts.hook):
            rest = parts.hook[cut:].strip()
        for text, continued in ([(rest, True)] if rest else []) + [(p, False) for p in parts.points]:
            while text:
                lead = ELLIPSIS if continued else ""
                chunk = fit_text(text, lambda s, lead=lead: plat.fits(f"{reserve} {lead}{s}"))
                if chunk is None:
                    break
                shown, cut = chunk
                bodies.append(("text", lead + shown, [], 0))
                text, continued = text[cut:].strip(), True
        for rel in parts.related[:MAX_THREAD_TEASERS]:
            full = fit_text(rel.title, lambda s, r=rel: plat.fits(f"{reserve} Related: {s} {r.link}"))
            if full is not None:
                bodies.append(("text", f"Related: {full[0]} {rel.link}", [LinkRef(rel.url, rel.link)], 0))
        left = parts.hashtags[n_tags:]
        if left and len(bodies) > 1 and bodies[-1][0] == "text":  # hashtags the first part had no room for
            kind, text, refs, _ = bodies[-1]
            closing = f"{text}\n\n{' '.join(left)}"
            if plat.fits(f"{reserve} {closing}"):
                bodies[-1] = (kind, closing, refs, left)
        return bodies

    # ---- many platforms
    def posts(
        self,
        article: Article,
        summary: Summary,
        platforms: Sequence[str] | None = None,
        teasers: Sequence[Teaser] | None = None,
        url: str | None = None,
        thread: bool = False,
    ) -> list[SocialPost]:
        names = list(platforms or self.settings.social.platforms)
        return [self.post(article, summary, name, teasers=teasers, url=url, thread=thread) for name in names]


def story_posts(
    story: Story,
    settings: Settings | None = None,
    platforms: Sequence[str] | None = None,
    thread: bool = False,
    writer: SocialWriter | None = None,
) -> list[SocialPost]:
    """Posts for a summarized story of a digest, its related-story teasers included."""
    writer = writer or SocialWriter(settings)
    return writer.posts(story.article, story.summary, platforms, teasers=story.teasers, thread=thread)


def social_posts(
    article: Article,
    summary: Summary | None = None,
    settings: Settings | None = None,
    platforms: Sequence[str] | None = None,
    teasers: Sequence[Teaser] | None = None,
    url: str | None = None,
    thread: bool = False,
) -> list[SocialPost]:
    """Posts for one article on each platform (summarizing it first if no summary is given)."""
    settings = settings or Settings()
    if summary is None:
        from digest.summarize import summarize

        summary = summarize(article, settings.summary)
    return SocialWriter(settings).posts(article, summary, platforms, teasers=teasers, url=url, thread=thread)


def post_to_dict(post: SocialPost, thread: bool = False) -> dict[str, Any]:
    """The JSON shape `digest social --json` prints (the issue's contract)."""
    data: dict[str, Any] = {
        "platform": post.platform,
        "text": post.text,
        "length": post.length,
        "limit": post.limit,
    }
    if thread:
        data["thread"] = list(post.thread or [])
    data["links"] = list(post.links)
    data["hashtags"] = list(post.hashtags)
    if post.facets is not None:
        data["facets"] = post.facets
    if thread and post.thread_facets is not None:
        data["thread_facets"] = post.thread_facets
    if post.link_attachment:
        data["link_attachment"] = post.link_attachment
    if post.warnings:
        data["warnings"] = post.warnings
    return data


__all__ = [
    "PLATFORMS",
    "SocialWriter",
    "bluesky_facets",
    "fit_text",
    "linkable",
    "post_to_dict",
    "short_link_text",
    "social_posts",
    "story_posts",
]
