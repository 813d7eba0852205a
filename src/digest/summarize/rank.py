"""Sentence centrality from sumy's rankers, read out as one score per sentence.

sumy's summarizers only return their top-N sentences; every one of them sorts through
`_get_best_sentences`, which accepts a callable count, so a callable that records the
ratings gives us the full ranking without touching sumy's internals. LexRank and TextRank
build their similarity matrices in pure Python pair loops (O(n²) Python calls); the two
subclasses below build the same matrices with numpy and leave sumy's scoring untouched.
BLAS threads are limited to one around the numpy work: on small machines extra threads
oversubscribe the cores and made LSA ~20x slower.
"""

# ruff: noqa: E402 - sumy's stemmer module must be replaced before its summarizers are imported

from __future__ import annotations

import functools
import math
import warnings
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from digest.summarize.stemmers import install_sumy_stand_in

install_sumy_stand_in()  # before any sumy summarizer: they import sumy.nlp.stemmers (and NLTK)

from sumy.models.dom import ObjectDocumentModel, Paragraph
from sumy.models.dom import Sentence as SumySentence
from sumy.summarizers.kl import KLSummarizer
from sumy.summarizers.lex_rank import LexRankSummarizer
from sumy.summarizers.lsa import LsaSummarizer
from sumy.summarizers.luhn import LuhnSummarizer
from sumy.summarizers.sum_basic import SumBasicSummarizer
from sumy.summarizers.text_rank import TextRankSummarizer
from threadpoolctl import ThreadpoolController

from digest.summarize.language import Language
from digest.summarize.sentences import SentenceTokenizer


class FastLexRankSummarizer(LexRankSummarizer):
    """sumy's LexRank with its idf-modified-cosine matrix computed by numpy (same formula)."""

    def _create_matrix(self, sentences: Any, threshold: float, tf_metrics: Any, idf_metrics: Any) -> Any:
        n = len(sentences)
        vocab: dict[str, int] = {}
        for words in sentences:
            for w in words:
                vocab.setdefault(w, len(vocab))
        weights = np.zeros((n, max(len(vocab), 1)))
        for row, tf in enumerate(tf_metrics):
            for term, value in tf.items():
                weights[row, vocab[term]] = value * idf_metrics[term]
        norms = np.sqrt((weights**2).sum(axis=1))
        with np.errstate(divide="ignore", invalid="ignore"):
            cosine = (weights @ weights.T) / np.outer(norms, norms)
        cosine[~np.isfinite(cosine)] = 0.0
        cosine[(norms == 0)[:, None] | (norms == 0)[None, :]] = 0.0
        matrix = (cosine > threshold).astype(float)
        degrees = matrix.sum(axis=1)
        degrees[degrees == 0] = 1
        return matrix / degrees[:, None]

    @staticmethod
    def power_method(matrix: Any, epsilon: float, max_iterations: int = 1000) -> Any:
        """sumy's power iteration, with an iteration cap: its own loop has no bound."""
        transposed = matrix.T
        n = len(matrix)
        p_vector = np.full(n, 1.0 / n)
        for _ in range(max_iterations):
            next_p = transposed @ p_vector
            norm = np.linalg.norm(next_p)
            if not norm > 0:  # no sentence is similar to any other: all equally central
                return np.full(n, 1.0 / n)
            next_p /= norm
            delta = np.linalg.norm(next_p - p_vector)
            p_vector = next_p
            if delta <= epsilon:
                break
        return p_vector

    @staticmethod
    def _compute_idf(sentences: Any) -> dict[str, float]:
        # sumy scans every sentence for every term (O(n² · words)); count once instead.
        n = len(sentences)
        df = Counter(term for words in sentences for term in set(words))
        return {term: math.log(n / (1 + count)) for term, count in df.items()}


