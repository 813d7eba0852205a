"""stdin through the library dispatcher obeys the same size limit as files."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from digest.config import load_settings
from digest.errors import InputError
from digest.ingest import read_source


class FakeStdin:
    def __init__(self, data: bytes) -> None:
        self.buffer = io.BytesIO(data)


def test_stdin_over_the_limit_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "digest.toml"
    cfg.write_text("[ingest]\nmax_file_bytes = 2000\n", encoding="utf-8")
    settings = load_settings(cfg, env={})
    monkeypatch.setattr(sys, "stdin", FakeStdin(b"Title\n\n" + b"word " * 1000))
    with pytest.raises(InputError, match=r"over the 0.002 MB limit"):
        read_source("-", settings)
    monkeypatch.setattr(sys, "stdin", FakeStdin(b"A title\n\nA short body sentence that is fine."))
    [article] = read_source("-", settings)
    assert article.title == "A title"
