"""Keep the HTML part under Gmail's clipping limit, visibly.

Gmail hides everything past ~102 KB of HTML behind "[Message clipped]", unsubscribe link
included. When a digest renders over ``[email] max_html_bytes`` we shrink it in steps, each
costing the reader less than the next: drop the related-story teasers, then key points beyond
the first two, then move the last stories into a compact "More stories" list of linked titles
(as few as possible). Every step taken is reported in a warning; the HTML is never cut off.

Compiling MJML is the costly part of a render, so the bundled templates are compiled ONCE,
with splice points (``<i data-dg-cut="...">`` when ``marking`` is set) around each story, its
extra key points and its teasers, and with every story also listed under "More stories". Each
shrinking step is then a matter of leaving pieces of that HTML out (``render.splice``): MRML
renders each section on its own, so the spliced HTML is byte for byte what compiling the
shrunk MJML gives (a test holds it to that). Templates without the splice points are shrunk
by re-rendering.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from digest.render.splice import Choice, MarkedRender, Pieces
from digest.render.view import DigestView
from digest.render.wire import html_bytes

__all__ = ["KEPT_POINTS", "PERSONALIZATION_RESERVE", "fit_html", "html_bytes"]

# Room kept for personalization: the per-recipient unsubscribe URL and greeting replace shorter
# markers after rendering, so the rendered HTML must leave space for them.
PERSONALIZATION_RESERVE = 1_024
KEPT_POINTS = 2


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


def _report(original: int, max_bytes: int, budget: int, steps: list[str], final_size: int) -> str:
    msg = (
        f"email HTML was {original:,} bytes as sent, over the {max_bytes:,}-byte limit "
        f"(Gmail clips larger messages): {'; '.join(steps)}; now {final_size:,} bytes"
    )
    if final_size > budget:
        msg += " and STILL over the limit: shorten the intro, footer or templates"
    return msg


def _moved(n: int) -> str:
    return f'moved the last {n} {"story" if n == 1 else "stories"} into "More stories" (titles only)'


def _fit_spliced(view: DigestView, marked: MarkedRender, max_bytes: int, budget: int) -> tuple[str, list[str]] | None:
    """Fit by leaving pieces of the one marked render out (see ``render.splice``); None: cannot."""
    n = len(view.stories)
    has_teasers = any(s.teaser_groups for s in view.stories)
    has_points = any(len(s.key_points) > KEPT_POINTS for s in view.stories)
    needed = {f"t{k}" for k, s in enumerate(view.stories, 1) if s.teaser_groups}
    needed |= {f"p{k}" for k, s in enumerate(view.stories, 1) if len(s.key_points) > KEPT_POINTS}
    pieces = Pieces.cut(marked.segments, n, n + len(view.more_stories), needed, marked.entries, marked.controls)
    if pieces is None:
        return None
    whole = Choice(teasers=True, points=True, full=n)
    original = pieces.size(whole)
    if original <= budget:
        return pieces.html(whole), []
    # The steps in order, each costing the reader more than the one before.
    steps: list[str] = []
    if has_teasers:
        choice = Choice(False, True, n)
        steps.append("dropped related-story teasers")
        if (size := pieces.size(choice)) <= budget:
            return pieces.html(choice), [_report(original, max_bytes, budget, steps, size)]
    whole_stories = size if has_teasers else original  # every story kept whole, so far
    if has_points:
        choice = Choice(False, False, n)
        steps.append(f"kept only the first {KEPT_POINTS} key points per story")
        if (size := pieces.size(choice)) <= budget:
            return pieces.html(choice), [_report(original, max_bytes, budget, steps, size)]
        whole_stories = size
    # The fewest stories moved to titles: the size grows with every story kept whole.
    sizes: dict[int, int] = {}

    def kept_whole(k: int) -> int:
        sizes[k] = pieces.size(Choice(False, False, k))
        return sizes[k]

    full = _largest_fitting(0, n, kept_whole, budget, known_hi=whole_stories)
    if full is None:
        return None  # even titles alone are too many: the re-rendering path lists what fits
    steps.append(_moved(n - full))
    final = sizes[full] if full in sizes else kept_whole(full)
    return pieces.html(Choice(False, False, full)), [_report(original, max_bytes, budget, steps, final)]


def fit_html(
    view: DigestView,
    render: Callable[[DigestView], str],
    max_bytes: int,
    marked: Callable[[DigestView], MarkedRender] | None = None,
) -> tuple[str, list[str]]:
    """Render ``view``; shrink it step by step until the HTML fits ``max_bytes``.

    ``marked`` renders the view with splice points (the bundled templates): then one compile
    does it. Returns the HTML and the warnings describing what was done.
    """
    budget = max_bytes - PERSONALIZATION_RESERVE
    if marked is not None:
        fitted = _fit_spliced(view, marked(view), max_bytes, budget)
        if fitted is not None:
            return fitted
    html = render(view)
    original = size = html_bytes(html)
    if original <= budget:
        return html, []

    steps: list[str] = []
    # (stories kept whole, titles listed) -> (html, its size): each render is measured once
    cache: dict[tuple[int, int | None], tuple[str, int]] = {}

    def done(final: tuple[str, int]) -> tuple[str, list[str]]:
        final_html, final_size = final
        return final_html, [_report(original, max_bytes, budget, steps, final_size)]

    if any(s.teasers for s in view.stories):
        view = _without_teasers(view)
        html = render(view)
        size = html_bytes(html)
        steps.append("dropped related-story teasers")
        if size <= budget:
            return done((html, size))

    if any(len(s.key_points) > KEPT_POINTS for s in view.stories):
        view = _fewer_points(view)
        html = render(view)
        size = html_bytes(html)
        steps.append(f"kept only the first {KEPT_POINTS} key points per story")
        if size <= budget:
            return done((html, size))

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
        steps.append(_moved(total - full))
        return done(attempt(full))

    # Even titles alone are too many: list as many as fit and say how many were left out.
    listed_all = len(view.stories) + len(view.more_stories)
    listed = _largest_fitting(0, listed_all, lambda m: attempt(0, m)[1], budget) or 0
    final = _split(view, 0, listed)
    steps.append(
        f'listed {listed} stories by title under "More stories" and left out {final.omitted} '
        "(the digest has too many stories for one email: lower [digest] max_stories)"
    )
    return done(attempt(0, listed))
