"""Sentence splitting and word tokenizing without NLTK data (punkt is not installed here).

pysbd is accurate on news abbreviations ("U.S.", "Mr.", "No. 3") but slows super-linearly
on long input and crashes on some control characters, so text is cleaned first and then
segmented one paragraph at a time. `SentenceTokenizer` is the object sumy's summarizers
accept in place of its NLTK-backed `Tokenizer` (`language`, `to_sentences`, `to_words`).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

import pysbd

# Characters that act as whitespace or line breaks: keep their meaning, drop the character.
_SPACE_LIKE = str.maketrans({"\t": " ", "\x0b": "\n", "\x0c": "\n", "\u2028": "\n", "\u2029": "\n\n", "\xa0": " "})
# Invisible format characters that split words or confuse pysbd.
_INVISIBLE = re.compile("[\u00ad\u200b\u200c\u200d\u2060\ufeff]")
_BLANK_LINE = re.compile(r"\n[ \t]*\n")
_SPACES = re.compile(r"[ \t]+")
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")


def clean_text(text: str) -> str:
    """NFC text with Windows/Mac line ends unified and control characters removed."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = _INVISIBLE.sub("", text.translate(_SPACE_LIKE))
    if any(unicodedata.category(ch) == "Cc" and ch != "\n" for ch in text):
        text = "".join(ch for ch in text if ch == "\n" or unicodedata.category(ch) != "Cc")
    return text


def split_paragraphs(text: str) -> list[str]:
    """Paragraphs of cleaned text.

    With blank lines present, blank lines separate paragraphs and single line breaks are
    hard wraps; without any, every line is a paragraph (the shape of scraped text).
    """
    text = text.strip()
    if not text:
        return []
    blocks = _BLANK_LINE.split(text) if _BLANK_LINE.search(text) else text.split("\n")
    paragraphs = (_SPACES.sub(" ", " ".join(line.strip() for line in block.split("\n"))).strip() for block in blocks)
    return [p for p in paragraphs if p]


@functools.lru_cache(maxsize=16)
def _segmenter(language: str) -> pysbd.Segmenter:
    # Building a Segmenter compiles its rule set: do it once per language.
    return pysbd.Segmenter(language=language, clean=False)


def segment(paragraph: str, language: str = "en") -> list[str]:
    """Sentences of one paragraph (pysbd); never raises on odd input."""
    try:
        parts = _segmenter(language).segment(paragraph)
    except Exception:  # pysbd has crashed on odd input before; a paragraph is still a sentence
        parts = [paragraph]
    return [s for s in (p.strip() for p in parts) if s]


def words(sentence: str) -> tuple[str, ...]:
    """Word tokens (letters/digits, inner apostrophes kept), punctuation dropped."""
    return tuple(_WORD.findall(sentence))


@dataclass(frozen=True)
class Sentence:
    """One sentence as written, with where it stood in the article."""

    text: str
    index: int  # position among all sentences of the article
    paragraph: int  # index of its paragraph


def split_sentences(text: str, language: str = "en") -> list[Sentence]:
    """Every sentence of ``text`` in order; ``language`` is a pysbd code."""
    out: list[Sentence] = []
    for p_index, paragraph in enumerate(split_paragraphs(clean_text(text))):
        for sentence in segment(paragraph, language):
            out.append(Sentence(sentence, len(out), p_index))
    return out


class SentenceTokenizer:
    """sumy-compatible tokenizer: pysbd sentences, regex words, no NLTK data needed."""

    def __init__(self, language: str = "english", pysbd_language: str = "en") -> None:
        self._language = language
        self._pysbd_language = pysbd_language

    @property
    def language(self) -> str:
        return self._language

    def to_sentences(self, paragraph: str) -> tuple[str, ...]:
        return tuple(segment(paragraph, self._pysbd_language))

    def to_words(self, sentence: str) -> tuple[str, ...]:
        return words(sentence)
