"""Canonical URLs and UTM tagging: odd input never raises."""

from __future__ import annotations

from digest.links import add_utm, canonical_url


def test_canonical_url_strips_tracking_and_fragment() -> None:
    url = "HTTPS://News.Example.com:443/a?id=3&utm_source=x&fbclid=1#top"
    assert canonical_url(url) == "https://news.example.com/a?id=3"


def test_unparseable_urls_are_their_own_key() -> None:
    for bad in ("http://h:99999/a", "http://[::1/a", "https://example.com:port/x"):
        assert canonical_url(bad) == bad


def test_add_utm_keeps_existing_values() -> None:
    assert add_utm("https://e.com/a?utm_source=mine", source="digest", medium="email") == (
        "https://e.com/a?utm_source=mine&utm_medium=email"
    )


def test_add_utm_leaves_unparseable_urls_alone() -> None:
    assert add_utm("http://[::1/a", source="digest") == "http://[::1/a"
