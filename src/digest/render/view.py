"""What the email templates see: plain, already sanitized values (no models, no settings).

Both the Jinja templates and the Python text layout read these, so they live apart from the
code that builds and renders them.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class LinkView:
    title: str
    url: str | None
    site: str | None = None


@dataclass
class StoryView:
    number: int
    title: str
    url: str | None  # with UTM parameters; None when the article has no safe link
    site: str | None
    author: str | None
    lede: str
    key_points: list[str]
    teasers: list[LinkView]

    def as_link(self) -> LinkView:
        return LinkView(title=self.title, url=self.url, site=self.site)


@dataclass
class DigestView:
    title: str
    subject: str
    date: str  # ISO date
    date_display: str  # "Saturday 28 November 2026"
    lang: str
    intro: str
    greeting: str
    preheader: str
    footer: str
    from_name: str
    unsubscribe_url: str
    view_in_browser: str | None
    stories: list[StoryView]
    more_stories: list[LinkView] = field(default_factory=list)
    omitted: int = 0  # stories left out even of "More stories" (only for absurdly large digests)
