"""A throwaway PostgreSQL server: initdb + pg_ctl in a temporary folder, on 127.0.0.1.

The server binaries come from ``pg_config --bindir`` or /usr/lib/postgresql/<version>/bin
(Debian's ``postgresql`` package). initdb refuses to run as root, so as root every server
command runs as the ``postgres`` user (``runuser``) on a folder that user owns. The server
listens on a free loopback port and a private Unix socket folder, trusts local logins, and
is removed with its folder on ``stop``.

Tests get a fresh database per test, copied from a template already at the schema head
(``CREATE DATABASE ... TEMPLATE``: a few milliseconds instead of running the migrations).
"""

from __future__ import annotations

import contextlib
import glob
import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tests.support.net import free_port

from digest.config import ArchiveSettings, Settings

TEMPLATE = "digest_template"
# DIGEST_TEST_POSTGRES=required (CI) turns "no PostgreSQL here" from a skip into a failure.
REQUIRED = os.environ.get("DIGEST_TEST_POSTGRES", "") == "required"

# A test server holds nothing worth keeping: skip the disk flushes.
FAST = ("-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server binaries here (or no postgres user to run them as root)."""


def find_bindir() -> Path:
    """Where initdb and pg_ctl are: pg_config's answer, else the newest Debian version folder."""
    candidates: list[Path] = []
    with contextlib.suppress(OSError, subprocess.CalledProcessError):
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=True).stdout.strip()
        candidates.append(Path(out))
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name), reverse=True)
    candidates.extend(Path(p) for p in versions)
    for folder in candidates:
        if (folder / "initdb").is_file() and (folder / "pg_ctl").is_file():
            return folder
    raise PostgresUnavailable("PostgreSQL server binaries (initdb, pg_ctl) not found: apt-get install postgresql")


class PostgresServer:
    """One private server; ``url(name)`` gives a SQLAlchemy URL for psycopg 3."""

    def __init__(self, *, fast: bool = True) -> None:
        self.bindir = find_bindir()
        self.fast = fast
        self.root = Path(tempfile.mkdtemp(prefix="digest-pg-"))
        self.data = self.root / "data"
        self.sockets = self.root / "sockets"
        self.port = 0
        self.as_postgres = os.geteuid() == 0
        self._names = itertools.count(1)
        self.running = False

    # ------------------------------------------------------------ lifecycle

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = [str(self.bindir / args[0]), *args[1:]]
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, cwd=self.root, capture_output=True, text=True, check=False, timeout=120)

    def start(self) -> PostgresServer:
        self.sockets.mkdir()
        if self.as_postgres:
            try:
                user = pwd.getpwnam("postgres")
            except KeyError:
                raise PostgresUnavailable("running as root and there is no postgres user to run the server") from None
            for path in (self.root, self.sockets):
                os.chown(path, user.pw_uid, user.pw_gid)
        done = self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8")
        if done.returncode != 0:
            raise RuntimeError(f"initdb failed: {done.stderr.strip() or done.stdout.strip()}")
        self.port = free_port()
        options = [
            "-p",
            str(self.port),
            "-k",
            str(self.sockets),
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            "max_connections=300",
            *(FAST if self.fast else ()),
        ]
        log = self.root / "server.log"
        started = self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(log), "-w", "-t", "60", "-o", " ".join(options), "start"
        )
        if started.returncode != 0:
            text = log.read_text(errors="replace") if log.exists() else ""
            raise RuntimeError(f"pg_ctl start failed: {started.stderr.strip()} {text[-2000:]}")
        self.running = True
        return self

    def stop(self) -> None:
        if self.running:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
            self.running = False
        shutil.rmtree(self.root, ignore_errors=True)

    # ------------------------------------------------------------ databases

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def execute(self, sql: str, database: str = "postgres") -> None:
        import psycopg

        with psycopg.connect(host="127.0.0.1", port=self.port, user="postgres", dbname=database, autocommit=True) as c:
            c.execute(sql)  # type: ignore[arg-type]

    def create_database(self, name: str | None = None, template: str | None = "template0") -> str:
        name = name or f"test_{os.getpid()}_{next(self._names)}"
        self.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return name

    def drop_database(self, name: str) -> None:
        self.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def make_template(self) -> None:
        """A database at the current schema head for ``fresh_database`` to copy."""
        from digest.storage.engine import open_engine

        self.create_database(TEMPLATE)
        open_engine(url=self.url(TEMPLATE)).dispose()  # creates every table, stamps the head

    def fresh_database(self) -> str:
        """A new database at the schema head (a copy of the template)."""
        return self.create_database(template=TEMPLATE)


@dataclass(frozen=True)
class Database:
    """Which database a test runs on: ``url`` None means the default SQLite file in the data dir."""

    kind: str
    url: str | None

    def settings(self, data_dir: Path) -> Settings:
        return Settings(data_dir=data_dir, archive=ArchiveSettings(url=self.url))
