"""Shared fixtures: isolated data dirs, a real SMTP server, a real headless Chromium."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.support.browser import ARTIFACTS, CHROMIUM_ARGS, chromium_path
from tests.support.smtp import RecordingHandler, start_smtp


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test gets its own data dir and no stray DIGEST_* settings from the developer's shell."""
    for name in list(os.environ):
        if name.startswith("DIGEST_"):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DIGEST_DATA_DIR", str(tmp_path / "data"))
    # A real send refuses the shipped example unsubscribe address; tests that mail a local SMTP
    # server stand in for a deployment with its own (tests of that refusal remove this).
    monkeypatch.setenv("DIGEST_DELIVERY__UNSUBSCRIBE_URL", "https://news.digest.test/unsubscribe?token={token}")


@pytest.fixture
def smtp_server() -> Iterator[tuple[str, int, RecordingHandler]]:
    controller, handler = start_smtp()
    try:
        yield controller.hostname, controller.port, handler
    finally:
        controller.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
