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
class TeaserGroup:
    heading: str  # "Related", or the page's own block heading ("More from Qonversations")
    links: list[LinkView]


@dataclass
class ImageView:
    url: str
    alt: str  # the image's own alt text, else the story title
    width: int  # the width it is shown at, in CSS pixels
    height: int


@dataclass
class StoryView:
    number: int
    title: str
    url: str | None  # with UTM parameters; None when the article has no safe link
    site: str | None
    author: str | None
    lede: str
    key_points: list[str]
    teasers: list[LinkView]  # every teaser with a link, in order (see teaser_groups for headings)
    teaser_groups: list[TeaserGroup] = field(default_factory=list)
    section: str | None = None  # the [[sections]] heading the story is under
    section_start: bool = False  # the first story of its section: show the heading before it
    image: ImageView | None = None
    image_style: str = "none"  # hero | thumbnail | none

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
