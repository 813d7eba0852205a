"""Comparing texts: exactly (a hash of the words, for dedupe) and by meaning (TF-IDF cosine,
one fit for many comparisons: teasers within a digest, related stories from the archive)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any


def content_hash(text: str) -> str:
    """A hash of the words only, so whitespace or case changes do not make a new story."""
    words = " ".join(text.lower().split())
    return hashlib.sha256(words.encode("utf-8")).hexdigest()


def cosine_rows(documents: Sequence[str], rows: int, english: bool = True) -> Any | None:
    """Cosine of each of the first ``rows`` documents against every document, TF-IDF fitted on
    all of them at once (a rows x len(documents) array); None when there is nothing to compare
    (no rows, or every document empty or stop words only)."""
    if rows == 0 or len(documents) < 2:
        return None
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics.pairwise import linear_kernel

    stop = "english" if english else None
    vectorizer = TfidfVectorizer(sublinear_tf=True, strip_accents="unicode", stop_words=stop, min_df=1)
    try:
        matrix = vectorizer.fit_transform(documents)
    except ValueError:  # nothing but stop words
        return None
    return linear_kernel(matrix[:rows], matrix)  # rows are L2-normalised: dot = cosine
