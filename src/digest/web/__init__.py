"""`digest serve`: the reader-facing web service (subscribe, confirm, unsubscribe, preferences,
the archive and its feeds).

``digest.web:app`` is the app configured from the usual settings (``DIGEST_CONFIG``,
``config/digest.toml``, ``.env``, ``DIGEST_*``), for any ASGI server; it is built on first use.
"""

from __future__ import annotations

from typing import Any

__all__ = ["app", "create_app"]


def create_app(settings: Any, *, debug: bool = False) -> Any:
    from digest.web.app import create_app as build

    return build(settings, debug=debug)


def __getattr__(name: str) -> Any:
    if name == "app":
        from digest.config import load_settings

        built = create_app(load_settings())
        globals()["app"] = built
        return built
    raise AttributeError(f"module 'digest.web' has no attribute {name!r}")
