"""What lives as long as the preview server: settings loading, recent builds, test sends."""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, Generic, TypeVar

from digest.config import Settings, SourceSettings
from digest.errors import ConfigError
from digest.ingest import Spec
from digest.preview.build import PostsMemo, PreviewBuild, build_preview

T = TypeVar("T")


class Recent(Generic[T]):
    """The last few items by id: a page's own build for its frames, a test send's outcome."""

    def __init__(self, size: int = 4) -> None:
        self._items: OrderedDict[str, T] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def put(self, item: T, key: str | None = None) -> str:
        key = key or secrets.token_hex(8)
        with self._lock:
            self._items[key] = item
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return key

    def get(self, key: str | None) -> T | None:
        with self._lock:
            return self._items.get(key or "")


class PreviewApp:
    """What lives as long as the server: how to load settings, the sources, the CSRF token."""

    def __init__(
        self,
        load_settings: Callable[[], Settings],
        sources: Sequence[Spec] | None = None,
        *,
        loopback: bool = True,
        debug: bool = False,
    ) -> None:
        self.load_settings = load_settings
        self.sources = list(sources or [])
        self.loopback = loopback
        self.debug = debug
        self.token = secrets.token_urlsafe(32)
        self.builds: Recent[PreviewBuild] = Recent(4)
        self.notices: Recent[dict[str, Any]] = Recent(20)
        self.posts = PostsMemo()

    def build(self) -> PreviewBuild:
        build = build_preview(self.load_settings(), self.sources, memo=self.posts)
        self.builds.put(build, build.id)
        return build

    def build_for(self, build_id: str | None) -> PreviewBuild:
        return self.builds.get(build_id) or self.build()

    def allowed_test_recipients(self, settings: Settings) -> tuple[str, ...] | None:
        """None: anyone (loopback). On a network bind only the configured editors."""
        return None if self.loopback else tuple(settings.delivery.editors)

    def send_settings(self) -> Settings:
        """The settings a test send uses: the config's, with the sources this preview shows."""
        settings = self.load_settings()
        if not self.sources:
            return settings
        urls = [str(s) for s in self.sources if isinstance(s, str) and "://" in s]
        if urls:
            raise ConfigError(
                f"this preview was started with {urls[0]} on the command line; `digest send` reads the config's "
                "[[sources]]: put the feed or page there to send a test of it"
            )
        paths = tuple(
            s if isinstance(s, SourceSettings) else SourceSettings(type="path", path=str(Path.cwd() / s))
            for s in self.sources
        )
        return replace(settings, sources=paths)

    def send_test(self, to: list[str]) -> dict[str, Any]:
        """A [TEST] copy to ``to``: the same code as `digest send --to`."""
        from digest.deliver.registry import backend_from_url
        from digest.mailing.send import send_digest

        settings = self.send_settings()
        allowed = self.allowed_test_recipients(settings)
        if allowed is not None:
            outside = [a for a in to if a.lower() not in {e.lower() for e in allowed}]
            if outside:
                raise ConfigError(
                    f"{', '.join(outside)}: not in [delivery] editors (a preview served on the network "
                    "only sends tests to the configured editors)"
                )
        backend = backend_from_url(settings.delivery.backend, settings)
        report = send_digest(settings, to=to, backend=backend)
        return {"to": to, "report": report}


def report_line(report: Any) -> str:
    """One line from `digest send`'s report: counts, where the messages went."""
    line = f"{report.sent} sent, {report.failed} failed via {report.backend}"
    if report.location:
        line += f"; written to {report.location}"
    failures = "; ".join(f"{f.get('email')}: {f.get('reason')}" for f in report.failures[:3])
    return line + (f" ({failures})" if failures else "")
