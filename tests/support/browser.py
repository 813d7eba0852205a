"""Headless Debian Chromium driven by Playwright (no browser download: executable_path)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"


def chromium_path() -> str:
    path = os.environ.get("DIGEST_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        raise RuntimeError("headless Chromium not found: apt-get install chromium (see .ci/run)")
    return path
