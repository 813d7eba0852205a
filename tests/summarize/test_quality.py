"""ROUGE regression on CNN/DailyMail articles copied into tests/data (see PROVENANCE.md).

Ten articles are too few to rank systems finely, so this only guards against a regression
that drops us below plain sumy LexRank or clearly below Lead-3; the full comparison is
`bench/summary_quality.py`.
"""

from __future__ import annotations

import json

from rouge_score import rouge_scorer
from tests.support.paths import DATA

from digest.summarize import analyze
from digest.summarize.language import get_language
from digest.summarize.rank import make_document, make_summarizer
from digest.summarize.sentences import SentenceTokenizer

SAMPLE = DATA / "cnndm-sample.jsonl"


def test_ours_beats_plain_lexrank_and_keeps_up_with_lead3() -> None:
    rows = [json.loads(line) for line in SAMPLE.read_text(encoding="utf-8").splitlines()]
    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2"], use_stemmer=True)
    language = get_language("en")
    tokenizer = SentenceTokenizer()
    totals = {"ours": [0.0, 0.0], "lead3": [0.0, 0.0], "lexrank": [0.0, 0.0]}
    for row in rows:
        analysis = analyze(row["text"])
        texts = list(dict.fromkeys(s.text for s in analysis.sentences))
        picked = make_summarizer("lexrank", language, fast=False)(make_document(texts, tokenizer), 3)
        candidates = {
            "ours": [analysis.summary.lede, *analysis.summary.key_points[:2]],
            "lead3": [s.text for s in analysis.sentences[:3]],
            "lexrank": [str(s) for s in picked],
        }
        for name, sentences in candidates.items():
            assert len(sentences) == 3, name
            scores = scorer.score(row["reference"], "\n".join(sentences))
            totals[name][0] += scores["rouge1"].fmeasure / len(rows)
            totals[name][1] += scores["rouge2"].fmeasure / len(rows)
    ours, lead3, lexrank = totals["ours"], totals["lead3"], totals["lexrank"]
    assert ours[0] >= lexrank[0] and ours[1] >= lexrank[1], totals
    assert ours[0] >= lead3[0] - 0.01 and ours[1] >= lead3[1] - 0.01, totals
