"""The editor preview app: the whole digest on one local page (`digest preview --serve`).

Public API: ``serve_preview(settings, sources, host, port)`` serves until interrupted;
``make_server(...)`` returns a bound server (for tests and embedding); ``build_preview`` and
``render_page`` build the page without a server.
"""

from __future__ import annotations

from digest.preview_app.build import PreviewBuild, build_preview
from digest.preview_app.page import render_page
from digest.preview_app.server import DEFAULT_HOST, DEFAULT_PORT, is_loopback, make_server, serve_preview

__all__ = [
    "DEFAULT_HOST",
    "DEFAULT_PORT",
    "PreviewBuild",
    "build_preview",
    "is_loopback",
    "make_server",
    "render_page",
    "serve_preview",
]
