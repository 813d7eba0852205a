"""The reader pages: Jinja templates under ``templates/web/``, overridable file by file through
``[email] templates_dir`` like the e-mail's, with the newsletter's title and accent colour."""

from __future__ import annotations

from typing import Any

import jinja2
from starlette.responses import HTMLResponse

from digest.config import Settings
from digest.render.templates import make_environment, template_errors
from digest.web.security import CSRF_FIELD


def text_on(colour: str) -> str:
    """Black or white, whichever reads better on ``colour`` (WCAG relative luminance)."""

    def channel(hex_pair: str) -> float:
        c = int(hex_pair, 16) / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(colour[i : i + 2]) for i in (1, 3, 5))
    lum = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return "#ffffff" if (1.05 / (lum + 0.05)) >= ((lum + 0.05) / 0.05) else "#111111"


class Pages:
    def __init__(self, settings: Settings) -> None:
        self.env: jinja2.Environment = make_environment(settings)
        accent = settings.web.accent_color
        self.base = {
            "title": settings.digest.title,
            "accent": accent,
            "accent_text": text_on(accent),
            "csrf_field": CSRF_FIELD,
            "archive": settings.web.archive,
            "language": settings.email.language,
            "root": "/",  # a static export renders with relative paths instead
            "subscribe_url": "/subscribe",
        }
        with template_errors():  # a broken override is reported when the service starts
            for name in ("page", "subscribe", "message", "confirm", "unsubscribe", "preferences", "archive"):
                self.env.get_template(f"web/{name}.html.j2")

    def html(self, template: str, **context: Any) -> str:
        with template_errors():
            return self.env.get_template(f"web/{template}.html.j2").render({**self.base, **context})

    def render(self, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        return HTMLResponse(self.html(template, **context), status_code=status, headers={"cache-control": "no-store"})

    def colours(self) -> str:
        """The configured accent as CSS variables (the pages allow no inline style)."""
        accent, on_accent = self.base["accent"], self.base["accent_text"]
        return f"\n:root {{ --accent: {accent}; --button: {accent}; --button-text: {on_accent}; }}\n"

    def stylesheet(self) -> str:
        with template_errors():
            source, _, _ = self.env.loader.get_source(self.env, "web/site.css")  # type: ignore[union-attr]
        return source

    def message(self, heading: str, text: str, status: int = 200, **context: Any) -> HTMLResponse:
        return self.render("message", status, heading=heading, text=text, **context)
