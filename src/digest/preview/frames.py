"""The email as the page's frames show it: links open outside the frame; dark mode on request.

Both change only how the preview shows the email, never what is sent.
"""

from __future__ import annotations

import re

_DARK_QUERY = re.compile(r"\(\s*prefers-color-scheme\s*:\s*(dark|light)\s*\)", re.I)


def emulate_dark_mode(html: str) -> str:
    """The email as a dark-mode client shows it, without scripts in the frame.

    A frame cannot be told "the user prefers dark" on its own, so the server rewrites the
    email's ``(prefers-color-scheme: dark)`` queries to always match (and light ones to
    never match), and declares ``color-scheme: dark`` so unstyled parts turn dark as in
    Apple Mail. Emails without dark styles show what such clients do: the author's colours
    on a dark canvas.
    """
    html = _DARK_QUERY.sub(lambda m: "(min-width: 0px)" if m.group(1).lower() == "dark" else "(max-width: 0px)", html)
    meta = '<meta name="color-scheme" content="dark">'  # the first color-scheme meta wins
    style = '<style data-digest-preview="dark">:root{color-scheme:dark !important}</style>'  # after the email's
    head = re.search(r"<head[^>]*>", html, re.I)
    if head:
        html = html[: head.end()] + meta + html[head.end() :]
        end = html.lower().find("</head>")
        if end != -1:
            return html[:end] + style + html[end:]
        return html[: head.end()] + style + html[head.end() :]
    return meta + style + html


_HEAD = re.compile(r"<head[^>]*>", re.I)


def links_open_outside(html: str) -> str:
    """``<base target="_blank">``: a story link clicked in a frame opens a tab, not inside the frame."""
    head = _HEAD.search(html)
    base = '<base target="_blank">'
    return html[: head.end()] + base + html[head.end() :] if head else base + html
