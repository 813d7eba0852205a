"""Images and sections as readers see them: real Chromium at 375 and 600 px, light and dark,
with images loading and with images blocked (as Outlook and Gmail do by default)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.render.test_email_browser import COLOURS_JS, contrast
from tests.support.digests import html_articles, make_digest, seed_article, settings
from tests.support.images import png

from digest.config import SectionSettings
from digest.models import Image
from digest.render.email import render_email

pytestmark = pytest.mark.browser
IMAGES = "https://img.digest.test/"


@pytest.fixture(scope="module")
def edition(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    s = settings()
    articles = [seed_article(s), *html_articles()[:6]]
    for n, article in enumerate(articles):
        if n == 3:
            continue  # one story without an image
        width, height = (1200, 675) if n % 2 else (800, 800)
        alt = None if n == 2 else f"Photo for story {n + 1}"  # one without alt text: the title stands in
        article.image = Image(f"{IMAGES}{n}.png", alt=alt, width=width, height=height)
    d = make_digest(articles, s)
    for i, story in enumerate(d.stories):
        story.section = "World" if i < 3 else "Culture and ideas"
    html, _ = render_email(d, s).personalize("https://example.com/unsubscribe?token=t", None)
    path = tmp_path_factory.mktemp("editorial") / "digest.html"
    path.write_text(html, encoding="utf-8")
    assert SectionSettings  # the headings above stand for two configured [[sections]]
    return path, ["World", "Culture and ideas"]


def _serve_images(page: Any, blocked: bool) -> None:
    def handle(route: Any) -> None:
        if blocked:
            route.abort()
        else:
            n = int(route.request.url.rsplit("/", 1)[1].split(".")[0])
            size = (1200, 675) if n % 2 else (800, 800)
            route.fulfill(status=200, content_type="image/png", body=png(*size))

    page.route(f"{IMAGES}**", handle)


@pytest.mark.parametrize("blocked", [False, True], ids=["images", "blocked"])
@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [375, 600])
def test_images_and_sections(browser, artifacts_dir, edition, width: int, scheme: str, blocked: bool) -> None:
    path, sections = edition
    page = browser.new_page(viewport={"width": width, "height": 900}, color_scheme=scheme)
    try:
        _serve_images(page, blocked)
        page.goto(path.as_uri())
        page.wait_for_load_state("load")
        assert page.evaluate("document.documentElement.scrollWidth <= innerWidth"), "horizontal overflow"
        imgs = page.evaluate(
            """() => Array.from(document.images).map((img) => {
                 const r = img.getBoundingClientRect();
                 return {alt: img.alt, loaded: img.complete && img.naturalWidth > 0, x: r.x, y: r.y,
                         w: r.width, h: r.height,
                         attrW: +img.getAttribute('width'), attrH: +img.getAttribute('height')};
               })"""
        )
        assert len(imgs) == 6
        for img in imgs:
            assert img["alt"].strip(), img
            assert img["x"] >= 0 and img["x"] + img["w"] <= width + 0.5, img
            assert img["loaded"] is (not blocked), img
            if not blocked:  # scaled down on a phone, never distorted
                assert img["w"] <= img["attrW"] + 0.5
                assert abs(img["h"] / img["w"] - img["attrH"] / img["attrW"]) < 0.02, img
        hero, thumb = imgs[0], imgs[1]
        if not blocked:
            assert hero["w"] > 0.8 * min(width - 48, 552), hero
            text_box = page.evaluate(
                "(i) => document.images[i].closest('table.dg-card, div.dg-card, .dg-card')"
                ".querySelectorAll('.dg-text')[0].getBoundingClientRect().toJSON()",
                1,
            )
            if width >= 480:  # a thumbnail beside its text on a wide screen
                assert text_box["x"] >= thumb["x"] + thumb["w"] - 1, (thumb, text_box)
            else:  # stacked on a phone: the image above the text
                assert text_box["y"] >= thumb["y"] + thumb["h"] - 1, (thumb, text_box)
        headings = page.evaluate("() => Array.from(document.querySelectorAll('h2.dg-section')).map((h) => h.innerText)")
        assert [h.casefold() for h in headings] == [s.casefold() for s in sections]
        for item in page.evaluate(COLOURS_JS, "h2.dg-section"):
            assert contrast(item["color"], item["background"]) >= 4.5, (scheme, item)
        shot = f"email-images-{width}px-{scheme}-{'blocked' if blocked else 'loaded'}.png"
        page.screenshot(path=str(artifacts_dir / shot), full_page=True)
    finally:
        page.close()
