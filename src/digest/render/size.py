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
    return replace(
        view,
        stories=[
            replace(s, key_points=s.key_points[:KEPT_POINTS], key_point_links=s.key_point_links[:KEPT_POINTS])
            for s in view.stories
        ],
    )


def _split(view: DigestView, full: int, listed: int | None = None) -> DigestView:
    """Keep the first ``full`` stories whole; list the rest (up to ``listed``) by title."""
    rest = [s.as_link() for s in view.stories[full:]] + list(view.more_stories)
    shown = rest if listed is None else rest[:listed]
    return replace(view, stories=view.stories[:full], more_stories=shown, omitted=view.omitted + len(rest) - len(shown))


def _largest_fitting(
    lo: int, hi: int, size: Callable[[int], int], budget: int, known_hi: int | None = None
) -> int | None:
    """The largest k in [lo, hi] with size(k) <= budget, size growing with k (one render each).

    The HTML grows by about the same bytes per story kept whole, so the next guess is
    interpolated from the two sizes around the answer rather than halved: two or three
    renders instead of log2(stories) + 1.
    """
    s_lo = size(lo)
    if s_lo > budget:
        return None
    s_hi = known_hi if known_hi is not None else size(hi)
    if s_hi <= budget:
        return hi
    while hi - lo > 1:
        guess = lo + int((budget - s_lo) * (hi - lo) / max(1, s_hi - s_lo))
        guess = min(max(guess, lo + 1), hi - 1)
        found = size(guess)
        if found <= budget:
            lo, s_lo = guess, found
        else:
            hi, s_hi = guess, found
    return lo


def fit_html(
    view: DigestView, render: Callable[[DigestView], str], max_bytes: int
) -> tuple[str, DigestView, list[str]]:
    """Render ``view``; shrink it step by step until the HTML fits ``max_bytes``.

    Returns the HTML, the view actually rendered and the warnings describing what was done.
    """
    budget = max_bytes - PERSONALIZATION_RESERVE
    html = render(view)
    original = size = html_bytes(html)
    if original <= budget:
        return html, view, []

    steps: list[str] = []
    # (stories kept whole, titles listed) -> (html, its size): each render is measured once
    cache: dict[tuple[int, int | None], tuple[str, int]] = {}

    def done(final: tuple[str, int], final_view: DigestView) -> tuple[str, DigestView, list[str]]:
        final_html, final_size = final
        msg = (
            f"email HTML was {original:,} bytes as sent, over the {max_bytes:,}-byte limit "
            f"(Gmail clips larger messages): {'; '.join(steps)}; now {final_size:,} bytes"
        )
        if final_size > budget:
            msg += " and STILL over the limit: shorten the intro, footer or templates"
        return final_html, final_view, [msg]

    if any(s.teasers for s in view.stories):
        view = _without_teasers(view)
        html = render(view)
        size = html_bytes(html)
        steps.append("dropped related-story teasers")
        if size <= budget:
            return done((html, size), view)

    if any(len(s.key_points) > KEPT_POINTS for s in view.stories):
        view = _fewer_points(view)
        html = render(view)
        size = html_bytes(html)
        steps.append(f"kept only the first {KEPT_POINTS} key points per story")
        if size <= budget:
            return done((html, size), view)

    def attempt(full: int, listed: int | None = None) -> tuple[str, int]:
        key = (full, listed)
        if key not in cache:
            rendered = render(_split(view, full, listed))
            cache[key] = (rendered, html_bytes(rendered))
        return cache[key]

    total = len(view.stories)
    cache[(total, None)] = (html, size)  # the whole view, just rendered: every story kept whole
    full = _largest_fitting(0, total, lambda k: attempt(k)[1], budget, known_hi=size)
    if full is not None:
        moved = total - full
        steps.append(f'moved the last {moved} {"story" if moved == 1 else "stories"} into "More stories" (titles only)')
        return done(attempt(full), _split(view, full))

    # Even titles alone are too many: list as many as fit and say how many were left out.
    listed_all = len(view.stories) + len(view.more_stories)
    listed = _largest_fitting(0, listed_all, lambda m: attempt(0, m)[1], budget) or 0
    final = _split(view, 0, listed)
    steps.append(
        f'listed {listed} stories by title under "More stories" and left out {final.omitted} '
        "(the digest has too many stories for one email: lower [digest] max_stories)"
    )
    return done(attempt(0, listed), final)
