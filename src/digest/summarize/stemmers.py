"""Snowball stemmers from PyStemmer, and sumy without NLTK.

sumy's stemmer module imports ``nltk.stem.snowball`` at import time, and every sumy
summarizer imports that module (for its default ``null_stemmer``). Importing NLTK pulls in
scipy and scikit-learn and cost over a second of start-up for a command that may summarize
nothing. Sumy's summarizers accept any callable as a stemmer, so we stem with PyStemmer (the
same Snowball algorithms, in C) and register a stand-in for ``sumy.nlp.stemmers`` with the
same public names before any summarizer is imported. Sumy's own stemmers for Czech, Slovak
and Ukrainian are pure Python and are still used. ``requests``, which sumy imports only to
fetch URLs, is deferred for the same reason (0.1-0.2 s).
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import Stemmer as PyStemmer

# Languages without a Snowball stemmer for which sumy ships its own (sumy/nlp/stemmers), or none.
_SUMY_OWN = {"czech": "czech", "slovak": "czech", "ukrainian": "ukrainian"}
_NO_STEMMER = frozenset({"hebrew", "chinese", "japanese", "korean"})
_SNOWBALL = frozenset(PyStemmer.algorithms())


def null_stemmer(word: object) -> str:
    """The word lower-cased: sumy's stemmer for languages without one."""
    return str(word).lower()


def _sumy_stemmer_dir() -> list[str]:
    spec = importlib.util.find_spec("sumy")
    if spec is None or spec.origin is None:  # pragma: no cover - sumy is a dependency
        return []
    return [str(Path(spec.origin).parent / "nlp" / "stemmers")]


class Stemmer:
    """``Stemmer("english")("running") == "run"``: sumy's Stemmer API on PyStemmer."""

    def __init__(self, language: str) -> None:
        name = language.strip().lower()
        self._stem: Callable[[str], str]
        if name in _NO_STEMMER:
            self._stem = null_stemmer
        elif name in _SNOWBALL:
            stemmer = PyStemmer.Stemmer(name)
            self._stem = lambda word: str(stemmer.stemWord(word.lower()))
        elif name in _SUMY_OWN:
            install_sumy_stand_in()
            module = importlib.import_module(f"sumy.nlp.stemmers.{_SUMY_OWN[name]}")
            self._stem = module.stem_word
        else:
            raise LookupError(f"Stemmer is not available for language {language}.")

    def __call__(self, word: str) -> str:
        return self._stem(word)


class _DeferredAttribute:
    """``module.name``, looked up in the real module on first use."""

    def __init__(self, module: str, name: str) -> None:
        self._where = (module, name)

    def _resolve(self) -> Any:
        module, name = self._where
        return getattr(importlib.import_module(module), name)

    def __getattr__(self, attr: str) -> Any:
        return getattr(self._resolve(), attr)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._resolve()(*args, **kwargs)


class _Deferred(types.ModuleType):
    """Stands in for a module while another one imports it. ``import x`` binds the stand-in,
    whose attributes come from the real module when used; ``from x import y`` binds a
    deferred ``y``. By then the stand-in is out of ``sys.modules``, so the real one loads."""

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__"):
            raise AttributeError(attr)
        return _DeferredAttribute(self.__name__, attr)


# Imported by sumy.utils but used only for what digest never asks of sumy: requests to fetch
# URLs (0.1-0.2 s to import), pycountry to map language codes (0.02 s, its metadata lookup).
_DEFERRED = ("requests", "pycountry")


def _import_sumy_utils() -> None:
    """Import ``sumy.utils`` with its unneeded imports deferred."""
    if "sumy.utils" in sys.modules:
        return
    stand_ins = {name: _Deferred(name) for name in _DEFERRED if name not in sys.modules}
    sys.modules.update(stand_ins)
    try:
        importlib.import_module("sumy.utils")
    finally:
        for name, stand_in in stand_ins.items():
            if sys.modules.get(name) is stand_in:
                del sys.modules[name]


def install_sumy_stand_in() -> None:
    """Make ``import sumy.nlp.stemmers`` give this module's names instead of importing NLTK.

    Does nothing when sumy's real module is already loaded (someone imported it first).
    """
    _import_sumy_utils()
    if "sumy.nlp.stemmers" in sys.modules:
        return
    import sumy.nlp

    stand_in = types.ModuleType("sumy.nlp.stemmers", __doc__)
    stand_in.__path__ = _sumy_stemmer_dir()  # sumy's own czech/greek/... submodules still import
    attributes: dict[str, Any] = {"null_stemmer": null_stemmer, "Stemmer": Stemmer}
    for key, value in attributes.items():
        setattr(stand_in, key, value)
    sys.modules["sumy.nlp.stemmers"] = stand_in
    setattr(sumy.nlp, "stemmers", stand_in)  # noqa: B010 - sumy.nlp declares no such attribute
