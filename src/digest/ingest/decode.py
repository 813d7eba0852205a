"""Bytes -> clean text: UTF-8 first, then charset-normalizer; binary refused.

Why here and not in each reader: every local format (txt, md, html, json) and stdin goes
through the same door, so an image renamed to .txt, a Windows-1252 export or a stray
control character is handled once, with one clear message.
"""

from __future__ import annotations

import codecs
import re
import unicodedata

from digest.errors import InputError

# File signatures of formats people drop into an articles folder by mistake.
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"%PDF-", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive (or .docx/.epub)"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"\xfd7zXZ\x00", "an xz archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"\x7fELF", "an executable"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Office document"),
    (b"SQLite format 3\x00", "an SQLite database"),
    (b"OggS", "an Ogg media file"),
)

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

# C0 controls except TAB/LF/CR, DEL, C1 controls, and invisible format characters that
# break sentence splitting (zero-width space, word joiner, BOM, bidi embeddings). ZWJ/ZWNJ
# stay: they are part of emoji and of some scripts.
_CONTROL_RE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b\u2060\ufeff\u202a-\u202e\u2066-\u2069\ufff9-\ufffb]"
)
# Line and paragraph separators and form feeds become plain newlines.
_NEWLINES_RE = re.compile("\r\n?|[\u2028\u2029\x0c\x0b\x85]")


def sniff_binary(data: bytes) -> str | None:
    """What kind of binary file this is, or None when it may well be text."""
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            return kind
    if data.startswith(b"RIFF") and data[8:12] in (b"WEBP", b"WAVE", b"AVI "):
        return "a RIFF media file (WebP/WAV/AVI)"
    if any(data.startswith(bom) for bom, _ in _BOMS):
        return None
    head = data[:8192]
    # A stray control character is text with noise (kept, then stripped); many are binary.
    if head.count(b"\x00") > max(2, len(head) // 100):
        return "binary data: NUL bytes"
    controls = sum(head.count(bytes([c])) for c in (*range(1, 9), *range(14, 27), *range(28, 32)))
    if controls > max(8, len(head) // 10):
        return "binary data: control bytes"
    return None


def decode_bytes(data: bytes, source: str) -> str:
    """Decode ``data`` to text, or raise InputError naming ``source`` if it is not text.

    UTF-8 (with or without BOM) and UTF-16/32 with a BOM are taken as they are. Anything
    else goes to charset-normalizer; when it cannot tell the language (short text), a
    strict Windows-1252 decode wins, because that is what "Latin-1" text really is in the
    wild (the WHATWG encoding standard makes the same choice).
    """
    kind = sniff_binary(data)
    if kind:
        raise InputError(f"{source}: not a text file ({kind})")
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(codec)
            except UnicodeDecodeError:
                raise InputError(f"{source}: not valid {codec.split('-sig')[0].upper()} text") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes  # only bytes that are not UTF-8 need the detector

    best = from_bytes(data[:200_000]).best()
    if best is None:
        raise InputError(f"{source}: not a text file (no text encoding fits its bytes)")
    latin = all(a.startswith(("Basic Latin", "Latin", "General Punctuation")) for a in best.alphabets)
    if latin and best.encoding != "cp1252":
        # Short Latin-script text is where detectors guess wildly (French read as cp1250:
        # "crčme"). Windows-1252 wins unless it leaves symbols inside words ("Å³ód¿"),
        # which is how Central European text looks when read as 1252.
        try:
            western = data.decode("cp1252")
        except UnicodeDecodeError:
            western = None
        if western is not None and _symbols_in_words(western) <= _symbols_in_words(str(best)):
            return western
    try:
        return data.decode(best.encoding)
    except (UnicodeDecodeError, LookupError):
        raise InputError(f"{source}: not a text file (no text encoding fits its bytes)") from None


_IN_WORD_SYMBOL = re.compile(
    r"(?<=[^\W\d_])[^\w\s\x00-\x7f\u2000-\u206f](?=[^\W\d_])|(?<=[^\W\d_])[\u00b9\u00b2\u00b3\u00bf\u00a5\u00bc\u00be]"
)


def _symbols_in_words(text: str) -> int:
    """How many non-letter, non-ASCII characters sit inside words: the mark of a wrong codec."""
    return len(_IN_WORD_SYMBOL.findall(text))


def clean_control(text: str) -> str:
    """Normalise newlines and Unicode (NFC), drop control/invisible characters, keep tabs."""
    text = _NEWLINES_RE.sub("\n", text)
    text = _CONTROL_RE.sub("", text)
    text = text.replace("\u00a0", " ").replace("\u00ad", "")
    return unicodedata.normalize("NFC", text)


def looks_like_text(text: str) -> bool:
    """False when a decoded 'text' is mostly replacement/unprintable characters."""
    sample = text[:20_000]
    if not sample:
        return True
    bad = sum(1 for ch in sample if ch == "\ufffd" or (unicodedata.category(ch) in ("Co", "Cn", "Cs")))
    return bad / len(sample) < 0.05


def to_text(data: str | bytes, source: str) -> str:
    """Bytes or str -> cleaned text (decode, refuse binary, strip controls)."""
    text = decode_bytes(data, source) if isinstance(data, bytes) else data
    if not looks_like_text(text):
        raise InputError(f"{source}: not a text file (mostly unprintable characters)")
    return clean_control(text)
