"""`digest summarize` starts fast: NLTK is never imported, heavy modules load only when used."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from digest.similarity import cosine_rows
from digest.summarize.stemmers import Stemmer

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("nltk", "sklearn", "scipy", "trafilatura", "lxml", "numpy", "requests")


def _imported(args: list[str], stdin: str) -> set[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "digest", *args],
        input=stdin.encode(),
        capture_output=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    return {
        line.rsplit("|", 1)[1].strip()
        for line in done.stderr.decode().splitlines()
        if line.startswith("import time:") and "|" in line
    }


def test_an_empty_batch_imports_nothing_heavy() -> None:
    loaded = _imported(["summarize", "--jsonl"], "")
    assert not [m for m in HEAVY if m in loaded]
    assert "digest.summarize" not in loaded


def test_summarizing_never_imports_nltk_or_sklearn() -> None:
    text = "The council approved the new bridge plan on Tuesday night after a long debate. " * 3
    loaded = _imported(["summarize", "--jsonl"], json.dumps({"id": 1, "text": text}) + "\n")
    assert "digest.summarize" in loaded
    assert not [m for m in ("nltk", "sklearn", "scipy", "trafilatura", "lxml", "requests") if m in loaded]


def test_snowball_stemmers_without_nltk() -> None:
    assert Stemmer("english")("Running") == "run"
    assert Stemmer("german")("Häuser") == "haus"
    assert Stemmer("czech")("hrady") == "hrad"  # sumy's own stemmer
    assert Stemmer("japanese")("東京") == "東京"
    with pytest.raises(LookupError):
        Stemmer("klingon")


def test_sumy_still_fetches_with_requests_on_demand() -> None:
    code = (
        "import sys, digest.summarize, sumy.utils; "
        "assert 'requests' not in sys.modules and 'nltk' not in sys.modules and 'pycountry' not in sys.modules; "
        "assert sumy.utils.normalize_language('de') == 'german'; "
        "assert sumy.utils.requests.codes.ok == 200; assert 'requests' in sys.modules; print('ok')"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, env=env, timeout=60)
    assert done.stdout.decode().strip() == "ok", done.stderr.decode()[-2000:]


def test_tfidf_cosine_matches_scikit_learn() -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics.pairwise import linear_kernel

    docs = [
        "The council approved the bridge plan; the bridge opens in May.",
        "Café owners near the bridge welcomed the plan and the council's naïve optimism.",
        "Rain is expected across the north on Tuesday and Wednesday.",
        "the and of",
        "",
    ]
    for english in (True, False):
        vectorizer = TfidfVectorizer(
            sublinear_tf=True, strip_accents="unicode", stop_words="english" if english else None
        )
        expected = linear_kernel(vectorizer.fit_transform(docs)[:2], vectorizer.fit_transform(docs))
        ours = cosine_rows(docs, 2, english)
        assert ours is not None
        assert abs(ours - expected).max() < 1e-9
    assert cosine_rows(["the and", "of the"], 1) is None
