"""Social posts for one article, fitted exactly to each platform's own counting.

Editors paste these straight into X, Bluesky, Mastodon, LinkedIn and Threads, so every post is
measured AFTER its template is rendered, with the platform's own rules (digest.render.platforms).
The hook (from the lede) is the part that gives way: it is cut at a word boundary and ends with
"…" (``fit``). The link is never cut: on Bluesky its text is shortened and the facet carries the
full URL (``links``, ``facets``); where a URL alone cannot fit (a 2,000-character URL on
Threads) it goes to ``link_attachment`` instead of being mangled. Hashtags and the "Related:"
teaser appear only when room allows; a user template that runs too long falls back to hook +
link (``writer``).
"""

from digest.render.platforms import PLATFORMS
from digest.render.social.facets import bluesky_facets
from digest.render.social.fit import fit_text
from digest.render.social.links import linkable, short_link_text
from digest.render.social.writer import SocialWriter, post_to_dict, social_posts, story_posts

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
