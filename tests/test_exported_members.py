"""The public Python API is what ``digest.__all__`` says, and nothing else leaks out."""

from __future__ import annotations

import types

import digest

STABLE = {
    # the pipeline
    "load_settings",
    "Settings",
    "build_digest",
    "BuildResult",
    "summarize",
    "summarize_text",
    "render_email",
    "RenderedEmail",
    "send_digest",
    "SendReport",
    # the models
    "Article",
    "Digest",
    "Recipient",
    "Related",
    "SocialPost",
    "Story",
    "Summary",
    "Teaser",
    # the errors
    "DigestError",
    "ConfigError",
    "DatabaseError",
    "DeliveryError",
    "FetchError",
    "InputError",
    "TemplateError",
    "__version__",
}


def test_all_lists_exactly_the_stable_names() -> None:
    assert set(digest.__all__) == STABLE
    assert digest.__all__ == sorted(digest.__all__)


def test_every_exported_name_resolves() -> None:
    for name in digest.__all__:
        assert getattr(digest, name) is not None, name


def test_nothing_public_is_left_out_of_all() -> None:
    for name in digest.__all__:
        getattr(digest, name)  # load the lazy ones
    public = {
        name
        for name, value in vars(digest).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert public <= set(digest.__all__), public - set(digest.__all__)


def test_an_unknown_name_is_an_attribute_error() -> None:
    try:
        digest.no_such_thing  # type: ignore[attr-defined]  # noqa: B018
    except AttributeError as exc:
        assert "no_such_thing" in str(exc)
    else:
        raise AssertionError("expected AttributeError")
