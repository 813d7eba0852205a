"""Which language an article is in, and what sumy and pysbd call that language.

sumy wants its own language names ("german") for stemmers and stop words, pysbd wants ISO
codes and knows fewer languages; both fall back to English rather than failing, because an
English stemmer on foreign text ranks worse but never breaks a digest.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

from sumy.nlp.stemmers import Stemmer
from sumy.utils import get_stop_words

# ISO 639-1 -> sumy language name, for languages where sumy has a stemmer (NLTK Snowball or
# its own). Stop words are used where sumy ships a list; otherwise an empty set.
SUMY_LANGUAGES: dict[str, str] = {
    "en": "english",
    "de": "german",
    "fr": "french",
    "es": "spanish",
    "it": "italian",
    "pt": "portuguese",
    "nl": "dutch",
    "sv": "swedish",
    "da": "danish",
    "no": "norwegian",
    "nb": "norwegian",
    "fi": "finnish",
    "hu": "hungarian",
    "ro": "romanian",
    "ru": "russian",
    "cs": "czech",
    "sk": "slovak",
    "pl": "polish",
    "uk": "ukrainian",
    "el": "greek",
    "ar": "arabic",
}

# pysbd 0.3.4 rule sets (pysbd.languages.LANGUAGE_CODES).
PYSBD_LANGUAGES = frozenset("am ar bg da de el en es fa fr hi hy it ja kk mr my nl pl ru sk ur zh".split())  # noqa: SIM905

# Below this probability the detector's guess is not trusted (short or mixed text).
MIN_CONFIDENCE = 0.6
DETECT_CHARS = 2000


@dataclass(frozen=True)
class Language:
    """The tools for one language: ISO code, sumy name, stemmer, stop words, pysbd code."""

    code: str
    sumy_name: str
    pysbd_code: str
    stemmer: Stemmer = field(repr=False, compare=False)
    stop_words: frozenset[str] = field(repr=False, compare=False)


@functools.lru_cache(maxsize=1)
def _identifier() -> Any:  # py3langid has no public type for this
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect_language(text: str, default: str = "en") -> str:
    """ISO 639-1 code of ``text`` (py3langid), or ``default`` when unsure."""
    sample = text[:DETECT_CHARS].strip()
    if len(sample) < 20:
        return default
    code, prob = _identifier().classify(sample)
    return code if prob >= MIN_CONFIDENCE else default


def normalize_code(code: str | None) -> str | None:
    """``"de-AT"``/``"DE"``/``"german"`` -> ``"de"``; None for unknown or "auto"."""
    if not code:
        return None
    code = code.strip().lower().replace("_", "-")
    if code in ("", "auto"):
        return None
    for iso, name in SUMY_LANGUAGES.items():
        if code == name:
            return iso
    return code.split("-", 1)[0]


@functools.lru_cache(maxsize=32)
def get_language(code: str) -> Language:
    """Tools for ``code``; English stemmer/stop words/pysbd rules where a tool lacks it."""
    sumy_name = SUMY_LANGUAGES.get(code, "english")
    try:
        stemmer = Stemmer(sumy_name)
    except LookupError:  # pragma: no cover - every name in the table has one
        sumy_name, stemmer = "english", Stemmer("english")
    try:
        stop_words = frozenset(get_stop_words(sumy_name))
    except LookupError:
        stop_words = frozenset()
    pysbd_code = code if code in PYSBD_LANGUAGES else "en"
    return Language(code=code, sumy_name=sumy_name, pysbd_code=pysbd_code, stemmer=stemmer, stop_words=stop_words)


def resolve_language(text: str, requested: str | None = None, hint: str | None = None) -> Language:
    """Language of an article: an explicit setting wins, then the source's metadata, then detection."""
    code = normalize_code(requested) or normalize_code(hint) or detect_language(text)
    return get_language(code)
