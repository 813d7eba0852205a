"""Build a digest and write what would be sent, without sending: the library behind `digest preview`.

``preview_digest(settings, sources, out_dir) -> PreviewResult`` writes ``digest.html`` (the HTML
part exactly as a recipient gets it, with a placeholder unsubscribe link and the greeting for a
recipient without a name), ``digest.txt`` (the text part) and ``digest.json`` (the digest's data).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from digest.compose.build import Progress, build_digest, failure_text
from digest.config import Settings
from digest.errors import InputError
from digest.ingest import SourceFailure, Spec
from digest.mailing.tokens import unsubscribe_template
from digest.models import Digest
from digest.render.email import RenderedEmail, render_email
from digest.render.size import html_bytes

DEFAULT_OUT_DIR = Path("preview")
PREVIEW_TOKEN = "preview"


@dataclass
class PreviewResult:
    html_path: Path
    text_path: Path
    data_path: Path
    digest: Digest
    email: RenderedEmail
    html: str  # as written: placeholder unsubscribe link, greeting in place
    text: str
    failures: list[SourceFailure] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def html_bytes(self) -> int:
        return html_bytes(self.html)

    def to_json(self) -> dict[str, Any]:
        return {
            "html": str(self.html_path),
            "text": str(self.text_path),
            "data": str(self.data_path),
            "stories": len(self.digest.stories),
            "html_bytes": self.html_bytes,
            "warnings": self.warnings,
        }


def placeholder_unsubscribe_url(settings: Settings) -> str:
    return unsubscribe_template(settings).replace("{token}", PREVIEW_TOKEN)


def digest_data(digest: Digest, email: RenderedEmail, warnings: list[str]) -> dict[str, Any]:
    """The digest as plain JSON-able data (article URLs as the source gave them, without UTM)."""
    return {
        "title": digest.title,
        "date": digest.date.isoformat(),
        "edition": digest.edition,
        "subject": email.subject,
        "preheader": email.preheader,
        "intro": digest.intro,
        "stories": [
            {
                "title": s.article.title,
                "url": s.article.url,
                "site": s.article.site,
                "source": s.article.source,
                "lede": s.summary.lede,
                "key_points": list(s.summary.key_points),
                "teasers": [{"title": t.title, "url": t.url, "origin": t.origin, "score": t.score} for t in s.teasers],
                "section": s.section,
                "image": asdict(s.article.image) if s.article.image else None,
                "edited": list(s.edited),
            }
            for s in digest.stories
        ],
        "sections": sections_of(digest),
        "warnings": warnings,
    }


def sections_of(digest: Digest) -> list[dict[str, Any]]:
    """The edition's sections in order, each with the numbers (1-based) of its stories."""
    out: list[dict[str, Any]] = []
    for number, story in enumerate(digest.stories, start=1):
        if story.section is None:
            continue
        if not out or out[-1]["name"] != story.section:
            out.append({"name": story.section, "stories": []})
        out[-1]["stories"].append(number)
    return out


def _write(path: Path, content: str) -> None:
    """Write atomically: a reader (or browser) never sees half a file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(content)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def preview_digest(
    settings: Settings,
    sources: Sequence[Spec] | None = None,
    out_dir: str | os.PathLike[str] = DEFAULT_OUT_DIR,
    *,
    today: date | None = None,
    progress: Progress | None = None,
) -> PreviewResult:
    """Build and render the digest from ``sources`` (default: the config's) into ``out_dir``."""
    built = build_digest(settings, sources, today=today, progress=progress)
    digest = built.digest
    if not digest.stories:
        if built.failures:
            reasons = "; ".join(failure_text(f) for f in built.failures[:3])
            raise InputError(f"no story to preview: every source failed ({reasons})")
        raise InputError("no story to preview: the sources hold no articles")
    email = render_email(digest, settings)
    html, text = email.personalize(placeholder_unsubscribe_url(settings), None)
    warnings = [*digest.warnings, *email.warnings]

    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
        paths = (out / "digest.html", out / "digest.txt", out / "digest.json")
        _write(paths[0], html)
        _write(paths[1], text)
        _write(paths[2], json.dumps(digest_data(digest, email, warnings), ensure_ascii=False, indent=2) + "\n")
    except OSError as exc:
        raise InputError(f"{out}: cannot write the preview: {exc.strerror or exc}") from None
    return PreviewResult(
        html_path=paths[0],
        text_path=paths[1],
        data_path=paths[2],
        digest=digest,
        email=email,
        html=html,
        text=text,
        failures=built.failures,
        warnings=warnings,
    )
