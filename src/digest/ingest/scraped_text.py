"""A general cleaner for scraped plain text: keep the article, drop the site around it.

Plain text scraped from a page keeps everything the page showed: menus, share buttons,
image captions, "More from <Site>" blocks, cookie notices, footers. There is no markup
left, so no link density either; the cleaner works on lines with heuristics that hold
across sites and languages rather than rules for one site:

1. Each line (a paragraph, after re-joining hard-wrapped lines) gets a score: positive
   for sentence-like prose (many words, terminal punctuation, lower-case words), negative
   for short lines, repeated lines and known chrome phrases in several languages.
2. The main text is the contiguous run of lines with the highest total score (the
   maximum-sum segment, as in Finn et al.'s Body Text Extraction): prose is dense there,
   chrome is dense around it.
3. Inside that run, lines that are clearly chrome (captions such as ``xi 2``, photo
   credits, share/subscribe/cookie lines, bylines, datelines, "Read more: ..." links) go.
4. Blocks headed "More from ...", "Related", "Read more", "Lesen Sie auch" ... are parsed
   for the related stories they list: their repeating layout (section label, image
   caption, headline) is found by trying group sizes, and only the headline is kept.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field, replace
from functools import cached_property

from digest.models import Related

# ------------------------------------------------------------------ phrase lists
# Whole-line chrome, matched case-insensitively against a line with bullets stripped.
_CHROME_LINE = re.compile(
    r"""^(?:
      (?:skip|jump)\s+to\b.*|(?:main\s+)?menu|navigation|search(?:\s+\w+)?|close|open|toggle.*|home(?:page)?|
      (?:share|tweet|pin|email|print|save|copy\s+link|copy|send|post)(?:\s+(?:this|on|via|the|article|story|link|
        page|to|with)\b.*)?|
      share\s+(?:on|via)\s+\w+|share\s+this.*|sharing\s+is.*|
      (?:facebook|twitter|x|linkedin|whatsapp|reddit|pinterest|telegram|email|e-mail|messenger|flipboard|
        instagram|youtube|tiktok|rss|mail|print)|
      (?:sign\s+(?:up|in)|log\s*in|login|log\s*out|register|subscribe(?:\s+now)?|subscribe\s+to\b.*|my\s+account|
        create\s+(?:an\s+)?account|newsletters?|get\s+the\s+newsletter.*|join\s+(?:the\s+conversation|us|now).*)|
      advertisement|advertising|adverti[sz]e(?:\s+with\s+us)?|sponsored(?:\s+content)?|ad|ads|promoted|
      (?:accept|reject|manage)(?:\s+all)?(?:\s+cookies)?|cookie\s+(?:settings|policy|preferences).*|
      .*\b(?:we\s+use\s+cookies|uses\s+cookies|this\s+(?:site|website)\s+uses)\b.*|
      (?:privacy|cookie)\s+(?:policy|notice|settings)|terms\s+(?:of\s+(?:use|service)|and\s+conditions)|
      contact(?:\s+us)?|about(?:\s+us)?|careers|imprint|impressum|back\s+to\s+top|top|next|previous|prev|more|
      read\s+(?:more|next|full\s+story|the\s+full\s+article)|load\s+more.*|show\s+more|see\s+(?:more|all).*|
      view\s+(?:comments|all|more).*|(?:\d+\s+)?comments?|leave\s+a\s+(?:comment|reply)|post\s+a\s+comment|
      report\s+(?:an?\s+)?(?:error|typo|abuse)|correction.*|
      (?:listen|watch|play)(?:\s+(?:now|live|video|to\s+this\s+article|the\s+video))?|
      (?:\d+\s+)?min(?:ute)?s?\s+read|reading\s+time.*|\d+\s+(?:views?|shares?|likes?)|
      (?:image|photo|picture|video)\s*(?:source|copyright|caption|credit)s?\b.*|
      (?:getty\s+images|shutterstock|istock(?:photo)?|reuters|ap\s+photo|afp|epa|pa\s+media|alamy).{0,40}|
      (?:photo|image|credit|picture|foto|bild)\s*:.{0,80}|
      (?:©|\(c\)|copyright\b).*|.*all\s+rights\s+reserved.*|
      front\s+of\s+mind|breaking\s+news|live\s+now.*|trending(?:\s+now)?|hot\s+topics.*|top\s+stories|
      latest(?:\s+news)?|most\s+(?:popular|read|viewed|shared|watched|commented).*|don'?t\s+miss|
      follow\s+us.*|like\s+us\s+on.*|download\s+(?:the|our)\s+app.*|
      (?:teilen|drucken|suche|anmelden|abonnieren|werbung|anzeige|mehr\s+zum\s+thema|weitere\s+artikel|
        datenschutz.*|kommentare?|zur(?:ück)?\s+(?:startseite|übersicht)|lesen\s+sie\s+auch.*)|
      (?:partager|imprimer|rechercher|se\s+connecter|s'abonner|publicité|à\s+lire\s+aussi.*|lire\s+aussi.*|
        sur\s+le\s+même\s+sujet|commentaires?|suivez-nous.*|newsletter)|
      (?:compartir|imprimir|buscar|suscríbete|publicidad|lee\s+también.*|leer\s+más|más\s+noticias|
        noticias\s+relacionadas|comentarios?|síguenos.*)|
      (?:condividi|stampa|cerca|iscriviti|pubblicità|leggi\s+anche.*|articoli\s+correlati|commenti|seguici.*)|
      (?:compartilhe|compartilhar|imprimir|pesquisar|assine|publicidade|leia\s+também.*|veja\s+também.*|
        comentários?|siga-nos.*)|
      (?:delen|zoeken|inloggen|abonneren|advertentie|lees\s+ook.*|gerelateerd.*|reacties)
    )[\s.:!»›>|–—-]*$""",
    re.IGNORECASE | re.VERBOSE,
)

# A line that opens a block of related stories.
_RELATED_HEADER = re.compile(
    r"""^(?:
      more\s+(?:from|on|in|about|news\s+from|stories|news|like\s+this|to\s+read)\b.{0,40}|
      related(?:\s+(?:stories|articles|news|content|coverage|links|posts|reading|topics))?|
      (?:recommended|suggested)(?:\s+(?:for\s+you|stories|articles|reading))?|
      you\s+(?:may|might)\s+(?:also\s+)?(?:like|enjoy|be\s+interested\s+in).{0,20}|also\s+(?:read|on|in)\b.{0,40}|
      read\s+(?:more|next|also)|editor'?s\s+picks?|
      what\s+to\s+read\s+next|further\s+reading|
      mehr\s+(?:zum\s+thema|von|aus|zu)\b.{0,40}|lesen\s+sie\s+auch|weitere\s+(?:artikel|nachrichten)|
      à\s+lire\s+aussi|lire\s+aussi|sur\s+le\s+même\s+sujet|plus\s+d'articles.{0,30}|
      leer\s+más|lee\s+también|más\s+noticias|noticias\s+relacionadas|
      leggi\s+anche|articoli\s+correlati|leia\s+também|veja\s+também|mais\s+lidas|
      lees\s+ook|meer\s+nieuws|gerelateerde\s+artikelen
    )[\s.:!»›>|–—-]*$""",
    re.IGNORECASE | re.VERBOSE,
)

# Lines after which an article does not go on: reader comments, footers.
_BARRIER = re.compile(
    r"""^(?:(?:\d+\s+)?(?:comments?|kommentare?|commentaires?|comentarios?|commenti|comentários|reacties)
      (?:\s*\(\d+\))?|leave\s+a\s+(?:comment|reply)|post\s+a\s+comment|add\s+(?:a\s+)?comment|
      join\s+the\s+(?:conversation|discussion)|(?:show|view|read)\s+(?:all\s+)?comments|
      (?:©|\(c\)|copyright\b).*|.*all\s+rights\s+reserved.*|schreiben\s+sie\s+einen\s+kommentar|
      laisser\s+un\s+commentaire|deja\s+(?:un|tu)\s+comentario|lascia\s+un\s+commento|deixe\s+um\s+comentário
    )[\s.:!»›>|–—-]*$""",
    re.IGNORECASE | re.VERBOSE,
)

# "Read more: <headline>" style inline links to other stories.
_INLINE_RELATED = re.compile(
    r"^(?:read\s+(?:more|also|next)|see\s+also|related|also\s+read|more|lesen\s+sie\s+auch|mehr\s+dazu|"
    r"à\s+lire\s+aussi|lire\s+aussi|lee\s+también|leer\s+más|leggi\s+anche|leia\s+também|veja\s+também|lees\s+ook)"
    r"\s*[:»›>|–—-]\s*(?P<title>.{8,200})$",
    re.IGNORECASE,
)

# Bylines, datelines and timestamps standing alone on a line.
_MONTHS = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|"
    r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?|januar|februar|märz|mai|juni|juli|oktober|dezember|janvier|février|"
    r"mars|avril|juin|juillet|août|septembre|octobre|novembre|décembre|enero|febrero|marzo|abril|mayo|junio|julio|"
    r"agosto|septiembre|octubre|noviembre|diciembre|gennaio|febbraio|aprile|maggio|giugno|luglio|settembre|"
    r"ottobre|dicembre)"
)
_META_LINE = re.compile(
    r"""^(?:
      (?:by|von|par|por|di|door|de)\s+[\w.'’-]+(?:\s+[\w.'’-]+){0,4}(?:\s*(?:,|and|&|und|et|y|e)\s*[\w.'’ -]{2,40})*|
      (?:published|posted|updated|last\s+updated|modified|veröffentlicht|aktualisiert|publié|mis\s+à\s+jour|
        publicado|actualizado|pubblicato|aggiornato|atualizado|gepubliceerd)\b.{0,80}|
      (?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+.{0,60}\d.{0,30}|
      .{0,30}\b\d{1,2}(?:st|nd|rd|th)?\.?\s+"""
    + _MONTHS
    + r"""\.?,?\s+\d{4}\b.{0,30}|
      .{0,30}\b"""
    + _MONTHS
    + r"""\.?\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4}\b.{0,30}|
      \d{1,4}[./-]\d{1,2}[./-]\d{1,4}(?:\s*[|,-]?\s*\d{1,2}[:.]\d{2}.*)?|
      \d{1,2}[:.]\d{2}\s*(?:am|pm|uhr|h)?(?:\s+\w{2,5})?|
      (?:\d+|an?|one)\s+(?:second|minute|hour|day|week|month|year)s?\s+ago|
      (?:vor|il\s+y\s+a|hace|há)\s+\d+\s+\w+
    )$""",
    re.IGNORECASE | re.VERBOSE,
)

# Captions that look like file names or slugs: "xi 2", "IMG_2034", "flight-board.jpg".
_SLUG_LINE = re.compile(
    r"^(?:[a-z][\w-]*(?:\s+[a-z][\w-]*){0,2}\s+\d{1,3}|[\w-]+\.(?:jpe?g|png|gif|webp|svg|mp4)|img[_-]?\d+.*|"
    r"[a-z0-9]+(?:[_-][a-z0-9]+){2,})$"
)

_COOKIE_NOTICE = re.compile(
    r"\bcook(?:ie|ies)\b.*\b(?:site|sito|sitio|website|web|browser|experience|esperienza|experiencia|navigat\w*|"
    r"consent\w*|privacy|datenschutz|accept\w*|akzept\w*|utiliz\w*|verwend\w*|utilis\w*|usamos|gebruik\w*)\b|"
    r"\b(?:site|sito|sitio|website|web|we|wir|nous|usamos|utilizziamo|utilisons|gebruiken)\b.*\bcook(?:ie|ies)\b",
    re.IGNORECASE,
)
_ENUMERATOR = re.compile(r"^(?:\d{1,3}|[a-z])[.)]\s+")
# Paragraphs (lines) the cleaner reads at most: a long article has a few hundred, a whole
# page a few thousand; this bounds the time a huge or hostile input can take.
MAX_UNITS = 10_000

_BULLET = re.compile(r"^(?:[*+•·▪►▶›»>|–—-]+\s*)+")
_WORD = re.compile(r"\w+", re.UNICODE)
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")
_TERMINAL = re.compile(r"""[.!?…。！？؟][\s"'”’»)\]]*$""")
_URL = re.compile(r"https?://\S+")
_MD_LINK = re.compile(r"\[([^\]]{0,300})\]\(([^)\s]*)[^)]*\)")
_MD_IMAGE = re.compile(r"!\[[^\]]{0,300}\]\([^)]*\)")
_MD_EMPH = re.compile(r"(\*\*|__|\*|_)(?=\S)(.+?)(?<=\S)\1")
_MD_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|>])")
_MD_HEADING = re.compile(r"^(?:#{1,6}\s+|>\s?)+")
_NO_WORDS = re.compile(r"^[\W_]*$")


