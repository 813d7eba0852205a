"""Key points stand alone: no captions, no dangling openers, no fragments, no near-repeats."""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from digest.summarize import summarize_text
from digest.summarize.standalone import is_caption, is_fragment, leans_on_previous, stands_alone

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "sentence",
    [
        "carrie reichert (left), 43, has released a teaser from her upcoming book about the night.",
        "this the bacteria found on one five pound note.",
        "Bobby Zamora (pictured right) scored QPR's third goal with an astounding lob.",
        "The 62-year-old was pictured leaving Mountjoy prison on Monday morning.",
        "Photo: the flooded high street in Cockermouth on Thursday.",
        "In this photo released by the ministry, soldiers stand guard at the border.",
        "Andy Murray celebrates winning a point in the second set against Novak Djokovic in the final.",
        "Klopp chats with Dortmund defender Erik Durm during a training session on Wednesday.",
        "Black widow Catherine Nevin leaving Mountjoy prison as she walks to get a bus.",
    ],
)
def test_captions_are_recognised(sentence: str) -> None:
    assert is_caption(sentence)
    assert not stands_alone(sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        "And Alan Greenspan highlighted the US government's willingness to curb spending.",
        "But that dance is growing more intimate as hi-tech firms look to the creative industries.",
        "and they are struggling in the aftermath of the storm.",
        "However, the council said the bridge would stay shut until the spring.",
        "He said the child could use the laptop like a text book.",
        "They affect Windows programs, including Internet Explorer and media player.",
        "It's a question explored by a documentary about private cosmetic treatments.",
    ],
)
def test_dangling_openers_are_recognised(sentence: str) -> None:
    assert leans_on_previous(sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        "This year the council will spend £4m on the bridge over the river.",
        "Andrew Smith, the council leader, said the bridge would reopen in May.",
        "Thousands of people marched through the city centre on Saturday.",
        "The new virus poses a serious threat to older people across Europe.",
        "The club celebrates its 100th birthday this year and will hold a party for its fans.",
        "Fans leaving the stadium were caught in the crush at the north gate.",
    ],
)
def test_stand_alone_sentences_pass(sentence: str) -> None:
    assert stands_alone(sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        "by Edward Albee, The Pillowman and The History Boys are shortlisted for the prize.",
        "The council said that the bridge",
        "Three people were hurt.",
        'The mayor said "we will rebuild the bridge before winter comes to the town.',
    ],
)
def test_fragments_are_recognised(sentence: str) -> None:
    assert is_fragment(sentence)


def test_lower_case_corpus_is_not_all_fragments() -> None:
    assert not is_fragment("the council said the bridge would reopen in may.", mixed_case=False)


def test_summary_drops_captions_dangling_points_and_repeats() -> None:
    text = (
        "The city council approved a £40m plan to rebuild the old river bridge on Tuesday night.\n\n"
        "Jane Doe (left), 43, has campaigned for the bridge plan for ten years.\n\n"
        "But the bridge plan still needs approval from the government before building starts.\n\n"
        "He said the bridge plan was the biggest council project in a generation.\n\n"
        "Work on the new bridge is due to start in March and should take two years to finish.\n\n"
        "Work on the new bridge is due to start in March and take two years.\n\n"
        "Local shops say the closure of the old bridge has cost them thousands of pounds in trade.\n\n"
        "The government is expected to give its answer on the bridge plan within weeks."
    )
    summary = summarize_text(text, "Bridge plan approved", points=3)
    assert summary.key_points == [
        "Work on the new bridge is due to start in March and should take two years to finish.",
        "Local shops say the closure of the old bridge has cost them thousands of pounds in trade.",
        "The government is expected to give its answer on the bridge plan within weeks.",
    ]


def _bench() -> ModuleType:
    path = ROOT / "bench" / "summary_checks.py"
    spec = importlib.util.spec_from_file_location("summary_checks", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_bench_checks_are_independent_of_the_picking_code() -> None:
    tree = ast.parse((ROOT / "bench" / "summary_checks.py").read_text(encoding="utf-8"))
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert not any(m and m.startswith("digest.summarize.") for m in imported)


def test_bench_checks_flag_each_kind() -> None:
    bench = _bench()
    lede = "The council approved the new bridge plan on Tuesday night after a long debate."
    points = [
        "carrie reichert (left), 43, has released a teaser from her upcoming book about the night.",
        "And Alan Greenspan highlighted the US government's willingness to curb spending.",
        "by Edward Albee, The Pillowman and The History Boys are shortlisted.",
        "The council approved the new bridge plan on Tuesday after a debate.",
        "Shops near the river say the closure has cost them thousands of pounds.",
    ]
    kinds = {kind for kind, point in bench.flags(lede, points, True) if point != points[-1]}
    assert kinds == {"caption", "dangling", "fragment", "repeat"}
    assert not [k for k, p in bench.flags(lede, points, True) if p == points[-1]]


def test_a_sentence_leaning_on_the_lede_joins_it_and_never_stands_alone() -> None:
    text = (
        "Two charity founders are among the survivors of the earthquake in Kathmandu, Nepal.\n\n"
        "And they are struggling to keep hundreds of children fed and sheltered in the aftermath.\n\n"
        "Anuradha Koirala runs a rehabilitation centre in the city that is home to 425 young women.\n\n"
        "It has been damaged by the aftershocks, and the girls now sleep outdoors under tarpaulins.\n\n"
        "Pushpa Basnet and the 45 children in her care were forced to leave their home.\n\n"
        "Seven other charities are now helping with the relief effort across the valley."
    )
    summary = summarize_text(text, points=3)
    assert summary.lede == (
        "Two charity founders are among the survivors of the earthquake in Kathmandu, Nepal. "
        "And they are struggling to keep hundreds of children fed and sheltered in the aftermath."
    )
    assert summary.key_points == [
        "Anuradha Koirala runs a rehabilitation centre in the city that is home to 425 young women.",
        "Pushpa Basnet and the 45 children in her care were forced to leave their home.",
        "Seven other charities are now helping with the relief effort across the valley.",
    ]


def test_a_leaning_sentence_that_repeats_the_lede_does_not_join_it() -> None:
    text = (
        "The city council approved a £40m plan to rebuild the old river bridge on Tuesday night.\n\n"
        "And the council approved the £40m plan to rebuild the river bridge after a long debate.\n\n"
        "Work on the new bridge is due to start in March and should take two years to finish.\n\n"
        "Local shops say the closure of the old bridge has cost them thousands of pounds in trade."
    )
    summary = summarize_text(text, points=2)
    assert summary.lede == "The city council approved a £40m plan to rebuild the old river bridge on Tuesday night."
