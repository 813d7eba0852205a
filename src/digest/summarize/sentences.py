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
# Unicode category Cc is exactly U+0000-001F and U+007F-009F; keep only the line feed.
_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f]")
_BLANK_LINE = re.compile(r"\n[ \t]*\n")
_SPACES = re.compile(r"[ \t]+")
# A line this short, or one ending a sentence, is never a hard-wrapped piece of prose.
SHORT_LINE = 40
_LINE_END = re.compile(r"[.!?…:][\"'’”)\]»]*$")
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")


def clean_text(text: str) -> str:
    """NFC text with Windows/Mac line ends unified and control characters removed."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = _INVISIBLE.sub("", text.translate(_SPACE_LIKE))
    return _CONTROL.sub("", text)


def split_paragraphs(text: str) -> list[str]:
    """Paragraphs of cleaned text.

    Blank lines always separate paragraphs. Inside a block, a line break is a hard wrap
    (joined with a space) unless the line before it ends a sentence or is short: a byline,
    a caption, a heading or a label standing on its own line.
    """
    paragraphs: list[str] = []
    for block in _BLANK_LINE.split(text.strip()):
        current: list[str] = []
        for line in (_SPACES.sub(" ", raw).strip() for raw in block.split("\n")):
            if not line:
                continue
            current.append(line)
            if len(line) < SHORT_LINE or _LINE_END.search(line):
                paragraphs.append(" ".join(current))
                current = []
        if current:
            paragraphs.append(" ".join(current))
    return paragraphs


# A paragraph longer than this is cut at unambiguous sentence ends before pysbd sees it:
# pysbd rescans the whole input once per abbreviation it finds (quadratic on long text).
CHUNK_CHARS = 1200
MAX_CHUNK_CHARS = 4 * CHUNK_CHARS
# Longer than this, a pysbd "sentence" is checked for sentences glued together.
LONG_SENTENCE_WORDS = 60
# "word. Next": a period after a 4+ letter word, then space and a word or quote. Words in
# pysbd's abbreviation list for the language ("Corp.", "Calif.", "Sept.") never qualify.
_SAFE_END = re.compile(r"(?<![.\w])([^\W\d_]{4,})[.!?](?=\s+[\"'‘“(]?\w)")
# Abbreviations that never end a sentence before a lower-case word (unlike "me." or "in.",
# which are also words): titles, and dotted forms such as "U.S." or "e.g.".
_TITLES = frozenset("mr mrs ms dr prof rev gen gov sen rep lt col capt sgt st jr sr inc corp ltd vs".split())  # noqa: SIM905
# The same for the cheap pre-split of long paragraphs: closing quotes may follow the mark
# ('next." Another'), and a word of two or three letters or a number ends a sentence too
# unless it is in the language's abbreviation list ("us." and "2012." end one; "me." may be
# Maine), as does a closing bracket ("(shown above). It").
_SAFE_END_QUOTED = re.compile(r"(?<![.\w])([^\W_]{2,})[)\]]?[.!?][\"'’”)\]]*(?=\s+[\"'‘“(\[]{0,2}\w)")


@functools.lru_cache(maxsize=16)
def _abbreviations(language: str) -> frozenset[str]:
    from pysbd.languages import Language as PysbdLanguage

    module = PysbdLanguage.get_language_code(language)
    return frozenset(a.lower() for a in module.Abbreviation.ABBREVIATIONS)


def _cut_at_safe_ends(text: str, language: str, min_chars: int, pattern: re.Pattern[str] = _SAFE_END) -> list[str]:
    """``text`` cut after unambiguous sentence ends, each piece at least ``min_chars`` long."""
    abbreviations = _abbreviations(language) | _TITLES
    pieces: list[str] = []
    start = 0
    for match in pattern.finditer(text):
        end = match.end()
        if end - start >= min_chars and match.group(1).lower() not in abbreviations:
            pieces.append(text[start:end].strip())
            start = end
    pieces.append(text[start:].strip())
    return [p for p in pieces if p]


def _chunks(paragraph: str, language: str) -> list[str]:
    """``paragraph`` cut into ~CHUNK_CHARS pieces at safe sentence ends (whole if short).

    A piece still longer than MAX_CHUNK_CHARS is not prose (a list, a dump, text without
    punctuation): it is cut at spaces so that pysbd never sees an unbounded input.
    """
    if len(paragraph) <= CHUNK_CHARS:
        return [paragraph]
    out: list[str] = []
    for piece in _cut_at_safe_ends(paragraph, language, CHUNK_CHARS):
        while len(piece) > MAX_CHUNK_CHARS:
            cut = piece.rfind(" ", 0, MAX_CHUNK_CHARS)
            cut = cut if cut > 0 else MAX_CHUNK_CHARS
            out.append(piece[:cut].strip())
            piece = piece[cut:].strip()
        if piece:
            out.append(piece)
    return out


def _unglue(sentence: str, language: str) -> list[str]:
    """A run-on "sentence" pysbd glued together (it keeps text between quote marks whole,
    and a stray quote can swallow a paragraph) is cut at its unambiguous sentence ends."""
    if len(words(sentence)) <= LONG_SENTENCE_WORDS:
        return [sentence]
    return _cut_at_safe_ends(sentence, language, 1)


@functools.lru_cache(maxsize=16)
def _segmenter(language: str) -> pysbd.Segmenter:
    # Building a Segmenter compiles its rule set: do it once per language.
    return pysbd.Segmenter(language=language, clean=False)


def segment(paragraph: str, language: str = "en") -> list[str]:
    """Sentences of one paragraph; long paragraphs go to pysbd in safe chunks."""
    return [s for chunk in _chunks(paragraph, language) for s in _sentences_of(chunk, language)]


def _pysbd(paragraph: str, language: str) -> list[str]:
    """Sentences of one paragraph (pysbd rules); never raises on odd input.

    pysbd's own `Segmenter.segment` maps each sentence back onto the input with one fresh
    regex per sentence, each scanning the text from its start: quadratic in length, and the
    unique patterns flush Python's regex cache (measured: pysbd took twice as long). We run
    its rule processor and find each sentence with a plain forward string search instead.
    """
    try:
        processed = _segmenter(language).processor(paragraph).process()
    except Exception:  # noqa: BLE001 - pysbd has crashed on odd input before; a paragraph is still a sentence
        return [paragraph.strip()] if paragraph.strip() else []
    sentences = [t for t in (str(raw).strip() for raw in processed) if t]
    spans: list[list[int]] = []  # [start, end] of each sentence in the paragraph
    pos = 0
    for sentence in sentences:
        found = paragraph.find(sentence, pos)
        if found < 0:  # pysbd changed the text: keep the words as written, cut at safe ends
            return _cut_at_safe_ends(paragraph, language, 1)
        if paragraph[pos:found].strip():  # text pysbd skipped; keep it rather than lose words
            spans.append([pos, found])
        spans.append([found, found + len(sentence)])
        pos = found + len(sentence)
    if paragraph[pos:].strip():
        spans.append([pos, len(paragraph)])
    merged: list[list[int]] = []
    for span in spans:
        if merged and not _WORD.search(paragraph[span[0] : span[1]]):
            merged[-1][1] = span[1]  # a closing quote or bracket pysbd split off belongs before it
        else:
            merged.append(span)
    return [paragraph[a:b].strip() for a, b in merged]


def words(sentence: str) -> tuple[str, ...]:
    """Word tokens (letters/digits, inner apostrophes kept), punctuation dropped."""
    return tuple(_WORD.findall(sentence))


@dataclass(frozen=True)
class Sentence:
    """One sentence as written, with where it stood in the article."""

    text: str
    index: int  # position among all sentences of the article
    paragraph: int  # index of its paragraph


# A sentence end pysbd has to judge: a mark followed by a space and more text.
_INNER_END = re.compile(r"(\S*?)([.!?])[\"'’”)\]]*\s+(\S)")


def _needs_pysbd(piece: str) -> bool:
    """Has a mark inside that may end a sentence. A title, a dotted abbreviation or an initial
    followed by a lower-case word never does, so the piece needs no judge."""
    for match in _INNER_END.finditer(piece):
        before = match.group(1).lstrip("\"'‘“(").lower()
        if match.group(2) != "." or not match.group(3).islower():
            return True
        if not (before in _TITLES or (len(before) == 1 and before.isalpha()) or "." in before):
            return True
    return False


def _sentences_of(paragraph: str, language: str) -> list[str]:
    """Sentences of one paragraph, pysbd only where a sentence end is ambiguous.

    A long paragraph is first cut after every unambiguous sentence end ("word. Next");
    a piece with no other sentence mark in it is one sentence and never reaches pysbd,
    whose cost grows faster than the text (it rescans a chunk once per abbreviation).
    """
    if len(paragraph) <= CHUNK_CHARS:
        return [s for glued in _pysbd(paragraph, language) for s in _unglue(glued, language)]
    out: list[str] = []
    for chunk in _chunks(paragraph, language):
        for piece in _cut_at_safe_ends(chunk, language, 1, _SAFE_END_QUOTED):
            if _needs_pysbd(piece):
                out.extend(s for glued in _pysbd(piece, language) for s in _unglue(glued, language))
            else:
                out.append(piece)
    return out


def split_sentences(text: str, language: str = "en", limit: int | None = None) -> list[Sentence]:
    """Every sentence of ``text`` in order; ``language`` is a pysbd code.

    With ``limit``, splitting stops once that many sentences are found (at the end of the
    chunk that reaches it): pysbd is the costliest step, and sentences the rankers will
    never see need not be split at all.
    """
    out: list[Sentence] = []
    for p_index, paragraph in enumerate(split_paragraphs(clean_text(text))):
        for chunk in _chunks(paragraph, language):
            for sentence in _sentences_of(chunk, language):
                out.append(Sentence(sentence, len(out), p_index))
            if limit is not None and len(out) >= limit:
                return out
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