@dataclass
class CleanedText:
    """The outcome of cleaning: the title (if asked for), the body and the related stories."""

    title: str | None
    body: str
    related: list[Related] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    truncated: bool = False  # more than MAX_UNITS paragraphs (or 5x as many lines): the rest was not read


@dataclass
class _Unit:
    text: str
    url: str | None
    words: int
    count: int = 1  # how often this exact line occurs in the page
    bullet: bool = False  # was a list item ("* Home")
    heading: bool = False  # was a Markdown heading ("# Title")

    @cached_property
    def sentence_like(self) -> bool:
        return _is_sentence_like(self.text, self.words)

    # Each pattern runs once per line (the cleaner asks several times); long lines are
    # never furniture, so the big patterns only see short ones.
    @cached_property
    def chrome(self) -> bool:
        return len(self.text) <= 200 and bool(_CHROME_LINE.match(self.text))

    @cached_property
    def slug(self) -> bool:
        return len(self.text) <= 120 and bool(_SLUG_LINE.match(self.text))

    @cached_property
    def meta(self) -> bool:
        return _is_meta(self.text, self.words)

    @cached_property
    def cookie(self) -> bool:
        return self.words <= 80 and bool(_COOKIE_NOTICE.search(self.text))

    @cached_property
    def related_header(self) -> bool:
        return len(self.text) <= 80 and bool(_RELATED_HEADER.match(self.text))

    @cached_property
    def barrier(self) -> bool:
        return len(self.text) <= 200 and bool(_BARRIER.match(self.text))


