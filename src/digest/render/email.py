"""STUB (owned by the email work of issue 3). The contract below is stable.

``render_email(digest, settings) -> RenderedEmail``. The HTML and text are rendered ONCE per
digest with two markers; delivery personalizes each recipient's copy by substitution
(``RenderedEmail.personalize``), never by re-rendering MJML.
"""

from __future__ import annotations

import html as html_lib
from dataclasses import dataclass, field

from digest.config import Settings
from digest.models import Digest

UNSUBSCRIBE_MARKER = "https://digest.invalid/__UNSUBSCRIBE__"
GREETING_MARKER = "__DIGEST_GREETING__"


@dataclass
class RenderedEmail:
    subject: str
    html: str
    text: str
    preheader: str = ""
    warnings: list[str] = field(default_factory=list)

    def personalize(self, unsubscribe_url: str, name: str | None = None) -> tuple[str, str]:
        """(html, text) for one recipient: their unsubscribe link and greeting."""
        greeting = f"Hi {name.strip()}," if name and name.strip() else "Hi,"
        html = self.html.replace(UNSUBSCRIBE_MARKER, html_lib.escape(unsubscribe_url, quote=True))
        html = html.replace(GREETING_MARKER, html_lib.escape(greeting))
        text = self.text.replace(UNSUBSCRIBE_MARKER, unsubscribe_url).replace(GREETING_MARKER, greeting)
        return html, text


def render_email(digest: Digest, settings: Settings) -> RenderedEmail:
    subject = settings.email.subject.format(title=digest.title, date=digest.date.isoformat())
    parts = [f"<h1>{html_lib.escape(digest.title)}</h1>", f"<p>{GREETING_MARKER}</p>"]
    lines = [digest.title, "", GREETING_MARKER, ""]
    for story in digest.stories:
        parts.append(f"<h2>{html_lib.escape(story.article.title)}</h2><p>{html_lib.escape(story.summary.lede)}</p>")
        lines += [story.article.title, story.summary.lede, ""]
    parts.append(f'<p><a href="{UNSUBSCRIBE_MARKER}">Unsubscribe</a></p>')
    lines.append(f"Unsubscribe: {UNSUBSCRIBE_MARKER}")
    html = '<!doctype html><html lang="en"><body>' + "".join(parts) + "</body></html>"
    return RenderedEmail(subject=subject, html=html, text="\n".join(lines) + "\n")
