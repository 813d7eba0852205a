"""Real articles for email tests: the seed, the benchmark HTML pages, CNN/DailyMail texts.

HTML pages go through trafilatura directly (the extraction the real ingest uses), so these
tests do not depend on the state of the ingest stage.
"""

from __future__ import annotations

import functools
import json
from datetime import date
from pathlib import Path

from digest.compose.teasers import attach_teasers
from digest.config import Settings, load_settings
from digest.ingest import read_file
from digest.models import Article, Digest, Related, Story
from digest.summarize import summarize

DATA = Path(__file__).resolve().parent.parent / "data"
SEED = DATA / "qonversations-xi-blinken.txt"
HTML_DIR = DATA / "html-articles"
DAY = date(2026, 11, 28)

SEED_RELATED = [
    Related("Could this be the largest IT outages in history?", None, "News"),
    Related("Live Earth: Can music unite the world for environmental change?", None, "Global Affairs"),
    Related("Meet Rachel Reeves, Britain’s first female Chancellor", None, "News"),
    Related("Bolivia’s failed coup: What we know so far", None, "News"),
]


def settings(**email: object) -> Settings:
    s = load_settings()
    if email:
        from digest.config import with_overrides

        s = with_overrides(s, "email", **email)
    return s


def seed_article(s: Settings) -> Article:
    article = read_file(SEED, s)
    article.url = article.url or "https://qonversations.net/xi-jinping-receives-us-secretary-of-state-antony-blinken/"
    article.site = article.site or "Qonversations"
    if not article.related:  # what the seed's "More from Qonversations" block lists
        article.related = list(SEED_RELATED)
    return article


@functools.cache
def _html_extractions() -> tuple[tuple[str, str, str, str | None], ...]:
    import trafilatura

    truth = json.loads((HTML_DIR / "ground-truth.json").read_text(encoding="utf-8"))
    out = []
    for key, meta in sorted(truth.items()):
        raw = (HTML_DIR / f"{key}.html").read_bytes().decode("utf-8", "replace")
        doc = trafilatura.bare_extraction(raw, url=meta["url"], with_metadata=True)
        doc = doc.as_dict() if hasattr(doc, "as_dict") else doc
        out.append((doc.get("title") or key, doc.get("text") or "", meta["url"], doc.get("sitename")))
    return tuple(out)


def html_articles() -> list[Article]:
    return [
        Article(title=title, text=text, source=f"html-articles/{url}", url=url, site=site)
        for title, text, url, site in _html_extractions()
    ]


def cnndm_articles() -> list[Article]:
    out = []
    for line in (DATA / "cnndm-dev.jsonl").read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        text = item["text"]
        title = text.split(". ")[0][:90].removeprefix("(cnn)").strip().capitalize()
        url = f"https://edition.example.com/2026/11/28/world/{item['id']}/index.html?section=world"
        out.append(Article(title=title, text=text, source=item["id"], url=url, site="CNN"))
    return out


def make_digest(articles: list[Article], s: Settings, teasers: bool = True) -> Digest:
    stories = [Story(article=a, summary=summarize(a, s.summary)) for a in articles]
    if teasers:
        attach_teasers(stories, s)
    return Digest(title=s.digest.title, date=DAY, stories=stories, intro=s.digest.intro, edition=DAY.isoformat())


def real_digest(s: Settings) -> Digest:
    """The seed plus the twelve benchmark pages: the digest the browser tests look at."""
    return make_digest([seed_article(s), *html_articles()], s)
