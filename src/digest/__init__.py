"""digest: news articles in, a daily newsletter and exact social copy out.

The names in ``__all__`` are the stable Python API; everything else may move between
releases. The pipeline's functions load on first use, so ``import digest`` stays cheap for
commands that need only a part of it::

    import digest

    settings = digest.load_settings()
    built = digest.build_digest(settings, ["examples/articles"])
    email = digest.render_email(built.digest, settings)
    report = digest.send_digest(settings, only_new=True, skip_if_empty=True)
"""

import importlib as _importlib
from typing import TYPE_CHECKING as _TYPE_CHECKING
from typing import Any as _Any

from digest.errors import (
    ConfigError,
    DatabaseError,
    DeliveryError,
    DigestError,
    FetchError,
    InputError,
    TemplateError,
)
from digest.models import Article, Digest, Recipient, Related, SocialPost, Story, Summary, Teaser
from digest.version import __version__

# name -> the module that defines it (imported when the name is first used)
_LAZY = {
    "Settings": "digest.config",
    "load_settings": "digest.config",
    "BuildResult": "digest.compose.build",
    "build_digest": "digest.compose.build",
    "summarize": "digest.summarize",
    "summarize_text": "digest.summarize",
    "RenderedEmail": "digest.render.email",
    "render_email": "digest.render.email",
    "SendReport": "digest.mailing.send",
    "send_digest": "digest.mailing.send",
}

if _TYPE_CHECKING:
    from digest.compose.build import BuildResult, build_digest
    from digest.config import Settings, load_settings
    from digest.mailing.send import SendReport, send_digest
    from digest.render.email import RenderedEmail, render_email
    from digest.summarize import summarize, summarize_text

__all__ = [
    "Article",
    "BuildResult",
    "ConfigError",
    "DatabaseError",
    "DeliveryError",
    "Digest",
    "DigestError",
    "FetchError",
    "InputError",
    "Recipient",
    "Related",
    "RenderedEmail",
    "SendReport",
    "Settings",
    "SocialPost",
    "Story",
    "Summary",
    "Teaser",
    "TemplateError",
    "__version__",
    "build_digest",
    "load_settings",
    "render_email",
    "send_digest",
    "summarize",
    "summarize_text",
]


def __getattr__(name: str) -> _Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'digest' has no attribute {name!r}")
    value = getattr(_importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
