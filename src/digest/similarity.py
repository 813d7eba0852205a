"""Comparing texts: exactly (a hash of the words, for dedupe) and by meaning (TF-IDF cosine,
one fit for many comparisons: teasers within a digest, related stories from the archive)."""

from __future__ import annotations

import ast
import functools
import hashlib
import importlib.util
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def content_hash(text: str) -> str:
    """A hash of the words only, so whitespace or case changes do not make a new story."""
    words = " ".join(text.lower().split())
    return hashlib.sha256(words.encode("utf-8")).hexdigest()


def cosine_rows(documents: Sequence[str], rows: int, english: bool = True) -> Any | None:
    """Cosine of each of the first ``rows`` documents against every document, TF-IDF fitted on
    all of them at once (a rows x len(documents) array); None when there is nothing to compare
    (no rows, or every document empty or stop words only).

    The weighting is scikit-learn's ``TfidfVectorizer(sublinear_tf=True, strip_accents="unicode",
    stop_words="english")`` computed with numpy: importing scikit-learn (and scipy under it)
    took two seconds of every `digest send`, for a few dozen short documents.
    """
    if rows == 0 or len(documents) < 2:
        return None
    import numpy as np

    stop = english_stop_words() if english else frozenset()
    vocabulary: dict[str, int] = {}
    counts: list[Counter[int]] = []
    for doc in documents:
        tokens = _TOKEN.findall(_strip_accents(doc.lower()))
        counts.append(Counter(vocabulary.setdefault(t, len(vocabulary)) for t in tokens if t not in stop))
    if not vocabulary:
        return None
    matrix = np.zeros((len(documents), len(vocabulary)))
    for row, counter in enumerate(counts):
        for column, n in counter.items():
            matrix[row, column] = 1.0 + math.log(n)
    df = (matrix > 0).sum(axis=0)
    matrix *= np.log((1 + len(documents)) / (1 + df)) + 1.0
    norms = np.linalg.norm(matrix, axis=1)
    norms[norms == 0] = 1.0
    matrix /= norms[:, None]
    return matrix[:rows] @ matrix.T  # rows are L2-normalised: dot = cosine


# scikit-learn's default token pattern: words of two or more word characters.
_TOKEN = re.compile(r"(?u)\b\w\w+\b")


def _strip_accents(text: str) -> str:
    """scikit-learn's ``strip_accents="unicode"``: NFKD, combining marks dropped."""
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@functools.lru_cache(maxsize=1)
def english_stop_words() -> frozenset[str]:
    """scikit-learn's English stop words, read from its source without importing the package."""
    spec = importlib.util.find_spec("sklearn")
    if spec is not None and spec.origin is not None:
        path = Path(spec.origin).parent / "feature_extraction" / "_stop_words.py"
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (OSError, SyntaxError, ValueError):
            tree = None
        for node in ast.walk(tree) if tree is not None else ():
            named = isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "ENGLISH_STOP_WORDS" for t in node.targets
            )
            if named and isinstance(node.value, ast.Call) and node.value.args:  # type: ignore[attr-defined]
                return frozenset(ast.literal_eval(node.value.args[0]))  # type: ignore[attr-defined]
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS  # layout changed: pay the import

    return frozenset(ENGLISH_STOP_WORDS)