class FastTextRankSummarizer(TextRankSummarizer):
    """sumy's TextRank with its word-overlap matrix computed by numpy (same formula)."""

    def _create_matrix(self, document: Any) -> Any:
        sentences_as_words = [self._to_words_set(s) for s in document.sentences]
        n = len(sentences_as_words)
        vocab: dict[str, int] = {}
        for words in sentences_as_words:
            for w in words:
                vocab.setdefault(w, len(vocab))
        counts = np.zeros((n, max(len(vocab), 1)))
        for row, words in enumerate(sentences_as_words):
            for w, c in Counter(words).items():
                counts[row, vocab[w]] = c
        overlap = counts @ counts.T
        lengths = np.array([len(w) for w in sentences_as_words], dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            logs = np.log(lengths)
            norm = logs[:, None] + logs[None, :]
            weights = np.where(np.isclose(norm, 0.0), overlap, overlap / norm)
        weights[overlap == 0] = 0.0
        weights /= weights.sum(axis=1)[:, None] + self._ZERO_DIVISION_PREVENTION
        return np.full((n, n), (1.0 - self.damping) / n) + self.damping * weights


class StableLsaSummarizer(LsaSummarizer):
    """sumy's LSA with its term rows in sorted order.

    sumy numbers terms by iterating a frozenset, whose order changes with Python's hash
    seed; the SVD of a row-permuted matrix differs in the last bits and can flip ties, so
    the same article could get other key points in another process.
    """

    def _create_dictionary(self, document: Any) -> dict[str, int]:
        words = map(self.normalize_word, document.words)
        unique_words = sorted({self.stem_word(w) for w in words if w not in self._stop_words})
        return {w: i for i, w in enumerate(unique_words)}


SUMMARIZERS: dict[str, type] = {
    "lexrank": FastLexRankSummarizer,
    "textrank": FastTextRankSummarizer,
    "lsa": StableLsaSummarizer,
    "luhn": LuhnSummarizer,
    "sumbasic": SumBasicSummarizer,
    "kl": KLSummarizer,
}

_BLAS = ThreadpoolController()


@functools.lru_cache(maxsize=32)
def cached_stemmer(language: Language) -> Callable[[str], str]:
    """The language's stemmer behind a cache: news repeats its words a lot."""
    return functools.lru_cache(maxsize=100_000)(language.stemmer)


@functools.lru_cache(maxsize=64)
def make_summarizer(algorithm: str, language: Language, *, fast: bool = True) -> Any:
    """A configured sumy summarizer; ``fast=False`` gives sumy's own LexRank/TextRank
    (LSA stays the hash-seed-stable variant so that benchmark figures are reproducible).

    Cached: sumy re-normalizes the whole stop-word list on every assignment, and its
    summarizers keep no state between calls.
    """
    cls = SUMMARIZERS[algorithm]
    if not fast:
        cls = {"lexrank": LexRankSummarizer, "textrank": TextRankSummarizer}.get(algorithm, cls)
    summarizer = cls(cached_stemmer(language))
    summarizer.stop_words = language.stop_words
    return summarizer


def make_document(sentences: Sequence[str], tokenizer: SentenceTokenizer) -> ObjectDocumentModel:
    """A one-paragraph sumy document of already-split sentences."""
    return ObjectDocumentModel([Paragraph([SumySentence(s, tokenizer) for s in sentences])])


def rate_sentences(sentences: Sequence[str], language: Language, algorithm: str = "lexrank") -> list[float]:
    """One centrality score per sentence (higher is more central), in input order.

    Sentences must be unique: sumy keys its ratings by sentence text.
    """
    if not sentences:
        return []
    if len(sentences) == 1:
        return [1.0]
    tokenizer = SentenceTokenizer(language.sumy_name, language.pysbd_code)
    document = make_document(sentences, tokenizer)
    summarizer = make_summarizer(algorithm, language)
    captured: dict[str, float] = {}

    def keep_all(infos: Any) -> Any:  # sumy passes SentenceInfo tuples sorted by rating
        for info in infos:
            captured[str(info.sentence)] = float(info.rating)
        return infos

    with _BLAS.limit(limits=1), np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # LSA warns on documents with fewer words than sentences
        summarizer(document, keep_all)
    ratings = (captured.get(str(SumySentence(s, tokenizer)), 0.0) for s in sentences)
    return [r if math.isfinite(r) else 0.0 for r in ratings]
