"""Can this sentence stand alone in a newsletter, away from the page it came from?

A key point is read without the sentence before it and without the picture beside it. So
a point may not be a photo caption ("Jane Doe (left), 43, ..."), may not lean on the
sentence before it ("And ...", "But ...", "However, ...", "He said ..."), and may not be a
fragment that a splitter or a scraper cut out of a longer sentence. The rules are about
the shape of English news prose; on other languages they simply find less.
"""

from __future__ import annotations

import re

from digest.summarize.sentences import words

# "(left)", "(pictured right)", "(second left)", "(file)": where a person stands in a picture.
_PLACE_IN_PICTURE = re.compile(
    r"\((?:pictured\s*)?(?:(?:far|second|third|top|bottom)\s+)?"
    r"(?:left|right|centre|center|top|bottom|above|below|inset|front|back|middle|l|r|file|pictured)\)",
    re.IGNORECASE,
)
_PICTURE_WORDS = re.compile(
    r"\b(?:is|are|was|were|being)\s+pictured\b|\b(?:pictured|seen|shown)\s+(?:here|above|below)\b|"
    r"\bin\s+this\s+(?:photo|picture|image|handout|file\s+photo|undated)\b|\b(?:photo|picture|image)\s+(?:shows|taken)\b|"
    r"^\W*(?:pictured|above|below|inset|main\s+(?:picture|image))\s*[:,–—-]|"
    r"^\W*(?:photo(?:graph)?|picture|image|credit|caption|file\s+photo|video)\s*[:|]|"
    r"\b(?:getty\s+images|ap\s+photo|afp\s+photo|rex\s+features|rex/shutterstock|shutterstock|pa\s+wire)\b",
    re.IGNORECASE,
)
# "this the bacteria found on ...": a demonstrative glued to a noun phrase with no verb, how
# picture descriptions read once their picture is gone.
_DEMONSTRATIVE_NOUN = re.compile(r"^\W*(?:this|these|here)\s+(?:the|a|an)\s", re.IGNORECASE)

# "Andy Murray celebrates winning a point ...", "Catherine Nevin leaving Mountjoy prison ...": a
# picture described in the present tense or a bare participle, with no verb of reported news.
_PICTURE_VERB_TEXT = (
    "celebrates smiles waves chats hugs kisses embraces gestures cuddles cradles clutches relaxes lounges strolls "
    "greets applauds salutes leaving arriving smiling waving celebrating posing"
)
_PICTURE_VERB = re.compile(
    r"^\W*(?:[\w'’.-]+,?\s+){1,6}?(?:(?:" + "|".join(_PICTURE_VERB_TEXT.split()) + r")\b|"
    r"poses\s+(?:for|with|alongside|next|beside|in\s+front))",
    re.IGNORECASE,
)
_NEWS_VERB_TEXT = "is are was were has have had will would said says can could did does do may might should been"
_NEWS_VERBS = frozenset(_NEWS_VERB_TEXT.split())
_MAX_PICTURE_WORDS = 25
_CONNECTIVE_TEXT = (
    "and but or nor so yet also however though although meanwhile moreover furthermore besides "
    "instead therefore thus hence still then otherwise nevertheless nonetheless consequently "
    "likewise similarly additionally indeed anyway plus accordingly"
)
_CONNECTIVES = frozenset(_CONNECTIVE_TEXT.split())
# Pronouns that point back to someone or something named before.
_PRONOUN_TEXT = "he she they him her his hers their theirs them it its it's this these those that such"
_PRONOUNS = frozenset(_PRONOUN_TEXT.split())
# A demonstrative that opens a time phrase ("This year", "That morning") does not point back.
_TIME_TEXT = (
    "year years week weeks month months season summer winter spring autumn fall morning afternoon "
    "evening night weekend time century decade"
)
_TIME_NOUNS = frozenset(_TIME_TEXT.split())
_END_MARK = re.compile(r"[.!?…][\"'’”)\]»]*$")
_MIN_WORDS = 6


def is_caption(sentence: str) -> bool:
    """A photo caption, credit or picture description."""
    return bool(
        _PLACE_IN_PICTURE.search(sentence) or _PICTURE_WORDS.search(sentence) or _DEMONSTRATIVE_NOUN.match(sentence)
    ) or describes_picture(sentence)


def describes_picture(sentence: str) -> bool:
    """Someone doing something, told in the present tense, with nothing reported."""
    tokens = [t.lower() for t in words(sentence)]
    if len(tokens) > _MAX_PICTURE_WORDS or any(q in sentence for q in '"“”'):
        return False
    return bool(_PICTURE_VERB.match(sentence)) and not _NEWS_VERBS.intersection(tokens)


def leans_on_previous(sentence: str) -> bool:
    """Opens with a connective or a pronoun that needs the sentence before it to make sense."""
    tokens = [t.lower() for t in words(sentence)[:2]]
    if not tokens:
        return False
    first = tokens[0].replace("’", "'")
    if first in _CONNECTIVES:
        return True
    if first in _PRONOUNS:
        return not (first in ("this", "that", "these", "those") and len(tokens) > 1 and tokens[1] in _TIME_NOUNS)
    return False


def is_fragment(sentence: str, *, mixed_case: bool = True) -> bool:
    """Not a whole sentence: too short, no end mark, unbalanced brackets or quotes, or it
    opens mid-sentence (lower case or punctuation in text that uses capitals)."""
    text = sentence.strip()
    if len(words(text)) < _MIN_WORDS or not _END_MARK.search(text):
        return True
    if text.count("(") != text.count(")") or text.count("“") != text.count("”") or text.count('"') % 2:
        return True
    opening = text.lstrip("\"'‘“«(")[:1]
    if opening in ",;:)]–—-":
        return True
    return mixed_case and opening.islower()


def stands_alone(sentence: str, *, mixed_case: bool = True) -> bool:
    """Fit to be read on its own: no caption, no dangling opener, no fragment."""
    return not (is_caption(sentence) or leans_on_previous(sentence) or is_fragment(sentence, mixed_case=mixed_case))
