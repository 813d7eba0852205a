"""The preview page: its model (what the template sees) and its rendering.

The page comes from ``templates/preview/page.html.j2``, which users override like the email
templates. Autoescape is on; the email itself reaches the page only through the frames' src.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jinja2

from digest.config import Settings
from digest.models import SocialPost
from digest.preview import warnings as checks
from digest.preview.build import PreviewBuild
from digest.render.templates import make_environment, template_dirs, template_errors

PAGE_TEMPLATE = "preview/page.html.j2"


def page_context(
    build: PreviewBuild, *, csrf_token: str, dark: bool = False, send: dict[str, Any] | None = None
) -> dict[str, Any]:
    """What the page template sees: everything as plain values, escaped by the template."""
    settings = build.settings
    digest = build.result.digest
    stories = []
    for i, (story, posts, problems) in enumerate(zip(build.stories, build.posts, build.problems, strict=True), start=1):
        stories.append(
            {
                "index": i,
                "title": story.article.title,
                "url": story.article.url,
                "site": story.article.site or story.article.source,
                "lede": story.summary.lede,
                "key_points": story.summary.key_points,
                "teasers": story.teasers,
                "posts": [
                    {
                        "platform": p.platform,
                        "label": checks.platform_label(p.platform),
                        "text": p.text,
                        "length": p.length,
                        "limit": p.limit,
                        "links": p.links,
                        "hashtags": p.hashtags,
                        "problems": problems[j],
                        "paste_links": paste_links(p),
                    }
                    for j, p in enumerate(posts)
                ],
            }
        )
    query = f"?b={build.id}"
    return {
        "digest": digest,
        "subject": build.email.subject,
        "preheader": build.email.preheader,
        "from_name": settings.delivery.from_name,
        "from_address": settings.delivery.from_address,
        "html_bytes": build.html_bytes,
        "max_html_bytes": settings.email.max_html_bytes,
        "text": build.text,
        "warnings": build.warnings,
        "errors": sum(1 for w in build.warnings if w.level == "error"),
        "stories": stories,
        "failures": build.result.failures,
        "build": build,
        "config_label": settings.label,
        "dark": dark,
        "email_src": f"/email.html{query}" + ("&dark=1" if dark else ""),
        "text_src": f"/email.txt{query}",
        "posts_src": f"/posts.json{query}",
        "csrf_token": csrf_token,
        "send": {"ok": "", "error": "", "report": "", "to": "", **(send or {})},
        "default_test_to": ", ".join(settings.delivery.editors),
    }


def paste_links(post: SocialPost) -> list[list[str]]:
    """[shown text, full URL] for links the post shows shortened (Bluesky), from its facets.

    The copy button pastes the full URL in their place: the Bluesky composer shortens links
    itself and links the full URL, while a pasted "example.com/pa…" would link a cut URL.
    """
    pairs = []
    raw = post.text.encode("utf-8")
    for facet in post.facets or []:
        index = facet.get("index", {})
        for feature in facet.get("features", []):
            uri = feature.get("uri")
            if uri and feature.get("$type", "").endswith("#link"):
                shown = raw[index.get("byteStart", 0) : index.get("byteEnd", 0)].decode("utf-8", "replace")
                if shown and shown != uri:
                    pairs.append([shown, uri])
    return pairs


def is_http_url(url: str | None) -> bool:
    """Only http(s) links are made clickable on the page (never javascript: or data:)."""
    return bool(url) and urlsplit(url or "").scheme.lower() in {"http", "https"}


@functools.lru_cache(maxsize=8)
def _page_environment(dirs: tuple[Path, ...], settings: Settings) -> jinja2.Environment:
    """Compiled once per template folders; Jinja re-reads a template whose file changed."""
    env = make_environment(settings, autoescape=True)
    env.filters["thousands"] = lambda n: f"{n:,}"
    env.filters["http_url"] = is_http_url
    return env


def render_page(build: PreviewBuild, *, csrf_token: str, dark: bool = False, send: dict[str, Any] | None = None) -> str:
    """The page, from templates/preview/page.html.j2 (overridable like the email templates)."""
    env = _page_environment(tuple(template_dirs(build.settings)), build.settings)
    with template_errors():
        template = env.get_template(PAGE_TEMPLATE)
        return template.render(**page_context(build, csrf_token=csrf_token, dark=dark, send=send))


def posts_document(build: PreviewBuild) -> dict[str, Any]:
    """/posts.json: the same shape as `digest social --json`, grouped per story."""
    return {
        "build": build.id,
        "stories": [
            {
                "title": story.article.title,
                "url": story.article.url,
                "posts": [
                    {
                        "platform": p.platform,
                        "text": p.text,
                        "length": p.length,
                        "limit": p.limit,
                        "links": p.links,
                        "hashtags": p.hashtags,
                        **({"facets": p.facets} if p.facets is not None else {}),
                    }
                    for p in posts
                ],
            }
            for story, posts in zip(build.stories, build.posts, strict=True)
        ],
        "warnings": [w.to_dict() for w in build.warnings],
    }
