"""Is this sentence real prose, or page chrome (dateline, byline, caption, label, timestamp)?

Scraped and agency text often opens with furniture that sentence splitters turn into
"sentences": "LONDON (Reuters) -", "By Jane Doe", "Updated 10:32 GMT", "Image copyright
Getty Images", "SCROLL DOWN FOR VIDEO". An editor would never lead a newsletter item with
them, so the lede skips them and key points never use them. The rules are about the
*shape* of chrome (no sentence punctuation, name-only bylines, time stamps, credit words),
not about any one site.
"""

from __future__ import annotations

import re

from digest.summarize.sentences import words

# A leading agency/source tag: "(CNN) --", "(cnn)", "(Reuters) -".
_LEADING_TAG = re.compile(r"^\s*\((?:[^()\d]{2,30})\)\s*(?:--|[-–—:|])?\s*")
# A place before such a tag, then a dash: "LONDON (Reuters) -", "Paris (AFP) —". The dash
# is required here so that "Anuradha Koirala (pictured) said" is left alone.
_PLACE_TAG = re.compile(
    r"^\s*[^\W\d_][^\W\d_'’-]*(?:[ .,'’-]+[^\W\d_]+){0,3}[ ,]*\((?:[^()\d]{2,30})\)\s*(?:--|[-–—])\s*"
)
# An upper-case dateline before a dash: "NEW YORK — ", "BEIRUT, Lebanon -- ".
_DATELINE = re.compile(r"^\s*[A-Z][A-Z .'’-]{1,30}(?:,\s*[A-Z][\w .'’-]{1,25})?\s*(?:--|—|–)\s+")
# Stray punctuation left in front of a sentence by "By . Reporter . | . Updated" chrome.
_LEADING_JUNK = re.compile(r"^[\s|•·*.:;,–—-]+")
_SENTENCE_END = re.compile(r"[.!?…][\"'’”)\]»]*$")

_BYLINE_TEXT = (
    "by and for the of in at from with reporter reporters correspondent correspondents editor "
    "staff writer writers contributor news agency agencies mail online daily"
)
_BYLINE_WORDS = frozenset(_BYLINE_TEXT.split())
_TIMESTAMP = re.compile(
    r"\b(?:updated|published|posted|last (?:updated|modified)|created|modified)\b\s*:?.{0,40}?"
    r"(?:\d{1,2}[:.]\d{2}|\b\d{4}\b|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b)",
    re.IGNORECASE,
)
_CREDIT = re.compile(
    r"(?:^(?:photo|photograph|image|picture|pictured|caption|video|watch|file photo|credit|source|"
    r"related|read more|see also|advertisement)\b\s*[:|-]?)|"
    r"(?:getty images|ap photo|reuters/|afp/|image copyright|image caption|media caption|©|\(c\) \d{4})|"
    r"(?:scroll down for (?:video|more)|click here|sign up (?:for|to)|subscribe (?:to|now)|"
    r"share this (?:article|story)|follow (?:us|@)|all rights reserved)",
    re.IGNORECASE,
)

# Tokens of a bare date/time stamp: "11:33 EST, 19 June 2013", "Monday 4 March".
_STAMP_TEXT = (
    "am pm a m p est edt cst cdt pst pdt gmt bst utc cet cest ist et pt ct "
    "jan feb mar apr may jun jul aug sep sept oct nov dec january february march april june july "
    "august september october november december mon tue wed thu fri sat sun monday tuesday "
    "wednesday thursday friday saturday sunday st nd rd th updated published posted last"
)
_STAMP_TOKENS = frozenset(_STAMP_TEXT.split())

MIN_LEDE_WORDS = 5
# "visit http://www.djreprints.com", "email tips@site.com": page boilerplate, not news
_RAW_LINK = re.compile(r"(?:https?://|\bwww\.)\S+|\b[\w.+-]+@[\w-]+\.[\w.-]+", re.IGNORECASE)


def strip_source_tag(sentence: str) -> str:
    """The sentence without a leading "(CNN) --" / "LONDON (Reuters) -" / "NEW YORK —" tag."""
    stripped = sentence
    for pattern in (_LEADING_TAG, _PLACE_TAG, _DATELINE):
        stripped = pattern.sub("", stripped, count=1)
        if stripped != sentence:
            break
    stripped = _LEADING_JUNK.sub("", stripped).strip()
    # Only keep the stripped form when a sentence is left; "(AP)" alone is not one.
    if len(words(stripped)) < 3:
        return _LEADING_JUNK.sub("", sentence).strip()
    return stripped  # as written, never re-cased: a lede quotes the article


def ends_like_sentence(sentence: str) -> bool:
    return bool(_SENTENCE_END.search(sentence.rstrip()))


def is_byline(sentence: str) -> bool:
    tokens = words(sentence)
    if not tokens or tokens[0].lower() != "by" or len(tokens) > 9:
        return False
    rest = tokens[1:]
    return all(t[:1].isupper() or t.lower() in _BYLINE_WORDS for t in rest) or all(
        t.lower() in _BYLINE_WORDS for t in rest
    )


def is_label(sentence: str) -> bool:
    """An ALL-CAPS label ("BREAKING NEWS", "MORE FROM CNN") in mixed-case text."""
    letters = sum(map(str.isalpha, sentence))
    return letters >= 3 and sum(map(str.isupper, sentence)) / letters > 0.8


def is_chrome(sentence: str, *, all_caps_text: bool = False) -> bool:
    """True for datelines, bylines, captions, credits, time stamps and labels."""
    text = sentence.strip()
    if not words(text):
        return True
    if is_byline(text) or _CREDIT.search(text) or _RAW_LINK.search(text):
        return True
    tokens = words(text)
    if _TIMESTAMP.search(text) and len(tokens) <= 12:
        return True
    if all(t.isdigit() or t.lower() in _STAMP_TOKENS for t in tokens):
        return True
    if not all_caps_text and is_label(text):
        return True
    # A dateline or agency tag with nothing after it.
    tagged = _LEADING_TAG.match(text) or _PLACE_TAG.match(text + " ") or _DATELINE.match(text + " ")
    return bool(tagged) and len(words(strip_source_tag(text))) < 3


def is_real_sentence(sentence: str, *, min_words: int = MIN_LEDE_WORDS, all_caps_text: bool = False) -> bool:
    """Prose fit to stand alone: not chrome, long enough, ends like a sentence."""
    text = strip_source_tag(sentence)
    return (
        ends_like_sentence(text)
        and len(words(text)) >= min_words
        and not is_chrome(sentence, all_caps_text=all_caps_text)
    )
