"""PostgreSQL's driver: `pip install 'digest[postgres]'` brings psycopg 3, a plain postgresql://
URL uses it, and without it the error says what to install."""

from __future__ import annotations

import sys
import tomllib

import pytest
from packaging.requirements import Requirement
from packaging.version import Version
from sqlalchemy import text
from tests.support.paths import ROOT
from tests.support.postgres import PostgresServer

from digest.errors import ConfigError
from digest.storage.engine import connect, open_engine


def test_the_postgres_extra_installs_psycopg_3() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = [Requirement(r) for r in project["optional-dependencies"]["postgres"]]
    psycopg = [r for r in wanted if r.name == "psycopg"]
    assert psycopg, wanted
    assert not psycopg[0].specifier.contains(Version("2.9.9")) and psycopg[0].specifier.contains(Version("3.2.0"))


def test_a_plain_postgresql_url_uses_psycopg_3(postgres: PostgresServer) -> None:
    name = postgres.fresh_database()
    engine = open_engine(url=postgres.url(name).replace("postgresql+psycopg://", "postgresql://"))
    try:
        assert engine.dialect.driver == "psycopg"
        with engine.connect() as conn:
            assert conn.execute(text("SELECT 1")).scalar() == 1
    finally:
        engine.dispose()
        postgres.drop_database(name)


def test_without_the_driver_the_error_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)  # as if it were not installed
    with pytest.raises(ConfigError, match=r"pip install 'digest\[postgres\]'") as caught:
        connect(url="postgresql://digest:s3cret@db.invalid/digest")
    assert "s3cret" not in str(caught.value) and "\n" not in str(caught.value)


def test_a_malformed_url_is_one_clear_line() -> None:
    with pytest.raises(ConfigError, match="not a database URL"):
        connect(url="not a url at all")
