"""Bytes -> text: encodings, binary refusal, control characters."""

from __future__ import annotations

import codecs
import zlib

import pytest

from digest.errors import InputError
from digest.ingest.decode import clean_control, decode_bytes, to_text

FRENCH = "Le garçon a mangé une crème brûlée à Noël. Il était très content de ce dîner."
QUOTES = "He said \u201cthe price is \u20ac5\u201d \u2013 and left. The shop\u2019s owner agreed."


def png_bytes() -> bytes:
    """A real, valid 1x1 PNG built here (signature, IHDR, IDAT, IEND)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")

    ihdr = (1).to_bytes(4, "big") * 2 + bytes([8, 2, 0, 0, 0])
    idat = zlib.compress(b"\x00\xff\x00\x00")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def test_utf8_with_and_without_bom() -> None:
    assert decode_bytes(FRENCH.encode("utf-8"), "a") == FRENCH
    assert decode_bytes(codecs.BOM_UTF8 + FRENCH.encode("utf-8"), "a") == FRENCH
    assert decode_bytes(FRENCH.encode("utf-16"), "a") == FRENCH


def test_latin1_and_windows_1252() -> None:
    assert decode_bytes(FRENCH.encode("latin-1"), "a") == FRENCH
    assert decode_bytes(QUOTES.encode("cp1252"), "a") == QUOTES
    assert decode_bytes("Münchner Straße ist schön.".encode("latin-1"), "a") == "Münchner Straße ist schön."


def test_other_scripts_are_detected() -> None:
    russian = "Привет, как дела? Это длинный текст на русском языке о погоде и городе."
    assert decode_bytes(russian.encode("cp1251"), "a") == russian


def test_png_and_nul_bytes_are_refused() -> None:
    with pytest.raises(InputError, match=r"^pic\.txt: not a text file \(a PNG image\)$"):
        decode_bytes(png_bytes(), "pic.txt")
    with pytest.raises(InputError, match="not a text file"):
        decode_bytes(b"abc\x00\x01\x02def" * 10, "blob")


def test_control_characters_are_stripped_and_newlines_normalised() -> None:
    raw = "Title\r\nOne\x00 sentence\x07 here.\u200b\x1b\rTwo\u2028three\x0cfour\ttab"
    assert clean_control(raw) == "Title\nOne sentence here.\nTwo\nthree\nfour\ttab"
    assert to_text(b"caf\xc3\xa9\x08!", "x") == "café!"
