"""The furniture of scraped pages, as patterns: whole-line chrome in several languages,
related-block headings, bylines, slugs and cookie notices, and the word counts the cleaner
judges lines by. Kept apart from the cleaner so readers of other formats can use them."""

from __future__ import annotations

import re

# ------------------------------------------------------------------ phrase lists
# Whole-line chrome, matched case-insensitively against a line with bullets stripped.
CHROME_LINE = re.compile(
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
RELATED_HEADER = re.compile(
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
BARRIER = re.compile(
    r"""^(?:(?:\d+\s+)?(?:comments?|kommentare?|commentaires?|comentarios?|commenti|comentários|reacties)
      (?:\s*\(\d+\))?|leave\s+a\s+(?:comment|reply)|post\s+a\s+comment|add\s+(?:a\s+)?comment|
      join\s+the\s+(?:conversation|discussion)|(?:show|view|read)\s+(?:all\s+)?comments|
      (?:©|\(c\)|copyright\b).*|.*all\s+rights\s+reserved.*|schreiben\s+sie\s+einen\s+kommentar|
      laisser\s+un\s+commentaire|deja\s+(?:un|tu)\s+comentario|lascia\s+un\s+commento|deixe\s+um\s+comentário
    )[\s.:!»›>|–—-]*$""",
    re.IGNORECASE | re.VERBOSE,
)

# "Read more: <headline>" style inline links to other stories.
INLINE_RELATED = re.compile(
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
SLUG_LINE = re.compile(
    r"^(?:[a-z][\w-]*(?:\s+[a-z][\w-]*){0,2}\s+\d{1,3}|[\w-]+\.(?:jpe?g|png|gif|webp|svg|mp4)|img[_-]?\d+.*|"
    r"[a-z0-9]+(?:[_-][a-z0-9]+){2,})$"
)

COOKIE_NOTICE = re.compile(
    r"\bcook(?:ie|ies)\b.*\b(?:site|sito|sitio|website|web|browser|experience|esperienza|experiencia|navigat\w*|"
    r"consent\w*|privacy|datenschutz|accept\w*|akzept\w*|utiliz\w*|verwend\w*|utilis\w*|usamos|gebruik\w*)\b|"
    r"\b(?:site|sito|sitio|website|web|we|wir|nous|usamos|utilizziamo|utilisons|gebruiken)\b.*\bcook(?:ie|ies)\b",
    re.IGNORECASE,
)
ENUMERATOR = re.compile(r"^(?:\d{1,3}|[a-z])[.)]\s+")

# A list mark: a bullet glyph, or a dash/star/arrow followed by a space ("-5 degrees" and
# "»quoted« words" keep their first character).
BULLET = re.compile(r"^(?:(?:[•·▪►▶]+|[*+›»>|–—-]+(?=\s))\s*)+")
WORD = re.compile(r"\w+", re.UNICODE)
CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")
TERMINAL = re.compile(r"""[.!?…。！？؟][\s"'”’»)\]]*$""")
_URL = re.compile(r"https?://\S+")
MD_LINK = re.compile(r"\[([^\]]{0,300})\]\(([^)\s]*)[^)]*\)")
MD_IMAGE = re.compile(r"!\[[^\]]{0,300}\]\([^)]*\)")
MD_HEADING = re.compile(r"^(?:#{1,6}\s+|>\s?)+")
NO_WORDS = re.compile(r"^[\W_]*$")


def word_count(text: str) -> int:
    if len(text) > 5000:  # a long paragraph is prose whatever its exact count; stay linear and cheap
        return max(len(text.split()), len(CJK.findall(text[:5000])) * len(text) // 10_000)
    cjk = len(CJK.findall(text))
    return len(WORD.findall(text)) + cjk // 2


def is_sentence_like(text: str, words: int) -> bool:
    if words >= 15:
        return True
    return words >= 6 and bool(TERMINAL.search(text)) and not text.isupper()


def is_chrome_line(line: str) -> bool:
    """True for a line that is site furniture whatever the site: share, cookie, caption..."""
    text = BULLET.sub("", line.strip())
    if not text:
        return True
    return bool(CHROME_LINE.match(text) or SLUG_LINE.match(text))


def is_meta(text: str, words: int) -> bool:
    return words <= 14 and not TERMINAL.search(text.rstrip(".")) and bool(_META_LINE.match(text))
