"""Everything that would go wrong with today's digest, found before it goes.

The checks read what readers would actually get: the rendered email HTML (parsed with the
standard library's ``html.parser``, not regexes), the stories, the social posts and the
sources that failed. Each finding is one short line an editor can act on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlsplit

from digest.links import canonical_url
from digest.models import SocialPost, Story
from digest.render.size import html_bytes

GMAIL_CLIP_BYTES = 102_000  # Gmail clips the HTML part past about 102 KB
NEAR_LIMIT = 0.9  # warn when the HTML uses 90% of its budget


@dataclass(frozen=True)
class PreviewWarning:
    kind: str  # size | stories | lede | markup | alt | image | post | source | link | render
    message: str
    level: str = "warning"  # error (must fix before sending) | warning

    def to_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "level": self.level, "message": self.message}


@dataclass
class HtmlFindings:
    images_without_alt: list[str] = field(default_factory=list)
    insecure_links: list[str] = field(default_factory=list)


class _EmailScanner(HTMLParser):
    """Collects images lacking alt text and http:// links/images in one pass."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found = HtmlFindings()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k.lower(): (v or "") for k, v in attrs}
        if tag == "img":
            if not _decorative(a) and not a.get("alt", "").strip():
                self.found.images_without_alt.append(a.get("src", "") or "(no src)")
            _check_url(a.get("src", ""), self.found.insecure_links)
        elif tag in {"a", "area"}:
            _check_url(a.get("href", ""), self.found.insecure_links)

    handle_startendtag = handle_starttag


def _decorative(attrs: dict[str, str]) -> bool:
    """Spacers and tracking pixels: 1x1 images, or images marked as presentation only."""
    if attrs.get("role") == "presentation" or attrs.get("aria-hidden") == "true":
        return "alt" in attrs
    return attrs.get("width", "").strip() in {"0", "1"} and attrs.get("height", "").strip() in {"0", "1"}


def _check_url(url: str, out: list[str]) -> None:
    url = url.strip()
    if urlsplit(url).scheme.lower() == "http" and url not in out:
        out.append(url)


def scan_email_html(html: str) -> HtmlFindings:
    scanner = _EmailScanner()
    scanner.feed(html)
    scanner.close()
    return scanner.found


def size_warnings(html_bytes: int, limit: int) -> list[PreviewWarning]:
    if html_bytes > limit:
        clip = "Gmail will clip it and hide the footer" if html_bytes > GMAIL_CLIP_BYTES else "clients may clip it"
        return [
            PreviewWarning(
                "size",
                f"HTML is {html_bytes:,} bytes, over the {limit:,}-byte clipping limit: {clip} "
                "(unsubscribe link included)",
                "error",
            )
        ]
    if html_bytes >= NEAR_LIMIT * limit:
        return [
            PreviewWarning(
                "size", f"HTML is {html_bytes:,} bytes, {html_bytes / limit:.0%} of the {limit:,}-byte clipping limit"
            )
        ]
    return []


def story_warnings(stories: Sequence[Story], shown: Callable[[str], str] | None = None) -> list[PreviewWarning]:
    """Missing ledes, and titles the email must change (``shown``: what the email makes of a text)."""
    out = []
    for i, story in enumerate(stories, start=1):
        lede = (story.summary.lede or "").strip()
        title = story.article.title.strip()
        if shown is not None and shown(title) != " ".join(title.split()):
            readers = shown(title) or "(untitled)"
            out.append(
                PreviewWarning("markup", f"Story {i} “{title}”: the title holds markup; readers see “{readers}”")
            )
        if not lede:
            out.append(PreviewWarning("lede", f"Story {i} “{title}” has no lede", "error"))
        elif lede == title:
            out.append(PreviewWarning("lede", f"Story {i} “{title}”: the lede only repeats the title"))
    return out


