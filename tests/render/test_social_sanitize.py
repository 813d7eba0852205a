"""Social posts get the email's sanitizing: no markup, entities, bidi overrides or unsafe links."""

from __future__ import annotations

from digest.config import load_settings
from digest.models import Article, Related, Summary
from digest.render.social import social_posts


def test_source_markup_and_unsafe_links_never_reach_a_post(tmp_path) -> None:
    settings = load_settings(env={"DIGEST_DATA_DIR": str(tmp_path)})
    article = Article(
        title="AT&amp;T <b>deal</b> \u202eagreed",
        text="Body.",
        source="test",
        url="javascript:alert(1)//https://example.com/a",
        related=[
            Related("<img src=x onerror=alert(1)>Rival merger collapses", "javascript:alert(2)"),
            Related("Regulators open a review", "/business/review"),
        ],
    )
    summary = Summary(lede="AT&amp;T agreed a <em>big</em> deal on Monday.", key_points=["It <b>closes</b> soon."])
    posts = social_posts(article, summary, settings)
    assert posts
    for post in posts:
        assert "<" not in post.text and "&amp;" not in post.text and "\u202e" not in post.text
        assert "javascript:" not in post.text.lower()
        assert all(not link.lower().startswith("javascript:") for link in post.links)
        for facet in post.facets or []:
            for feature in facet.get("features", []):
                assert not str(feature.get("uri", "")).lower().startswith("javascript:")
        assert "AT&T agreed a big deal on Monday." in post.text or post.text.startswith("AT&T agreed")
