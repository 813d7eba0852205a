"""Small text helpers that keep the vendor rules readable.

The rules were written against byte strings split Perl-style, so the helpers here reproduce
that behaviour: text is latin-1 decoded bytes (one character per byte), patterns are ASCII-only
(``\\w``, ``\\s`` and ``\\d`` never match a byte above 127), and splitting drops trailing empty
fields. Ported from Sisimai 4.25's String module (BSD-2-Clause, see LICENSE-sisimai.txt).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# One record of what a report says about one recipient: the field names are the ones the
# vendor rules fill in (recipient, status, diagnosis, reason, command, rhost, ...).
DeliveryStatus = dict[str, str]


def rx(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """Compile with ASCII semantics, as the rules expect byte-wise classes."""
    return re.compile(pattern, flags | re.ASCII)


def new_status() -> DeliveryStatus:
    return {
        "spec": "",
        "date": "",
        "rhost": "",
        "lhost": "",
        "alias": "",
        "agent": "",
        "action": "",
        "status": "",
        "reason": "",
        "command": "",
        "replycode": "",
        "diagnosis": "",
        "recipient": "",
        "softbounce": "",
        "feedbacktype": "",
    }


# No line of a real bounce comes near this (the longest in the reference corpus is 2,441
# characters, decoded HTML); cutting longer ones keeps the backtracking patterns linear in
# the message size, so a hostile message cannot stall the reader.
MAX_LINE = 4096


def lines(text: str) -> list[str]:
    """``text`` split on LF, trailing empty lines dropped (Perl ``split``), lines cut at MAX_LINE."""
    parts = text.split("\n")
    while parts and parts[-1] == "":
        parts.pop()
    return [p if len(p) <= MAX_LINE else p[:MAX_LINE] for p in parts]


def split_re(pattern: re.Pattern[str], text: str, maxsplit: int = 0) -> list[str]:
    """``re.split`` without trailing empty fields (Perl ``split``)."""
    parts = pattern.split(text, maxsplit)
    if maxsplit == 0:
        while parts and parts[-1] == "":
            parts.pop()
    return parts


_SPACES = rx(r" {2,}")
_BOUNDARY_TAIL = rx(r" -{2,}[^ \t].+\Z")


def squeeze_spaces(text: str) -> str:
    return _SPACES.sub(" ", text)


def sweep(text: str) -> str:
    """One line of diagnostic text: spaces squeezed, tabs gone, a trailing MIME boundary cut."""
    if text.endswith("\n"):
        text = text[:-1]
    text = squeeze_spaces(text).replace("\t", "")
    if text.startswith(" "):
        text = text[1:]
    if text.endswith(" "):
        text = text[:-1]
    return _BOUNDARY_TAIL.sub("", text, count=1)


def contains_any(text: str, needles: Iterable[str]) -> bool:
    return any(n in text for n in needles)


def is_8bit(text: str) -> bool:
    return not text or any(ord(c) > 0x7F for c in text)


_HTML_WHOLE = rx(r"<html[ >].+?</html>", re.S | re.I | re.M)
_HTML_BODY = rx(r"<head>.+</head>.*<body[ >].+</body>", re.S | re.I | re.M)
_HTML_HEAD = rx(r"<head>.*?</head>", re.S | re.I | re.M)
_HTML_STYLE = rx(r"<style.*?>.*?</style>", re.S | re.I | re.M)
_HTML_LINK = rx(r"""<a\s+href\s*=\s*['"](https?://.+?)['"].*?>(.*?)</a>""", re.S | re.I | re.M)
_HTML_MAILTO = rx(r"""<a\s+href\s*=\s*["']mailto:([^\s]+?)["']>(.*?)</a>""", re.S | re.I | re.M)
_HTML_TAG = rx(r"<[^<@>]+?>\s*")


def to_plain(html: str, loose: bool = False) -> str:
    """HTML reduced to text, keeping ``<user@host>`` which looks like a tag but is an address."""
    if not (loose or _HTML_WHOLE.search(html) or _HTML_BODY.search(html)):
        return html
    plain = _HTML_HEAD.sub("", html)
    plain = _HTML_STYLE.sub("", plain)
    plain = _HTML_LINK.sub(r" [\2](\1) ", plain)
    plain = _HTML_MAILTO.sub(r" [\2](mailto:\1) ", plain)
    plain = _HTML_TAG.sub(" ", plain)
    for entity, char in (("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&"), ("&quot;", '"'), ("&apos;", "'")):
        plain = plain.replace(entity, char)
    plain = plain.replace("&nbsp;", " ")
    if len(html) > len(plain):
        plain = squeeze_spaces(plain) + "\n"
    return plain


def u8(text: str) -> str:
    """A non-ASCII phrase as it appears in the latin-1 decoded UTF-8 bytes of a message."""
    return text.encode("utf-8").decode("latin-1")
