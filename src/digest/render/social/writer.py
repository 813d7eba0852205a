"""The post writer: one post per platform for an article, measured after its template renders."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import jinja2

from digest.config import Settings
from digest.errors import InputError
from digest.links import add_utm, image_url
from digest.models import Article, SocialPost, Story, Summary, Teaser
from digest.render.hashtags import derive_hashtags
from digest.render.platforms import Platform, get_platform
from digest.render.social.facets import bluesky_facets
from digest.render.social.fit import ELLIPSIS, fit_text, tidy
from digest.render.social.links import LinkRef, RelatedRef, linkable, short_link_text, web_link
from digest.render.templates import make_environment, template_errors
from digest.sanitize import plain_text, visible

MIN_HOOK_CHARS = 100  # below this, drop the teaser/hashtags rather than shorten the hook further
MAX_TEASER_TITLE = 80
MAX_THREAD_TEASERS = 3


@dataclass
class _Parts:
    hook: str
    link: LinkRef | None
    hashtags: list[str]
    related: list[RelatedRef]
    title: str
    site: str | None
    points: list[str] = field(default_factory=list)


class SocialWriter:
    """Builds posts for one or many articles; templates are loaded once and reused."""

    def __init__(self, settings: Settings | None = None, environment: jinja2.Environment | None = None) -> None:
        """``environment``: a Jinja environment to reuse (a long-running caller keeps one across
        writers, so templates are compiled once); by default each writer makes its own."""
        self.settings = settings or Settings()
        self._env: jinja2.Environment | None = environment
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

    def _fits(self, platform: Platform, parts: _Parts, tags: int, related: int, number: str, hook: str) -> bool:
        return platform.fits(self._render(platform.name, parts, hook, tags, related, number))

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
        text = tidy(text)
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
        target = web_link(url or article.url)
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
            teaser_url = web_link(teaser.url, base=article.url)
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
            found = fit_text(parts.hook, partial(self._fits, platform, parts, tags, rel, number))
            if found and (last or len(found[0]) >= keep or found[0] == parts.hook):
                return self._render(name, parts, found[0], tags, rel, number), tags, rel, []
        # The template itself leaves no room: plain hook + link.
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
        if not (visible(article.title) or visible(article.text)):
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
            if parts.link is not None:
                post.card = link_card(parts.link.url, parts.title, summary, article)
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
            t: fit_text(parts.hook, partial(self._fits, plat, parts, t, 0, reserve))
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
                chunk = fit_text(text, partial(_fits_after, plat, f"{reserve} {lead}"))
                if chunk is None:
                    break
                shown, cut = chunk
                bodies.append(("text", lead + shown, [], 0))
                text, continued = text[cut:].strip(), True
        for rel in parts.related[:MAX_THREAD_TEASERS]:
            full = fit_text(rel.title, partial(_fits_between, plat, f"{reserve} Related: ", f" {rel.link}"))
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
    """The JSON shape `digest social --json` prints (documented in docs/json.md)."""
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
    if post.card is not None:
        data["external"] = post.card
    if post.warnings:
        data["warnings"] = post.warnings
    return data


CARD_DESCRIPTION_CHARS = 300


def link_card(uri: str, title: str, summary: Summary, article: Article) -> dict[str, str | None]:
    """A Bluesky link card (app.bsky.embed.external): the story's link, title, a description
    from the lede, and the image URL to upload as its thumbnail (None when the story has none)."""
    description = plain_text(summary.lede) or plain_text(article.text[:1000])
    if len(description) > CARD_DESCRIPTION_CHARS:
        description = fit_text(description, lambda d: len(d) <= CARD_DESCRIPTION_CHARS)[0]  # type: ignore[index]
    thumb = image_url(article.image.url) if article.image else None
    return {"uri": uri, "title": title or uri, "description": description, "thumb": thumb}


def _fits_after(platform: Platform, prefix: str, text: str) -> bool:
    return platform.fits(prefix + text)


def _fits_between(platform: Platform, prefix: str, suffix: str, text: str) -> bool:
    return platform.fits(prefix + text + suffix)
