"""A story's lead image and categories, from what a page, a feed entry or a JSON file declares.

Pages: ``og:image``, ``twitter:image`` and JSON-LD ``image`` (the image the publisher chose for
sharing), else the first large image in the article body. Feeds: ``media:content``,
``media:thumbnail`` and image enclosures. Only https URLs survive (``links.image_url``),
resolved against the page; width and height are kept when declared, so the email can reserve
the space before the image loads (or when it never does).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from digest.links import image_url
from digest.models import Image

# An image declared smaller than this (either side) is an icon, a logo or a tracking pixel.
MIN_SIDE = 200
_NOT_PHOTOS = re.compile(r"(?:logo|icon|sprite|avatar|badge|pixel|spacer|blank|placeholder)", re.IGNORECASE)
_MAX_ALT = 300


def _int(value: Any) -> int | None:
    try:
        number = int(str(value).strip().removesuffix("px"))
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 20_000 else None


def _text(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    text = " ".join(value.split())
    return text[:_MAX_ALT] or None


def make_image(url: Any, base: str | None, alt: Any = None, width: Any = None, height: Any = None) -> Image | None:
    """An Image if ``url`` is a usable https address (relative ones resolved against ``base``)."""
    checked = image_url(url if isinstance(url, str) else None, base)
    if checked is None:
        return None
    return Image(url=checked, alt=_text(alt), width=_int(width), height=_int(height))


# ---------------------------------------------------------------- pages


def page_image(tree: Any, base: str | None) -> Image | None:
    """The page's declared sharing image, else the first large image of its article body."""
    return _meta_image(tree, base) or _json_ld_image(tree, base) or _body_image(tree, base)


def _meta(tree: Any) -> dict[str, str]:
    found: dict[str, str] = {}
    for el in tree.iter("meta"):
        key = (el.get("property") or el.get("name") or "").strip().lower()
        value = el.get("content")
        if key and value and key not in found:
            found[key] = value
    return found


def _meta_image(tree: Any, base: str | None) -> Image | None:
    meta = _meta(tree)
    for prefix in ("og:image", "twitter:image"):
        url = meta.get(f"{prefix}:secure_url") or meta.get(prefix) or meta.get(f"{prefix}:src")
        image = make_image(
            url, base, meta.get(f"{prefix}:alt"), meta.get(f"{prefix}:width"), meta.get(f"{prefix}:height")
        )
        if image is not None:
            return image
    return None


def _json_ld_objects(tree: Any) -> Iterator[dict[str, Any]]:
    for script in tree.iter("script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json" or not script.text:
            continue
        try:
            data = json.loads(script.text)
        except (ValueError, RecursionError):
            continue
        stack = [data]
        while stack:
            item = stack.pop()
            if isinstance(item, list):
                stack.extend(reversed(item[:50]))
            elif isinstance(item, dict):
                yield item
                graph = item.get("@graph")
                if isinstance(graph, list):
                    stack.extend(reversed(graph[:50]))


def _json_ld_image(tree: Any, base: str | None) -> Image | None:
    for obj in _json_ld_objects(tree):
        kind = obj.get("@type")
        kinds = {k.lower() for k in (kind if isinstance(kind, list) else [kind]) if isinstance(k, str)}
        if not kinds & {"newsarticle", "article", "blogposting", "reportagenewsarticle", "webpage"}:
            continue
        image = _ld_image(obj.get("image") or obj.get("thumbnailUrl"), base)
        if image is not None:
            return image
    return None


def _ld_image(value: Any, base: str | None) -> Image | None:
    if isinstance(value, list):
        for item in value[:10]:
            image = _ld_image(item, base)
            if image is not None:
                return image
        return None
    if isinstance(value, str):
        return make_image(value, base)
    if isinstance(value, dict):
        url = value.get("url") or value.get("contentUrl")
        alt = value.get("caption") or value.get("description") or value.get("name")
        return make_image(url, base, alt, value.get("width"), value.get("height"))
    return None


def _body_image(tree: Any, base: str | None) -> Image | None:
    scopes = list(tree.iter("article")) or list(tree.iter("main")) or list(tree.iter("body"))
    for scope in scopes[:3]:
        for img in scope.iter("img"):
            src = img.get("src") or img.get("data-src") or img.get("data-original")
            if not src or src.startswith("data:") or _NOT_PHOTOS.search(src):
                continue
            width, height = _int(img.get("width")), _int(img.get("height"))
            if (width is not None and width < MIN_SIDE) or (height is not None and height < MIN_SIDE):
                continue
            if width is None and height is None and not img.get("srcset"):
                continue  # nothing says it is large: a guess would too often be an icon
            image = make_image(src, base, img.get("alt"), width, height)
            if image is not None:
                return image
    return None


def page_categories(tree: Any) -> list[str]:
    """The page's declared sections (``article:section``, JSON-LD ``articleSection``)."""
    found: list[Any] = []
    for el in tree.iter("meta"):
        if (el.get("property") or el.get("name") or "").strip().lower() == "article:section":
            found.append(el.get("content") or "")
    for obj in _json_ld_objects(tree):
        section = obj.get("articleSection")
        found.extend(section if isinstance(section, list) else [section])
    return clean_categories(found)


def clean_categories(values: Any) -> list[str]:
    """Distinct, trimmed category names (at most 20 of 100 characters each)."""
    out: list[str] = []
    seen: set[str] = set()
    for value in values if isinstance(values, list | tuple) else [values]:
        text = _text(value)
        if text and len(text) <= 100 and text.casefold() not in seen:
            seen.add(text.casefold())
            out.append(text)
        if len(out) >= 20:
            break
    return out


# ---------------------------------------------------------------- feeds


def entry_image(entry: Any, base: str | None) -> Image | None:
    """``media:content`` (images only), ``media:thumbnail``, then image enclosures."""
    for item in entry.get("media_content", []) or []:
        medium, kind = (item.get("medium") or "").lower(), (item.get("type") or "").lower()
        if medium in ("", "image") and (not kind or kind.startswith("image/")):
            image = make_image(item.get("url"), base, None, item.get("width"), item.get("height"))
            if image is not None:
                return image
    for item in entry.get("media_thumbnail", []) or []:
        image = make_image(item.get("url"), base, None, item.get("width"), item.get("height"))
        if image is not None:
            return image
    for item in entry.get("enclosures", []) or []:
        if (item.get("type") or "").lower().startswith("image/"):
            image = make_image(item.get("href") or item.get("url"), base)
            if image is not None:
                return image
    return None


def entry_categories(entry: Any) -> list[str]:
    return clean_categories([t.get("label") or t.get("term") for t in entry.get("tags", []) or []])


# ---------------------------------------------------------------- JSON input


def mapping_image(value: Any, base: str | None) -> Image | None:
    """``"image": "https://..."`` or ``"image": {"url", "alt", "width", "height"}``."""
    if isinstance(value, dict):
        return make_image(
            value.get("url") or value.get("src"), base, value.get("alt"), value.get("width"), value.get("height")
        )
    return make_image(value, base)
