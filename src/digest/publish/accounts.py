"""Social accounts and their secrets.

An account names where to post (a Mastodon instance, a Bluesky handle on a PDS, an X app); its
secrets never live in the TOML, only in the environment or ``.env``, under names built from
the account's name: ``DIGEST_MASTODON_TOKEN_<NAME>``, ``DIGEST_BLUESKY_APP_PASSWORD_<NAME>``
and ``DIGEST_X_<NAME>_API_KEY`` / ``_API_SECRET`` / ``_ACCESS_TOKEN`` / ``_ACCESS_SECRET``,
where NAME is the account name upper-cased with every other character than A-Z and 0-9 as ``_``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from dotenv import dotenv_values

from digest.config import Secret
from digest.errors import ConfigError

PLATFORMS = ("mastodon", "bluesky", "x")
DEFAULT_BLUESKY_SERVICE = "https://bsky.social"
DEFAULT_X_API = "https://api.twitter.com"

_NOT_ALNUM = re.compile(r"[^A-Z0-9]")


def env_name(account: str) -> str:
    """The NAME part of an account's secret variables: ``news-en`` -> ``NEWS_EN``."""
    return _NOT_ALNUM.sub("_", account.upper())


def secret_names(platform: str, account: str) -> dict[str, str]:
    """role -> environment variable, for every secret the platform needs."""
    name = env_name(account)
    if platform == "mastodon":
        return {"token": f"DIGEST_MASTODON_TOKEN_{name}"}
    if platform == "bluesky":
        return {"app_password": f"DIGEST_BLUESKY_APP_PASSWORD_{name}"}
    if platform == "x":
        return {
            "api_key": f"DIGEST_X_{name}_API_KEY",
            "api_secret": f"DIGEST_X_{name}_API_SECRET",
            "access_token": f"DIGEST_X_{name}_ACCESS_TOKEN",
            "access_secret": f"DIGEST_X_{name}_ACCESS_SECRET",
        }
    return {}


def environment(dotenv_path: str | os.PathLike[str] | None = None) -> dict[str, str]:
    """The variables secrets are read from: ``.env`` (current folder), then the environment, which wins."""
    path = Path(dotenv_path) if dotenv_path else Path.cwd() / ".env"
    file_env = {k: v for k, v in dotenv_values(path).items() if v is not None} if path.is_file() else {}
    return {**file_env, **os.environ}


@dataclass(frozen=True)
class Account:
    """One ``[[social.accounts]]`` entry.

    ``instance``: the Mastodon server's URL. ``handle``: the Bluesky handle, ``service`` its PDS
    (default bsky.social). ``api_url``: X's API root (only tests and proxies change it).
    """

    name: str
    platform: str
    instance: str | None = None
    handle: str | None = None
    service: str | None = None
    api_url: str | None = None

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise ConfigError("social account: name must not be empty")
        if not self.platform.strip():
            raise ConfigError(f"social account {self.name!r}: platform must not be empty")
        if self.platform == "mastodon" and not self.instance:
            raise ConfigError(f'social account {self.name!r}: a mastodon account needs instance = "https://..."')
        if self.platform == "bluesky" and not self.handle:
            raise ConfigError(f'social account {self.name!r}: a bluesky account needs handle = "name.bsky.social"')

    @property
    def bluesky_service(self) -> str:
        return (self.service or DEFAULT_BLUESKY_SERVICE).rstrip("/")

    @property
    def x_api_url(self) -> str:
        return (self.api_url or DEFAULT_X_API).rstrip("/")

    def secrets(self, env: Mapping[str, str] | None = None) -> dict[str, Secret]:
        """role -> secret for this account; ConfigError naming the first missing variable."""
        source = environment() if env is None else env
        found: dict[str, Secret] = {}
        for role, variable in secret_names(self.platform, self.name).items():
            value = (source.get(variable) or "").strip()
            if not value:
                raise ConfigError(
                    f"{self.platform} account {self.name!r}: {variable} is not set "
                    "(put it in the environment or in .env; never in the TOML)"
                )
            found[role] = Secret(value)
        return found
