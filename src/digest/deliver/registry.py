"""Pick a backend class from a URL's scheme, through the ``digest.backends`` entry points.

Other packages add backends by declaring, in their own pyproject.toml::

    [project.entry-points."digest.backends"]
    sendgrid = "digest_sendgrid:SendGridBackend"

after which ``DIGEST_BACKEND=sendgrid://...`` selects it. The built-in schemes also resolve
from a source checkout that was never installed (no metadata yet).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from digest.config import Settings
from digest.deliver.base import BaseBackend, redact_url
from digest.errors import ConfigError
from digest.plugins import Plugins

GROUP = "digest.backends"
BUILTIN = {
    "smtp": "digest.deliver.smtp:SMTPBackend",
    "smtps": "digest.deliver.smtp:SMTPBackend",
    "outbox": "digest.deliver.outbox:OutboxBackend",
    "console": "digest.deliver.console:ConsoleBackend",
    "memory": "digest.deliver.memory:MemoryBackend",
}


BACKENDS: Plugins[BaseBackend] = Plugins(GROUP, BUILTIN)


def known_schemes() -> dict[str, str]:
    """scheme -> "module:Class" for every backend available, plugins included."""
    return BACKENDS.known()


def backend_class(scheme: str) -> type[BaseBackend]:
    return BACKENDS.load(scheme)


def backend_from_url(url: str, settings: Settings) -> BaseBackend:
    """A ready (not yet opened) backend for ``url``; ConfigError naming the known schemes."""
    shown = redact_url(url)
    scheme = urlsplit(url).scheme.lower() if "://" in url else ""
    if not scheme:
        raise ConfigError(
            f"delivery backend {shown!r}: expected a URL like outbox://outbox or smtp://host:587 "
            f"(known schemes: {', '.join(sorted(known_schemes()))})"
        )
    try:
        cls = backend_class(scheme)
    except KeyError:
        raise ConfigError(
            f"delivery backend {shown!r}: unknown scheme {scheme!r} "
            f"(known schemes: {', '.join(sorted(known_schemes()))}; plugins add more through the "
            f'"{GROUP}" entry-point group)'
        ) from None
    except Exception as exc:  # noqa: BLE001 - a broken plugin must not look like our bug
        raise ConfigError(f"delivery backend {scheme!r}: cannot load its plugin: {exc}") from None
    return cls(url, settings)
