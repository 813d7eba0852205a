"""Nameprep tables (RFC 3491/3454, Unicode 3.2) for the page's JavaScript URL counting.

X counts a link only if its domain survives Python's ``str.encode("idna")`` (see
``digest.render.twitter_text._punycode_ok``); the browser's own URL parser follows newer
rules (UTS #46). So static/counting.js redoes IDNA 2003 itself, with these tables taken from
Python's ``stringprep`` module. The tables are frozen at Unicode 3.2 and never change, so
they ship as static/nameprep.json, written by ``python -m digest.preview.nameprep``
(about 4 s); a test checks the file still equals what this module generates.
"""

from __future__ import annotations

import json
import stringprep
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

Ranges = list[tuple[int, int]]


def _ranges(pred: Callable[[str], bool]) -> Ranges:
    out: Ranges = []
    start = None
    for cp in range(0x110000):
        ok = not (0xD800 <= cp <= 0xDFFF) and pred(chr(cp))
        if ok and start is None:
            start = cp
        elif not ok and start is not None:
            out.append((start, cp - 1))
            start = None
    if start is not None:
        out.append((start, 0x10FFFF))
    return out


def _prohibited(c: str) -> bool:
    # the tables Python's encodings.idna.nameprep refuses
    return any(
        check(c)
        for check in (
            stringprep.in_table_c12,
            stringprep.in_table_c22,
            stringprep.in_table_c3,
            stringprep.in_table_c4,
            stringprep.in_table_c5,
            stringprep.in_table_c6,
            stringprep.in_table_c7,
            stringprep.in_table_c8,
            stringprep.in_table_c9,
        )
    )


def generate() -> dict[str, Any]:
    b2 = {}
    for cp in range(0x110000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        c = chr(cp)
        mapped = stringprep.map_table_b2(c)
        if mapped != c:
            b2[c] = mapped
    return {
        "b1": _ranges(stringprep.in_table_b1),
        "b2": b2,
        "prohibited": _ranges(_prohibited),
        "d1": _ranges(stringprep.in_table_d1),
        "d2": _ranges(stringprep.in_table_d2),
    }


def dumps(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=True, separators=(",", ":"), sort_keys=True) + "\n"


def load() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(resources.files("digest.preview").joinpath("static", "nameprep.json").read_text())
    return data


if __name__ == "__main__":
    target = Path(__file__).resolve().parent / "static" / "nameprep.json"
    target.write_text(dumps(generate()), encoding="ascii")
    print(f"wrote {target}")
