"""`digest archive export DIR`: the archive and its feeds as static files for any web host.

The same pages and feeds `digest serve` answers with, laid out so that a plain file server
gives the same addresses: ``archive/index.html``, ``archive/<edition>/index.html``,
``feed.xml``, ``feed.json`` and ``static/site.css``. Links inside are relative; the feeds need
absolute ones, from ``[web] base_url``.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from digest.config import Settings
from digest.errors import ConfigError, InputError
from digest.mailing.published import public_edition, public_editions
from digest.storage.engine import open_engine
from digest.web import feeds
from digest.web.pages import Pages


@dataclass
class ExportReport:
    directory: str
    editions: list[str] = field(default_factory=list)
    files: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"directory": self.directory, "editions": self.editions, "files": self.files}


def _write(path: Path, text: str) -> None:
    """Atomically, so a web server never serves half a page."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def export_archive(settings: Settings, directory: str | os.PathLike[str]) -> ExportReport:
    base = settings.web.base_url
    if not base:
        raise ConfigError("[web] base_url: needed to export the feeds (their links must be absolute)")
    if not settings.web.archive:
        raise ConfigError("[web] archive = false: there is no public archive to export")
    out = Path(directory)
    if out.exists() and not out.is_dir():
        raise InputError(f"{out}: not a folder")
    pages = Pages(settings)
    engine = open_engine(settings)
    report = ExportReport(str(out))
    try:
        editions = public_editions(engine, settings)
        common = {"subscribe_url": f"{base}/subscribe"}
        _write(out / "archive" / "index.html", pages.html("archive", editions=editions, root="../", **common))
        for listed in editions:
            found = public_edition(engine, settings, listed.edition)
            if found is None:  # made private between the two reads
                continue
            html = found.web_html(f"{base}/unsubscribe/")
            _write(out / "archive" / found.edition / "index.html", html)
            report.editions.append(found.edition)
        newest = editions[: settings.web.archive_size]
        _write(out / "feed.xml", feeds.atom(pages, settings, newest, base))
        _write(out / "feed.json", feeds.json_feed_text(settings, newest, base))
        _write(out / "static" / "site.css", pages.stylesheet() + pages.colours())
    finally:
        engine.dispose()
    report.files = 4 + len(report.editions)
    return report
