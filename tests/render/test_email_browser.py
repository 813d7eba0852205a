"""The email as a reader sees it: real headless Chromium at phone and desktop widths, light and dark."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.support.digests import real_digest, settings

from digest.render.email import render_email
from digest.sanitize import plain_text

pytestmark = pytest.mark.browser

# For each element: its computed text colour and the first opaque background behind it.
COLOURS_JS = """
(selector) => Array.from(document.querySelectorAll(selector)).map((el) => {
  let bg = null;
  for (let node = el; node; node = node.parentElement) {
    const c = getComputedStyle(node).backgroundColor;
    if (c && c !== 'transparent' && !c.endsWith(', 0)')) { bg = c; break; }
  }
  return {text: el.innerText.slice(0, 40), color: getComputedStyle(el).color,
          background: bg || getComputedStyle(document.documentElement).backgroundColor};
})
"""


def _rgb(css: str) -> tuple[float, float, float]:
    inside = css[css.index("(") + 1 : css.index(")")]
    r, g, b = (float(v) for v in inside.replace("/", " ").replace(",", " ").split()[:3])
    return r, g, b


def luminance(css: str) -> float:
    def channel(v: float) -> float:
        v /= 255
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

    r, g, b = _rgb(css)
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


@pytest.fixture(scope="module")
def email_file(tmp_path_factory) -> tuple[Path, list[str]]:
    s = settings(archive_url="https://news.example.com/digest/{date}.html")
    digest = real_digest(s)
    email = render_email(digest, s)
    html, _ = email.personalize("https://example.com/unsubscribe?token=preview", None)
    path = tmp_path_factory.mktemp("email") / "digest.html"
    path.write_text(html, encoding="utf-8")
    return path, [plain_text(st.article.title) for st in digest.stories]


@pytest.mark.parametrize("width", [375, 600])
def test_no_overflow_and_every_title_visible(browser, artifacts_dir, email_file, width: int) -> None:
    path, titles = email_file
    page = browser.new_page(viewport={"width": width, "height": 800})
    try:
        page.goto(path.as_uri())
        assert page.evaluate("document.documentElement.scrollWidth <= innerWidth"), "horizontal overflow"
        for title in titles:
            link = page.get_by_role("link", name=title, exact=True).first
            assert link.is_visible(), title
            box = link.bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= width + 0.5, (title, box)
            assert box["width"] > 0 and box["height"] > 0
        page.screenshot(path=str(artifacts_dir / f"email-{width}px.png"), full_page=True)
    finally:
        page.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_text_stays_readable_in_light_and_dark_mode(browser, artifacts_dir, email_file, scheme: str) -> None:
    path, _ = email_file
    page = browser.new_page(viewport={"width": 600, "height": 800}, color_scheme=scheme)
    try:
        page.goto(path.as_uri())
        checks = {
            "digest title": "h1",
            "story titles": "a.dg-title",
            "body text": ".dg-text p, .dg-text li",
            "links": "a.dg-link",
        }
        for what, selector in checks.items():
            items = page.evaluate(COLOURS_JS, selector)
            assert items, what
            for item in items:
                ratio = contrast(item["color"], item["background"])
                assert ratio >= 4.5, (scheme, what, item, round(ratio, 2))
        card = page.evaluate(COLOURS_JS, "h2")[0]["background"]
        if scheme == "dark":  # the dark styles really applied: a dark card, light text
            assert luminance(card) < 0.05
        else:
            assert luminance(card) > 0.9
        page.screenshot(path=str(artifacts_dir / f"email-600px-{scheme}.png"), full_page=False)
    finally:
        page.close()
