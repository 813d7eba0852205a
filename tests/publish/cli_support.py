"""Running the real `digest` command against the local servers, with a config naming the accounts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.paths import ROOT

ARTICLE = ROOT / "examples" / "articles" / "qonversations-xi-blinken.txt"


@dataclass
class Project:
    """A folder with a config (accounts appended as given), a data dir and the secrets' environment."""

    root: Path
    accounts: list[dict[str, str]] = field(default_factory=list)
    secrets: dict[str, str] = field(default_factory=dict)
    social: dict[str, str] = field(default_factory=dict)

    @property
    def config(self) -> Path:
        return self.root / "digest.toml"

    @property
    def data(self) -> Path:
        return self.root / "data"

    def write_config(self) -> None:
        lines = ["[fetch]", "allow_private_addresses = true", "", "[social]"]
        lines += [f"{k} = {json.dumps(v)}" for k, v in self.social.items()]
        for account in self.accounts:
            lines += ["", "[[social.accounts]]"] + [f"{k} = {json.dumps(v)}" for k, v in account.items()]
        self.config.write_text("\n".join(lines) + "\n", encoding="utf-8")

    def add(self, secrets: dict[str, str] | None = None, **account: str) -> None:
        self.accounts.append(account)
        self.secrets.update(secrets or {})
        self.write_config()

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("DIGEST_")}
        env.update(
            DIGEST_CONFIG=str(self.config),
            DIGEST_DATA_DIR=str(self.data),
            PYTHONPATH=str(ROOT / "src"),
            **self.secrets,
        )
        return env

    def popen(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "digest", *args],
            cwd=self.root,
            env=self.env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )

    def run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "digest", *args],
            cwd=self.root,
            env=self.env(),
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=timeout,
        )

    def json(self, *args: str, exit_code: int = 0) -> Any:
        done = self.run(*args)
        assert done.returncode == exit_code, f"digest {' '.join(args)}: exit {done.returncode}: {done.stderr}"
        return json.loads(done.stdout)
