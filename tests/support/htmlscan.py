"""Parse an email's HTML with the standard library: links, attributes, tags, visible text."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Scan:
    links: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)  # (href, text, attrs)
    tags: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    text: list[str] = field(default_factory=list)


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.scan = Scan()
        self._a: list[tuple[dict[str, str], list[str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        d = {k: v or "" for k, v in attrs}
        self.scan.tags.append((tag, d))
        if tag == "a":
            self._a.append((d, []))

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._a:
            d, parts = self._a.pop()
            self.scan.links.append((d.get("href", ""), " ".join("".join(parts).split()), d))

    def handle_data(self, data: str) -> None:
        self.scan.text.append(data)
        for _, parts in self._a:
            parts.append(data)


def scan(html: str) -> Scan:
    parser = _Parser()
    parser.feed(html)
    parser.close()
    return parser.scan
