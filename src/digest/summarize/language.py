"""Which language an article is in, and what sumy and pysbd call that language.

sumy wants its own language names ("german") for stemmers and stop words, pysbd wants ISO
codes and knows fewer languages; both fall back to English rather than failing, because an
English stemmer on foreign text ranks worse but never breaks a digest.
"""

from __future__ import annotations

import functools
import pkgutil
import re
from dataclasses import dataclass, field
from typing import Any

from digest.summarize.stemmers import Stemmer

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
# Words common in English and rare in other languages written in Latin letters.
_ENGLISH_TEXT = "the and of that with for said have has were which this from their would will been after"
_ENGLISH_MARKERS = frozenset(_ENGLISH_TEXT.split())
_LETTERS = re.compile(r"[^\W\d_]+")
ENGLISH_MIN_WORDS = 40
ENGLISH_SHARE = 0.08


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


def looks_english(sample: str) -> bool:
    """Plainly English prose: many of its words are English function words.

    English news has 11-25% of its words in this list, other languages under 2%. The
    check saves loading py3langid's model (0.6 s of decompression) in most runs; text it
    is unsure of still goes to the model.
    """
    tokens = [w.lower() for w in _LETTERS.findall(sample)]
    if len(tokens) < ENGLISH_MIN_WORDS:
        return False
    return sum(w in _ENGLISH_MARKERS for w in tokens) >= ENGLISH_SHARE * len(tokens)


def stop_words_for(sumy_name: str) -> frozenset[str]:
    """sumy's stop-word list for a language, or none. Read directly: sumy's own helper looks
    the name up in pycountry's database first (0.1 s) although our names are already sumy's."""
    try:
        data = pkgutil.get_data("sumy", f"data/stopwords/{sumy_name}.txt")
    except OSError:
        return frozenset()
    return frozenset(w.strip() for w in (data or b"").decode("utf-8").splitlines() if w.strip())


def detect_language(text: str, default: str = "en") -> str:
    """ISO 639-1 code of ``text`` (py3langid), or ``default`` when unsure."""
    sample = text[:DETECT_CHARS].strip()
    if len(sample) < 20:
        return default
    if looks_english(sample):
        return "en"
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
    stop_words = stop_words_for(sumy_name)
    pysbd_code = code if code in PYSBD_LANGUAGES else "en"
    return Language(code=code, sumy_name=sumy_name, pysbd_code=pysbd_code, stemmer=stemmer, stop_words=stop_words)


def resolve_language(text: str, requested: str | None = None, hint: str | None = None) -> Language:
    """Language of an article: an explicit setting wins, then the source's metadata, then detection."""
    code = normalize_code(requested) or normalize_code(hint) or detect_language(text)
    return get_language(code)