def _word_count(text: str) -> int:
    if len(text) > 5000:  # a long paragraph is prose whatever its exact count; stay linear and cheap
        return max(len(text.split()), len(_CJK.findall(text[:5000])) * len(text) // 10_000)
    cjk = len(_CJK.findall(text))
    return len(_WORD.findall(text)) + cjk // 2


def _is_sentence_like(text: str, words: int) -> bool:
    if words >= 15:
        return True
    return words >= 6 and bool(_TERMINAL.search(text)) and not text.isupper()


def is_chrome_line(line: str) -> bool:
    """True for a line that is site furniture whatever the site: share, cookie, caption..."""
    text = _BULLET.sub("", line.strip())
    if not text:
        return True
    return bool(_CHROME_LINE.match(text) or _SLUG_LINE.match(text))


def _is_meta(text: str, words: int) -> bool:
    return words <= 14 and not _TERMINAL.search(text.rstrip(".")) and bool(_META_LINE.match(text))


# ------------------------------------------------------------------ units


def _split_units(text: str) -> list[_Unit]:
    """Paragraph units: non-empty lines with bullets stripped, hard-wrapped lines re-joined,
    and a blank-line-separated run of whole sentences (one sentence per line) kept together."""
    raw_lines = text.splitlines()[: MAX_UNITS * 5]
    width = _wrap_width([x.rstrip() for x in raw_lines])
    groups: list[list[str]] = [[]]
    for raw in raw_lines:
        line = " ".join(raw.split())
        if line and not _NO_WORDS.match(line):
            groups[-1].append(line)
        elif groups[-1] and not line:
            groups.append([])
    units: list[_Unit] = []
    for group in groups:
        if len(units) > MAX_UNITS:
            break
        if len(group) > 1 and all(_TERMINAL.search(x) and len(x.split()) >= 4 for x in group):
            units.append(_make_unit(" ".join(_BULLET.sub("", x) for x in group)))
            continue
        pending: list[str] = []
        for line in group:
            if pending and _wrapped(pending, line, width):
                pending.append(line)
                continue
            if pending:
                units.append(_make_unit(_join_wrapped(pending)))
            pending = [line]
        if pending:
            units.append(_make_unit(_join_wrapped(pending)))
    units = [u for u in units if u.text and not _NO_WORDS.match(u.text)]
    counts = Counter(u.text.casefold() for u in units)
    for u in units:
        u.count = counts[u.text.casefold()]
    return units


def _wrapped(pending: list[str], line: str, width: int | None) -> bool:
    """Was ``line`` carried over from the lines before it by hard wrapping?"""
    if _BULLET.match(line):
        return False
    prev, joined = pending[-1], " ".join(pending[-20:])
    if (joined.count("[") > joined.count("]") or joined.count("(") > joined.count(")")) and len(joined) < 2000:
        return True  # inside a Markdown link or a parenthesis
    if width is not None and (not _TERMINAL.search(prev) or line[:1].islower()):
        next_word = line.split(" ", 1)[0]
        if len(prev) + 1 + len(next_word) > width - 1:
            return True
    return _continues(prev, line)


def _join_wrapped(lines: list[str]) -> str:
    out = lines[0]
    for line in lines[1:]:
        # html2text breaks long URLs after a hyphen: "(https://x.com/a-" + "b-c/)".
        if out.endswith("-") and re.search(r"\(\S*$", out):
            out += line
        else:
            out += " " + line
    return out


def _continues(prev: str, line: str) -> bool:
    """Hard-wrapped prose: a long line without a full stop, followed by a lower-case start."""
    if len(prev) < 50 or _TERMINAL.search(prev):
        return False
    return line[:1].islower() or (len(prev) >= 60 and not line[:1].isupper() and not line[:1].isdigit())


def _make_unit(text: str) -> _Unit:
    """A unit from one paragraph; Markdown (as html2text writes it) is reduced to its text."""
    url = None
    bullet, heading = bool(_BULLET.match(text)), text.startswith("#")
    if "[" in text or "*" in text or "_" in text or "\\" in text or text.startswith(("#", ">")):
        text = _MD_IMAGE.sub("", text)
        links = list(_MD_LINK.finditer(text))
        text = _MD_LINK.sub(lambda m: m.group(1), text)
        text = _MD_HEADING.sub("", text)
        for _ in range(2):
            text = _MD_EMPH.sub(r"\2", text)
        text = " ".join(_MD_ESCAPE.sub(r"\1", text).split())
        if links:
            first = links[0]
            link_text = " ".join(_MD_EMPH.sub(r"\2", first.group(1)).split())
            if first.group(2).lower().startswith(("http://", "https://", "/")) and len(link_text) >= len(text) * 0.5:
                url = first.group(2)
    text = _BULLET.sub("", text).strip()
    return _Unit(text=text, url=url, words=_word_count(text), bullet=bullet, heading=heading)


def _wrap_width(lines: list[str]) -> int | None:
    """The column a hard-wrapped text was wrapped at (html2text: 78), or None if it was not."""
    lengths = Counter(len(x) for x in lines if len(x) >= 40)
    total = sum(lengths.values())
    if total < 8:
        return None

    def between(lo: int, hi: int) -> int:
        return sum(lengths.get(n, 0) for n in range(lo + 1, hi + 1))

    best, best_count = None, 0
    for width in range(60, 121):
        count = between(width - 12, width)
        if count > best_count:
            best, best_count = width, count
    above = between(best, best + 12) if best is not None else 0
    # Wrapped text piles its long lines just under one column, with almost none just above
    # it (only unbreakable URLs overflow, and by far); natural line lengths spread out.
    if best is None or best_count < max(8, 0.25 * total) or above > 0.1 * best_count:
        return None
    return best


# ------------------------------------------------------------------ scoring


def _score(u: _Unit) -> float:
    """Positive for prose, negative for the page's furniture."""
    if u.barrier:
        return -150.0  # reader comments and footers are never inside the article
    if u.chrome or u.related_header:
        return -12.0
    if u.cookie:
        return -20.0
    penalty = 0.0
    if u.count > 1:
        penalty -= 6.0
    if u.sentence_like:
        sample = _WORD.findall(u.text[:2000])
        ratio = sum(1 for w in sample if w[:1].islower()) / max(1, len(sample))
        bonus = float(min(u.words, 80))
        if ratio < 0.3 and not _CJK.search(u.text):
            bonus *= 0.3  # Title Case Lists Of Headlines are not prose
        return bonus + penalty
    if u.meta or u.slug:
        return -5.0 + penalty
    if u.words >= 3 and _TERMINAL.search(u.text) and u.text[:1].isupper():
        return 0.5 * u.words + penalty  # a short sentence ("He declined to comment.")
    return -3.0 - 0.15 * u.words + penalty


def _best_segment(scores: list[float]) -> tuple[int, int]:
    """Indices [start, end) of the maximum-sum contiguous run (Kadane)."""
    best, best_range = float("-inf"), (0, 0)
    cur, start = 0.0, 0
    for i, s in enumerate(scores):
        if cur <= 0:
            cur, start = s, i
        else:
            cur += s
        if cur > best:
            best, best_range = cur, (start, i + 1)
    return best_range if best > 0 else (0, 0)


# ------------------------------------------------------------------ related stories


def _headline_like(u: _Unit) -> bool:
    return (
        u.words >= 3
        and not u.chrome
        and not u.meta
        and not u.related_header
        and not u.words > 30
        and not u.text.rstrip("\"'”’»)").endswith(".")  # headlines do not end in a full stop
        and not u.cookie
    )


def _label_like(u: _Unit) -> bool:
    return u.words <= 6 and not _TERMINAL.search(u.text) and not u.related_header


def _parse_related(units: list[_Unit], limit: int = 12) -> tuple[list[Related], int]:
    """Find the repeating layout of a related-stories block; return items and units used.

    A block lists stories as groups of k lines (k = 1..4: headline; label + headline;
    section + caption + headline; ...). For each k and each group position, count the
    groups whose line at that position reads like a headline while the other lines read
    like labels; the best layout wins. Position values that repeat (or are one or two
    words everywhere) are the section labels.
    """
    positions = [i for i, u in enumerate(units) if not u.text.strip().isdigit()]  # bare counters skipped
    items = [units[i] for i in positions]
    best: tuple[int, int, int, int, int] | None = None  # (groups, -k, offset, k, t)
    for k in (1, 2, 3, 4):
        for offset in range(0, min(k, 2)):
            for t in range(k):
                groups = 0
                i = offset
                while i + k <= len(items) and groups < limit:
                    group = items[i : i + k]
                    head = group[t]
                    others = [g for j, g in enumerate(group) if j != t]
                    if not _headline_like(head) or not all(_label_like(o) for o in others):
                        break
                    if others and head.words <= max(o.words for o in others) and "?" not in head.text:
                        break
                    groups += 1
                    i += k
                if groups >= 2 or (groups == 1 and k == 1):
                    cand = (groups * k, -offset, -k, k, t)
                    if best is None or cand > best:
                        best = cand
    if best is None:
        return [], 0
    _, neg_offset, _, k, t = best
    offset = -neg_offset
    n_groups = best[0] // k
    chosen = [items[offset + g * k : offset + (g + 1) * k] for g in range(n_groups)]
    section_pos = _section_position(chosen, k, t)
    related = []
    for group in chosen:
        head = group[t]
        section = group[section_pos].text if section_pos is not None else None
        related.append(Related(title=head.text, url=head.url, section=section))
    used_items = offset + n_groups * k
    # by position: equal units (a section label that repeats) must not match an earlier copy
    used = positions[used_items - 1] + 1 if used_items else 0
    return related, used


def _section_position(groups: list[list[_Unit]], k: int, t: int) -> int | None:
    best, best_key = None, None
    for pos in range(k):
        if pos == t:
            continue
        values = [g[pos] for g in groups]
        if not all(v.words <= 3 and v.text[:1].isupper() for v in values):
            continue
        if any(v.meta for v in values):
            continue
        repeats = len(values) - len({v.text.casefold() for v in values})
        mean_words = sum(v.words for v in values) / len(values)
        if repeats == 0 and mean_words > 2:
            continue
        key = (repeats, -mean_words)
        if best_key is None or key > best_key:
            best, best_key = pos, key
    return best


# ------------------------------------------------------------------ the cleaner


def _is_title_candidate(u: _Unit) -> bool:
    return u.words >= 1 and not u.chrome and not u.meta and not u.related_header


def _title_index(units: list[_Unit]) -> int | None:
    """Where the title is: normally the first line; past a menu, the first heading or the
    first line that is neither a list item, nor chrome, nor one word of a menu."""
    candidates = [i for i, u in enumerate(units[:60]) if _is_title_candidate(u)]
    if not candidates:
        return None
    first_prose = next((i for i, u in enumerate(units) if u.sentence_like and u.words >= 15), len(units))
    for i in candidates:
        if units[i].heading and i < first_prose:
            return i
    for i in candidates:
        if units[i].bullet or i > first_prose:
            continue
        nxt = units[i + 1] if i + 1 < len(units) else None
        in_menu = nxt is not None and nxt.words <= 3 and not nxt.sentence_like
        if units[i].words >= 2 or not in_menu:
            return i
    return candidates[0]


def _drop_inside(u: _Unit, strict: bool) -> bool:
    """Chrome that sits inside the main text: captions, credits, bylines, share lines.

    ``strict`` (whole-page text) also drops repeated lines and short lines that do not read
    like subheadings; otherwise only lines that are chrome on any site go.
    """
    text = u.text
    if u.chrome or u.slug or u.meta or u.cookie:
        return True
    if u.sentence_like or not strict:
        return False
    if u.count > 1 or (u.words == 1 and not _TERMINAL.search(text)):
        return True  # repeated lines and one-word labels ("News", "Politics") are furniture
    # A short line between two paragraphs is a subheading if it reads like one (starts with
    # a capital or a quote, has a few words); captions tend to be lower-case or end in a digit.
    first = _ENUMERATOR.sub("", text)[:1]
    if _ENUMERATOR.match(text):
        return False  # a list item in the article
    if not (first.isupper() or first.isdigit() or first in "\"“‘'«¿¡(" or _CJK.match(text)):
        return True
    return bool(re.search(r"\s\d{1,3}$", text))


def clean_scraped_text(text: str, has_title: bool = True, whole_page: bool = True) -> CleanedText:
    """Split scraped text into title, clean body and the related stories it listed.

    ``has_title``: the first real line is the article's title (the ``.txt`` convention);
    False for whole-page text where the title is wherever the page put it.
    ``whole_page``: the text may hold a whole page (menus, footers), so look for the main
    text block; False for text already known to be the article (JSON fields, Markdown),
    where only lines that are chrome on any site are dropped.
    """
    units = _split_units(text)
    truncated = len(units) > MAX_UNITS or text.count("\n") >= MAX_UNITS * 5
    units = units[:MAX_UNITS]
    title = None
    if has_title:
        pick = _title_index(units)
        if pick is None:
            units = []
        else:
            title = units[pick].text
            units = units[pick + 1 :]
    if not units:
        return CleanedText(title=title, body="")

    if whole_page:
        start, end = _best_segment([_score(u) for u in units])
        if start == end:  # no prose block at all (a very short article): keep every line
            start, end = 0, len(units)
    else:
        start, end = 0, len(units)
    dropped = [u.text for u in units[:start]]

    related: list[Related] = []
    seen_related: set[str] = set()

    def add_related(items: list[Related]) -> None:
        for r in items:
            key = r.title.casefold()
            if key not in seen_related and (title is None or key != title.casefold()):
                seen_related.add(key)
                related.append(r)

    body: list[str] = []
    main = units[start:end]
    i = 0
    while i < len(main):
        u = main[i]
        m = _INLINE_RELATED.match(u.text)
        if m:
            add_related([Related(title=m.group("title").strip(), url=u.url)])
            dropped.append(u.text)
        elif u.related_header:
            found, used = _parse_related(main[i + 1 :])
            if found:
                add_related([replace(r, block=u.text) for r in found])
                dropped.extend(x.text for x in main[i : i + 1 + used])
                i += 1 + used
                continue
            dropped.append(u.text)
        elif _drop_inside(u, strict=whole_page):
            dropped.append(u.text)
        else:
            body.append(u.text)
        i += 1

    # Related-story blocks after the main text.
    tail = units[end:]
    for j, u in enumerate(tail):
        if u.related_header:
            found, _ = _parse_related(tail[j + 1 :])
            add_related([replace(r, block=u.text) for r in found])
        else:
            m = _INLINE_RELATED.match(u.text)
            if m:
                add_related([Related(title=m.group("title").strip(), url=u.url)])
    dropped.extend(u.text for u in tail)

    # Trailing subheading-like lines with nothing after them are not article text.
    while len(body) > 1 and not _TERMINAL.search(body[-1]) and not _is_sentence_like(body[-1], _word_count(body[-1])):
        dropped.append(body.pop())
    return CleanedText(title=title, body="\n\n".join(body), related=related, dropped=dropped, truncated=truncated)
