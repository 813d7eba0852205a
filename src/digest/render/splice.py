"""The clipping guard's one render, cut at its splice points.

The bundled story templates, rendered with ``marking`` set, put an empty
``<i data-dg-cut="KEY"></i>`` before each story (``sN``), around its key points past the
second (``pN`` .. ``qN``) and its teasers (``tN`` .. ``eN``), after the last story (``s-end``),
and around the "More stories" list, which then lists every story by title (``M``, ``mN`` per
entry, ``m-end``, ``M-end``). MRML renders each section on its own and drops whitespace-only
text with a line break, so leaving pieces out gives, byte for byte, the HTML of the shrunk
edition. Each piece's quoted-printable size is counted once; any choice of pieces is then
measured exactly without building it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from digest.render.wire import encoded_line, encoded_run

_OPEN, _CLOSE = '<i data-dg-cut="', '"></i>'

# What a piece belongs to.
ALWAYS, MORE, CORE, POINTS, TEASERS, ENTRY = range(6)
_AFTER = {"s": CORE, "q": CORE, "e": CORE, "p": POINTS, "t": TEASERS}


@dataclass(frozen=True)
class MarkedRender:
    """The size guard's one compiled render and what it needs to cut it."""

    segments: list[str]  # the HTML, in consecutive pieces (no splice point straddles two)
    entries: list[str] | None = None  # the "More stories" entries, when made without compiling
    controls: bool = True  # False: the HTML is known to hold no control characters


@dataclass(frozen=True)
class Choice:
    """Which pieces to keep: the first ``full`` stories whole, with or without their teasers
    and extra key points; the others listed by title under "More stories"."""

    teasers: bool
    points: bool
    full: int


@dataclass
class Pieces:
    texts: list[str]
    kinds: list[tuple[int, int]]  # (kind, story or entry number)
    # Per piece, quoted-printable bytes: (escaped run before its first line end, whole lines
    # inside it, escaped run after its last line end or -1 when it has no line end)
    sizes: list[tuple[int, int, int]]
    stories: int
    listed_anyway: bool  # titles under "More stories" before any story moved there

    @classmethod
    def cut(
        cls,
        segments: Sequence[str],
        stories: int,
        listed: int,
        optional: set[str],
        entries: list[str] | None = None,
        controls: bool = True,
    ) -> Pieces | None:
        """Cut the HTML, given in consecutive ``segments`` (``stories`` stories,
        ``listed`` "More stories" entries). None when a splice point is missing, repeated or
        out of order, or one in ``optional`` (the teaser and extra-point keys this edition
        needs) is absent: a template of one's own.

        ``entries``: the HTML of the ``listed`` entries, made without compiling; the marked
        render's list is then empty, and they go in just before its end (``m-end``).
        ``controls=False`` promises the HTML holds no control characters (see ``wire``)."""
        texts: list[str] = []
        keys: list[str] = []
        current: list[str] = []  # the piece being read, which may span segments
        for segment in segments:
            if "\r" in segment:
                segment = segment.replace("\r\n", "\n")
            # str.split finds the marks in C; each part after the first starts with 'KEY"></i>'
            parts = segment.split(_OPEN)
            current.append(parts[0])
            for part in parts[1:]:
                key, closed, text = part.partition(_CLOSE)
                if not closed:
                    return None
                keys.append(key)
                texts.append(current[0] if len(current) == 1 else "".join(current))
                current = [text]
        texts.append("".join(current))
        kinds: list[tuple[int, int]] = [(ALWAYS, 0)]
        story = entry = 0
        for key in keys:
            letter, number = key[0], key[1:]
            if number.isascii() and number.isdigit() and letter in "spqtem":
                k = int(number)
                if letter == "s":
                    story += 1
                    ok = k == story
                elif letter == "m":
                    entry += 1
                    ok = k == entry
                else:
                    ok = k == story
                if not ok:
                    return None
                kinds.append((ENTRY, entry) if letter == "m" else (_AFTER[letter], story))
            elif key in ("M", "m-end"):
                kinds.append((MORE, 0))
            elif key in ("s-end", "M-end"):
                kinds.append((ALWAYS, 0))
            else:
                return None
        seen = set(keys)
        if entries is not None:
            if entry or len(entries) != listed or "m-end" not in seen:
                return None
            at = keys.index("m-end") + 1  # the piece that starts at the list's end
            texts[at:at] = entries
            kinds[at:at] = [(ENTRY, j) for j in range(1, listed + 1)]
            entry = listed
        if len(seen) != len(keys) or story != stories or entry != listed:
            return None
        if not {"s-end", "M", "m-end", "M-end"} <= seen or not optional <= seen:
            return None
        sizes = []
        for text in texts:
            if "\n" not in text:
                sizes.append((encoded_run(text, controls), 0, -1))
                continue
            lines = text.split("\n")
            inner = sum(encoded_line(encoded_run(line, controls)) for line in lines[1:-1])
            sizes.append((encoded_run(lines[0], controls), inner, encoded_run(lines[-1], controls)))
        return cls(texts, kinds, sizes, stories, listed > stories)

    def _kept(self, choice: Choice) -> list[bool]:
        listed = choice.full < self.stories or self.listed_anyway
        full, points, teasers = choice.full, choice.points, choice.teasers
        return [
            k <= full
            if kind == CORE
            else k > full
            if kind == ENTRY
            else kind == ALWAYS or (listed if kind == MORE else k <= full and (points if kind == POINTS else teasers))
            for kind, k in self.kinds
        ]

    def size(self, choice: Choice) -> int:
        """Bytes the HTML of ``choice`` takes as sent (what ``wire.html_bytes`` would count)."""
        total = current = 0
        for (head, inner, tail), kept in zip(self.sizes, self._kept(choice), strict=True):
            if kept:
                if tail < 0:
                    current += head
                else:
                    total += encoded_line(current + head) + inner
                    current = tail
        return total + encoded_line(current)

    def html(self, choice: Choice) -> str:
        return "".join(text for text, kept in zip(self.texts, self._kept(choice), strict=True) if kept)
