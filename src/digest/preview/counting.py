"""The server side of the page's live counters: the social work's own counting rules.

The page's JavaScript (static/counting.js) ports ``digest.render.platforms`` line for line;
``counting_data()`` hands it the data tables those rules use (top-level domains, X's
recommended emoji ZWJ sequences) from the same Python sources, so the two cannot drift.
tests/preview/test_counting.py evaluates the JavaScript in Chromium against these numbers.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from digest.models import SocialPost
from digest.render.platforms import check_length


def post_problems(post: SocialPost) -> list[str]:
    """Why a post cannot be pasted as it is, worded as `digest length` words it."""
    mastodon_limit = post.limit if post.platform == "mastodon" else 500
    problems = list(check_length(post.text, post.platform, mastodon_limit).problems)
    for i, part in enumerate(post.thread or [], start=1):
        report = check_length(part, post.platform, mastodon_limit)
        problems += [f"thread part {i}: {p}" for p in report.problems]
    return problems


@cache
def counting_data() -> dict[str, Any]:
    """/counting.json: what static/counting.js needs to count exactly as the server does."""
    from digest.preview import nameprep
    from digest.render.twitter_text import rgi_zwj_sequences, top_level_domains

    return {
        "tlds": list(top_level_domains()),
        "rgi_zwj": sorted(rgi_zwj_sequences()),
        "nameprep": nameprep.load(),
    }
