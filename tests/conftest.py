"""Shared fixtures: isolated data dirs, a real SMTP server, a real headless Chromium, and the
database every storage and send-log test runs on twice: an SQLite file and a real PostgreSQL."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event
from tests.support.browser import ARTIFACTS, CHROMIUM_ARGS, chromium_path
from tests.support.postgres import REQUIRED, Database, PostgresServer, PostgresUnavailable
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


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """One private PostgreSQL server for the whole session, removed at its end."""
    try:
        server = PostgresServer()
    except PostgresUnavailable as exc:
        if REQUIRED:
            pytest.fail(str(exc))
        pytest.skip(str(exc))
    try:
        server.start()
        server.make_template()
        yield server
    finally:
        server.stop()


def _on(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, template: str | None) -> Iterator[Database]:
    if request.param == "sqlite":
        yield Database("sqlite", None)
        return
    server: PostgresServer = request.getfixturevalue("postgres")
    name = server.fresh_database() if template is None else server.create_database(template=template)
    url = server.url(name)
    monkeypatch.setenv("DIGEST_ARCHIVE__URL", url)
    # Tests often let an engine go without dispose(); psycopg warns about every connection
    # garbage-collected open (SQLite does not), so the test's connections are closed here.
    opened: list[Any] = []

    def remember(dbapi_connection: Any, _record: Any) -> None:
        opened.append(dbapi_connection)

    event.listen(Engine, "connect", remember)
    try:
        yield Database("postgresql", url)
    finally:
        event.remove(Engine, "connect", remember)
        for connection in opened:
            with contextlib.suppress(Exception):
                connection.close()
        server.drop_database(name)


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    """Run the test on an SQLite file, then on a fresh PostgreSQL database at the schema head.

    For PostgreSQL, ``DIGEST_ARCHIVE__URL`` points there, so settings loaded the usual way
    (and `digest` subprocesses) use it.
    """
    yield from _on(request, monkeypatch, None)


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    """As ``database``, but empty: no table at all (for schema and migration tests)."""
    yield from _on(request, monkeypatch, "template0")


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