def image_warnings(stories: Sequence[Story], images: str) -> list[PreviewWarning]:
    """Stories that will show no image, or an image with no alt text of its own ([email] images)."""
    if images == "none":
        return []
    out = []
    for i, story in enumerate(stories, start=1):
        if images == "hero" and i > 1:
            break
        title = story.article.title.strip()
        image = story.article.image
        if image is None:
            out.append(PreviewWarning("image", f"Story {i} “{title}” has no image"))
        elif not (image.alt or "").strip():
            out.append(PreviewWarning("alt", f"Story {i} “{title}”: its image has no alt text (readers get the title)"))
    return out


def post_warnings(
    posts_by_story: Sequence[Sequence[SocialPost]],
    titles: Sequence[str],
    problems_by_story: Sequence[Sequence[Sequence[str]]] | None = None,
) -> list[PreviewWarning]:
    """Posts that cannot be pasted as they are (``problems_by_story``: precomputed, per post)."""
    from digest.preview.counting import post_problems

    out = []
    for n, (title, posts) in enumerate(zip(titles, posts_by_story, strict=True)):
        for k, post in enumerate(posts):
            found = problems_by_story[n][k] if problems_by_story is not None else post_problems(post)
            problems = list(found) + list(getattr(post, "warnings", []) or [])
            if problems:
                out.append(
                    PreviewWarning("post", f"{platform_label(post.platform)} post for “{title}”: {', '.join(problems)}")
                )
    return out


def link_warnings(
    email_links: Sequence[str], posts_by_story: Sequence[Sequence[SocialPost]] = ()
) -> list[PreviewWarning]:
    """One line per plain-http address (tracking parameters aside), naming where it appears."""
    places: dict[str, list[str]] = {}
    for url in email_links:
        places.setdefault(canonical_url(url), []).append("email")
    for posts in posts_by_story:
        for post in posts:
            for link in post.links:
                if urlsplit(link).scheme.lower() == "http":
                    places.setdefault(canonical_url(link), []).append(platform_label(post.platform))
    out = []
    for url, where in places.items():
        named = list(dict.fromkeys(where))
        shown = ", ".join(named[:-1]) + " and " + named[-1] if len(named) > 1 else named[0]
        out.append(PreviewWarning("link", f"Not https: {url} (in the {shown}{' posts' if named != ['email'] else ''})"))
    return out


def email_warnings(html: str, limit: int, posts_by_story: Sequence[Sequence[SocialPost]] = ()) -> list[PreviewWarning]:
    """Size against the clipping limit, images without alt text, plain-http links."""
    size = html_bytes(html)
    found = scan_email_html(html)
    out = size_warnings(size, limit)
    out += [PreviewWarning("alt", f"Image without alt text: {src}") for src in found.images_without_alt]
    return out + link_warnings(found.insecure_links, posts_by_story)


def failure_warnings(failures: Iterable[object]) -> list[PreviewWarning]:
    out = []
    for f in failures:
        source, error = str(getattr(f, "source", "?")), str(getattr(f, "error", f))
        text = error if error.startswith(source) else f"{source}: {error}"
        out.append(PreviewWarning("source", f"Source failed: {text}", "error"))
    return out


def empty_warnings(stories: Sequence[Story]) -> list[PreviewWarning]:
    if stories:
        return []
    return [PreviewWarning("stories", "The digest has no stories: there is nothing to send", "error")]


PLATFORM_LABELS = {"x": "X", "bluesky": "Bluesky", "mastodon": "Mastodon", "linkedin": "LinkedIn", "threads": "Threads"}


def platform_label(platform: str) -> str:
    return PLATFORM_LABELS.get(platform, platform.title())


def dedupe(warnings: Iterable[PreviewWarning]) -> list[PreviewWarning]:
    """Errors first, then warnings, each once, in the order found."""
    seen: set[tuple[str, str]] = set()
    unique = []
    for w in warnings:
        if (w.kind, w.message) not in seen:
            seen.add((w.kind, w.message))
            unique.append(w)
    return sorted(unique, key=lambda w: 0 if w.level == "error" else 1)
