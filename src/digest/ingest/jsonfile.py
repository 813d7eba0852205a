"""JSON -> Article(s): ``{"title", "text" or "body", "url", ...}``, or a list of those.

Field names follow what exporters commonly write: ``text``/``body``/``content``/
``articleBody`` for the text, ``published``/``date``/``datePublished`` for the date.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from digest.errors import InputError
from digest.ingest.images import clean_categories, mapping_image
from digest.models import Article, Related

TEXT_KEYS = ("text", "body", "content", "articleBody")
DATE_KEYS = ("published", "date", "datePublished", "published_at")


def _str(value: Any) -> str | None:
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def _related(value: Any) -> list[Related]:
    out: list[Related] = []
    if not isinstance(value, list):
        return out
    for item in value:
        if isinstance(item, str) and item.strip():
            out.append(Related(title=item.strip()))
        elif isinstance(item, dict) and _str(item.get("title")):
            url, section = _str(item.get("url")), _str(item.get("section"))
            out.append(Related(title=item["title"].strip(), url=url, section=section))
    return out


def article_from_mapping(data: Any, source: str) -> tuple[Article, bool]:
    """One article from a decoded JSON object; the bool says whether a title was given."""
    if not isinstance(data, dict):
        raise InputError(f'{source}: expected a JSON object with a "text" or "body", got {type(data).__name__}')
    text = next((data[k] for k in TEXT_KEYS if k in data), None)
    if not isinstance(text, str):
        keys = " or ".join(f'"{k}"' for k in TEXT_KEYS[:2])
        raise InputError(f"{source}: the JSON object has no {keys} string")
    published = None
    for key in DATE_KEYS:
        raw = _str(data.get(key))
        if raw:
            try:
                published = datetime.fromisoformat(raw.replace("Z", "+00:00"))
            except ValueError:
                published = None
            break
    title = _str(data.get("title")) or _str(data.get("headline"))
    author = data.get("author")
    url = _str(data.get("url")) or _str(data.get("link"))
    article = Article(
        title=title or "",
        text=text,
        source=source,
        url=url,
        published=published,
        author=_str(author.get("name")) if isinstance(author, dict) else _str(author),
        site=_str(data.get("site")) or _str(data.get("source_name")),
        language=_str(data.get("language")) or _str(data.get("lang")),
        related=_related(data.get("related")),
        guid=_str(data.get("id")) if isinstance(data.get("id"), str) else None,
        image=mapping_image(data.get("image"), url),
        categories=clean_categories(data.get("categories") or data.get("category") or []),
    )
    return article, title is not None


def load_json(text: str, source: str) -> Any:
    """Decoded JSON, or InputError naming ``source``: malformed, or nested too deep to read
    (100,000 opening brackets exhaust Python's stack in the standard decoder)."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{source}: not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from None
    except RecursionError:
        raise InputError(f"{source}: JSON nested too deeply to read (an article is an object of strings)") from None


def parse_json(text: str, source: str) -> list[tuple[Article, bool]]:
    data = load_json(text, source)
    if isinstance(data, list):
        if not data:
            raise InputError(f"{source}: an empty JSON list")
        return [article_from_mapping(item, f"{source}#{i}") for i, item in enumerate(data, start=1)]
    return [article_from_mapping(data, source)]
