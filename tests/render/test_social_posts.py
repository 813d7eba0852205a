"""Post building: hook trimming, links with UTM, hashtags, teasers, facets, templates, threads."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from digest.config import Settings, SocialSettings, load_settings, with_overrides
from digest.errors import ConfigError, InputError, TemplateError
from digest.models import Article, Related, Story, Summary, Teaser
from digest.render.hashtags import derive_hashtags, to_hashtag
from digest.render.platforms import PLATFORMS, get_platform
from digest.render.social import SocialWriter, linkable, social_posts, story_posts

URL = "https://news.example.com/world/2026/11/28/xi-blinken-talks?id=42"
LEDE = (
    "The key words used by both China's leader Xi Jinping and US Secretary of State Antony Blinken were "
    "progress and stabilising when referring to China-US relations at the press conference after their "
    "35-minute high-stakes meeting this Monday in Beijing, where both sides spoke of managing differences."
)


def article(**kw: object) -> Article:
    base = Article(title="Xi Jinping receives Antony Blinken in Beijing", text=LEDE, source="t.txt", url=URL)
    return replace(base, **kw)


def summary(lede: str = LEDE, points: list[str] | None = None) -> Summary:
    return Summary(lede=lede, key_points=points or ["Antony Blinken met Xi Jinping in Beijing for talks on Monday."])


def test_every_platform_post_fits_and_keeps_the_full_utm_link() -> None:
    for post in social_posts(article(), summary()):
        plat = get_platform(post.platform)
        assert plat.check(post.text).valid, post.text
        assert post.length == plat.length(post.text) <= post.limit
        full = post.links[0]
        assert full.startswith(URL + "&utm_source=" + post.platform + "&utm_medium=social")
        if post.platform == "bluesky":
            assert any(f["features"][0].get("uri") == full for f in post.facets or [])
        else:
            assert full in post.text


def test_hook_is_trimmed_at_a_word_boundary_with_an_ellipsis() -> None:
    post = SocialWriter().post(article(), summary(LEDE * 2), "x")
    hook = post.text.split("\n\n")[0]
    assert hook.endswith("…")
    kept = hook[:-1]
    assert (LEDE * 2).startswith(kept)
    assert (LEDE * 2)[len(kept)] in " ,"  # the next character starts a new word: nothing was cut mid-word
    assert len(kept) > 100


def test_title_alone_over_the_limit_still_yields_a_valid_post() -> None:
    title = " ".join(["Extraordinarily"] * 120)
    for post in social_posts(article(title=title, text=title), Summary(lede="")):
        assert get_platform(post.platform).check(post.text).valid
        assert post.text.startswith("Extraordinarily")
        assert post.links and post.links[0].startswith(URL)


def test_empty_article_is_an_input_error() -> None:
    with pytest.raises(InputError, match="empty article"):
        SocialWriter().post(article(title=" ", text=""), Summary(lede=""), "x")
    # Control characters show nothing either (a thread post would be its number alone).
    with pytest.raises(InputError, match="empty article"):
        SocialWriter().post(article(title="\x1b", text=" \u200b"), Summary(lede="\x1b"), "threads", thread=True)


def test_threads_link_too_long_for_the_text_goes_to_link_attachment_uncut() -> None:
    long_url = "https://example.com/" + "a" * 1900
    post = SocialWriter().post(article(url=long_url), summary(), "threads")
    assert get_platform("threads").check(post.text).valid
    assert post.link_attachment is not None and post.link_attachment.startswith(long_url)
    assert long_url[:100] not in post.text  # not a cut-off copy either
    assert post.warnings


def test_related_teaser_only_when_room_allows() -> None:
    teasers = [Teaser("Bolivia's failed coup: what we know so far", "https://news.example.com/bolivia")]
    short = SocialWriter().post(article(), summary("Xi met Blinken."), "x", teasers=teasers)
    assert "Related: Bolivia's failed coup: what we know so far https://news.example.com/bolivia?utm_source=x" in (
        short.text
    )
    long = SocialWriter().post(article(), summary(LEDE * 3), "x", teasers=teasers)
    assert len(long.text.split("\n\n")[0]) >= 100  # a teaser never squeezes the hook below 100 characters
    small = SocialWriter(with_overrides(Settings(), "social", mastodon_limit=200))
    tight = small.post(
        article(), summary(LEDE * 3), "mastodon", teasers=[Teaser("word " * 16, "https://e.example.com/t")]
    )
    assert "Related:" not in tight.text and get_platform("mastodon", 200).check(tight.text).valid
    linkedin = SocialWriter().post(
        article(related=[Related("Meet Rachel Reeves", "https://e.example.com/r")]), summary(), "linkedin"
    )
    assert "Meet Rachel Reeves https://e.example.com/r?utm_source=linkedin&utm_medium=social" in linkedin.text


def test_bluesky_facets_point_at_the_right_utf8_bytes() -> None:
    lede = "東京で会談 😷👨‍👩‍👧‍👦 Xi Jinping and Antony Blinken met in Beijing. " * 2
    post = SocialWriter().post(article(), summary(lede), "bluesky")
    data = post.text.encode("utf-8")
    kinds = set()
    for facet in post.facets or []:
        piece = data[facet["index"]["byteStart"] : facet["index"]["byteEnd"]].decode("utf-8")
        feature = facet["features"][0]
        kinds.add(feature["$type"])
        if feature["$type"].endswith("#link"):
            assert feature["uri"] == post.links[0] and piece.endswith("…") and "news.example.com" in piece
        else:
            assert piece == "#" + feature["tag"]
    assert kinds == {"app.bsky.richtext.facet#link", "app.bsky.richtext.facet#tag"}


def test_hashtags_from_key_names_with_fixed_list_first() -> None:
    tags = derive_hashtags("Talks on North Korea in Seoul", "Officials discussed North Korea in Seoul.", limit=2)
    assert tags == ["#NorthKorea", "#Seoul"]
    assert derive_hashtags("North Korea talks", "", fixed=["breaking news", "#Daily"], limit=3) == [
        "#BreakingNews",
        "#Daily",
        "#NorthKorea",
    ]
    assert to_hashtag("2026") is None and to_hashtag("G7") == "#G7"
    assert derive_hashtags("the talks went on", "nothing else here.", limit=2) == []  # no names, no repeats
    assert derive_hashtags("police said the police chief", "a chief wrote", limit=2) == ["#Police", "#Chief"]
    settings = with_overrides(Settings(), "social", max_hashtags=0)
    assert all(p.hashtags == [] and "#" not in p.text for p in social_posts(article(), summary(), settings))


def test_thread_parts_are_numbered_and_each_fits() -> None:
    points = ["Point one " + "word " * 150, "Point two is short.", "Point three is short too."]
    teasers = [Teaser("Meet Rachel Reeves, Britain's first female Chancellor", "https://news.example.com/reeves")]
    for name in PLATFORMS:
        post = SocialWriter().post(article(), summary(LEDE, points), name, teasers=teasers, thread=True)
        parts = post.thread or []
        assert len(parts) >= 4
        for i, part in enumerate(parts, start=1):
            assert part.startswith(f"{i}/{len(parts)} ")
            assert get_platform(name).check(part).valid, part
        assert parts[-1].startswith(f"{len(parts)}/{len(parts)} Related: Meet Rachel Reeves")
        assert any("Point two is short." in p for p in parts)


def test_user_template_override_and_too_long_template_fallback(tmp_path: Path) -> None:
    social_dir = tmp_path / "social"
    social_dir.mkdir()
    (social_dir / "x.txt.j2").write_text("NEW: {{ hook }} {{ link }}\n", encoding="utf-8")
    (social_dir / "mastodon.txt.j2").write_text("{{ hook }} {{ link }}\n" + "padding " * 80 + "\n", encoding="utf-8")
    settings = replace(Settings(), email=replace(Settings().email, templates_dir=str(tmp_path)))
    writer = SocialWriter(settings)
    x = writer.post(article(), summary(), "x")
    assert x.text.startswith("NEW: ") and get_platform("x").check(x.text).valid
    masto = writer.post(article(), summary(), "mastodon")
    assert get_platform("mastodon").check(masto.text).valid
    assert masto.links[0] in masto.text and "padding" not in masto.text and masto.warnings
    (social_dir / "linkedin.txt.j2").write_text("{{ hook }\n", encoding="utf-8")
    with pytest.raises(TemplateError, match=r"linkedin\.txt\.j2:1"):
        writer.post(article(), summary(), "linkedin")


def test_default_platform_list_comes_from_settings() -> None:
    settings = replace(Settings(), social=SocialSettings(platforms=("mastodon", "x")))
    assert [p.platform for p in social_posts(article(), summary(), settings)] == ["mastodon", "x"]


def test_links_are_written_so_the_linkifier_takes_all_of_them() -> None:
    assert linkable("https://e.example.com/a.") == "https://e.example.com/a%2E"
    assert linkable("https://e.example.com/写真?id=1") == "https://e.example.com/%E5%86%99%E7%9C%9F?id=1"
    assert linkable(URL) == URL
    post = SocialWriter().post(article(url="https://e.example.com/world/写真"), summary(), "x")
    assert post.links == ["https://e.example.com/world/%E5%86%99%E7%9C%9F?utm_source=x&utm_medium=social"]
    assert post.links[0] in post.text


def test_story_posts_use_the_story_teasers() -> None:
    story = Story(article(), summary("Xi met Blinken."), [Teaser("Bolivia's failed coup", "https://e.example.com/b")])
    posts = story_posts(story, platforms=["mastodon", "linkedin"])
    for post in posts:
        assert (
            f"Bolivia's failed coup https://e.example.com/b?utm_source={post.platform}&utm_medium=social" in post.text
        )
        assert len(post.links) == 2


def test_unknown_platform_in_the_config_is_a_precise_config_error(tmp_path: Path) -> None:
    config = tmp_path / "digest.toml"
    config.write_text('[social]\nplatforms = ["x", "myspace"]\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r'\[social\] platforms: expected platforms among x, bluesky.*"myspace"'):
        load_settings(config)
    assert load_settings(env={"DIGEST_SOCIAL__PLATFORMS": "X, threads"}).social.platforms == ("x", "threads")
