"""Keep the HTML part under Gmail's clipping limit, visibly.

Gmail hides everything past ~102 KB of HTML behind "[Message clipped]", unsubscribe link
included. When a digest renders over ``[email] max_html_bytes`` we shrink it in steps, each
costing the reader less than the next: drop the related-story teasers, then key points beyond
the first two, then move the last stories into a compact "More stories" list of linked titles
(as few as possible, found by bisection). Every step taken is reported in a warning; the HTML
is never cut off.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from digest.render.view import DigestView

# Room kept for personalization: the per-recipient unsubscribe URL and greeting replace shorter
# markers after rendering, so the rendered HTML must leave space for them.
PERSONALIZATION_RESERVE = 1_024
KEPT_POINTS = 2


# Bytes quoted-printable writes as "=XX": "=" itself, 8-bit bytes and control characters.
_ESCAPED = bytes([*range(0, 9), *range(11, 32), 127, *range(128, 256)])


def html_bytes(html: str) -> int:
    """The HTML part's size as it is transferred, which is what Gmail's clipping counts:
    quoted-printable (every "=" and non-ASCII byte takes three, a soft break every 76) with
    CRLF line ends. A page that is 97 KB decoded can be 106 KB on the wire.

    Counted, not encoded (a quarter of the time of binascii.b2a_qp, and the same figure on
    our HTML): the encoder in digest.mailing.message is what actually writes the bytes.
    """
    total = 0
    for line in html.replace("\r\n", "\n").encode("utf-8").split(b"\n"):
        size = len(line) + 2 * (line.count(b"=") + len(line) - len(line.translate(None, _ESCAPED)))
        if size > 76:
            size += 3 * ((size - 1) // 75)  # "=" CRLF soft breaks
        total += size + 2
    return total


def _without_teasers(view: DigestView) -> DigestView:
    return replace(view, stories=[replace(s, teasers=[], teaser_groups=[]) for s in view.stories])


def _fewer_points(view: DigestView) -> DigestView:
    return replace(view, stories=[replace(s, key_points=s.key_points[:KEPT_POINTS]) for s in view.stories])


def _split(view: DigestView, full: int, listed: int | None = None) -> DigestView:
    """Keep the first ``full`` stories whole; list the rest (up to ``listed``) by title."""
    rest = [s.as_link() for s in view.stories[full:]] + list(view.more_stories)
    shown = rest if listed is None else rest[:listed]
    return replace(view, stories=view.stories[:full], more_stories=shown, omitted=view.omitted + len(rest) - len(shown))


def _largest_fitting(lo: int, hi: int, fits: Callable[[int], bool]) -> int | None:
    """The largest k in [lo, hi] with fits(k), assuming fits is monotone decreasing in k."""
    if not fits(lo):
        return None
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if fits(mid):
            lo = mid
        else:
            hi = mid - 1
    return lo


def fit_html(
    view: DigestView, render: Callable[[DigestView], str], max_bytes: int
) -> tuple[str, DigestView, list[str]]:
    """Render ``view``; shrink it step by step until the HTML fits ``max_bytes``.

    Returns the HTML, the view actually rendered and the warnings describing what was done.
    """
    budget = max_bytes - PERSONALIZATION_RESERVE
    html = render(view)
    original = html_bytes(html)
    if original <= budget:
        return html, view, []

    steps: list[str] = []
    cache: dict[tuple[int, int | None], str] = {}

    def done(final_html: str, final_view: DigestView) -> tuple[str, DigestView, list[str]]:
        size = html_bytes(final_html)
        msg = (
            f"email HTML was {original:,} bytes as sent, over the {max_bytes:,}-byte limit "
            f"(Gmail clips larger messages): {'; '.join(steps)}; now {size:,} bytes"
        )
        if size > budget:
            msg += " and STILL over the limit: shorten the intro, footer or templates"
        return final_html, final_view, [msg]

    if any(s.teasers for s in view.stories):
        view = _without_teasers(view)
        html = render(view)
        steps.append("dropped related-story teasers")
        if html_bytes(html) <= budget:
            return done(html, view)

    if any(len(s.key_points) > KEPT_POINTS for s in view.stories):
        view = _fewer_points(view)
        html = render(view)
        steps.append(f"kept only the first {KEPT_POINTS} key points per story")
        if html_bytes(html) <= budget:
            return done(html, view)

    def attempt(full: int, listed: int | None = None) -> str:
        key = (full, listed)
        if key not in cache:
            cache[key] = render(_split(view, full, listed))
        return cache[key]

    total = len(view.stories)
    full = _largest_fitting(0, max(0, total - 1), lambda k: html_bytes(attempt(k)) <= budget)
    if full is not None:
        moved = total - full
        steps.append(f'moved the last {moved} {"story" if moved == 1 else "stories"} into "More stories" (titles only)')
        return done(attempt(full), _split(view, full))

    # Even titles alone are too many: list as many as fit and say how many were left out.
    listed_all = len(view.stories) + len(view.more_stories)
    listed = _largest_fitting(0, listed_all, lambda m: html_bytes(attempt(0, m)) <= budget) or 0
    final = _split(view, 0, listed)
    steps.append(
        f'listed {listed} stories by title under "More stories" and left out {final.omitted} '
        "(the digest has too many stories for one email: lower [digest] max_stories)"
    )
    return done(attempt(0, listed), final)
