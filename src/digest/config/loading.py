"""Reading the settings: the TOML file, `.env` and `DIGEST_*` variables merged and checked;
an unknown section or key is an error that suggests the closest real one."""

from __future__ import annotations

import difflib
import os
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import fields, replace
from pathlib import Path
from typing import Any, TypeVar

from dotenv import dotenv_values

from digest.config.sections import (
    SECTIONS,
    Secret,
    SectionSettings,
    Settings,
    SocialAccountSettings,
    SourceSettings,
    display_path,
)
from digest.errors import ConfigError
from digest.resources import default_config_path


def build_section(cls: type, raw: Mapping[str, Any], where: str, label: str) -> Any:
    known = {f.name: f for f in fields(cls)}
    values: dict[str, Any] = {}
    for key, value in raw.items():
        f = known.get(key)
        if f is None:
            close = difflib.get_close_matches(key, known, n=1)
            hint = f"did you mean {close[0]}? " if close else ""
            raise ConfigError(f"{label}: {where} {key}: unknown key ({hint}known keys: {', '.join(sorted(known))})")
        try:
            values[key] = f.metadata["check"](value)
        except ValueError as exc:
            raise ConfigError(f"{label}: {where} {key}: {exc}") from None
    return cls(**values)


def _env_overrides(env: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """``DIGEST_<SECTION>__<KEY>`` (double underscore) overrides one key of one section; one
    that names no real section or key is an error naming the variable and the closest real one
    (a silently ignored typo would leave the setting at its default)."""
    out: dict[str, dict[str, str]] = {}
    every = [f"DIGEST_{s.upper()}__{f.name.upper()}" for s, cls in SECTIONS.items() for f in fields(cls)]
    for name, value in env.items():
        if not name.startswith("DIGEST_") or "__" not in name:
            continue
        section, _, key = name[len("DIGEST_") :].partition("__")
        cls = SECTIONS.get(section.lower())
        if cls is None or key.lower() not in {f.name for f in fields(cls)}:
            close = difflib.get_close_matches(name.upper(), every, n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]}?" if close else " (see docs/configuration.md)"
            what = "section" if cls is None else "key"
            raise ConfigError(f"{name}: no such config {what}{hint}")
        out.setdefault(section.lower(), {})[key.lower()] = value
    return out


def load_settings(
    path: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    dotenv_path: str | os.PathLike[str] | None = None,
) -> Settings:
    """Load settings: the TOML file, then `.env`, then the real environment (which wins)."""
    file_env = {}
    dotenv_file = Path(dotenv_path) if dotenv_path else Path.cwd() / ".env"
    if dotenv_file.is_file():
        file_env = {k: v for k, v in dotenv_values(dotenv_file).items() if v is not None}
    merged_env: dict[str, str] = {**file_env, **(os.environ if env is None else env)}

    explicit = path or merged_env.get("DIGEST_CONFIG")
    config_path: Path | None
    if explicit:
        config_path = Path(explicit)
        if not config_path.is_file():
            raise ConfigError(f"{explicit}: config file not found")
    else:
        local = Path("config/digest.toml")
        config_path = local if local.is_file() else None
    source_path = config_path or default_config_path()
    label = display_path(config_path) if config_path else "built-in default config"

    try:
        data = source_path.read_bytes()
        raw = tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ConfigError(
            f"{label}: line {line}, column {column}: not UTF-8 text (byte 0x{data[exc.start]:02x}); "
            "save the file as UTF-8"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{label}: not valid TOML: {exc}") from None
    except RecursionError:
        raise ConfigError(f"{label}: not valid TOML: nested too deeply") from None
    except OSError as exc:
        raise ConfigError(f"{label}: cannot read: {exc.strerror}") from None

    for section, overrides in _env_overrides(merged_env).items():
        if section in SECTIONS:
            raw.setdefault(section, {}).update(overrides)
    if merged_env.get("DIGEST_BACKEND"):
        raw.setdefault("delivery", {})["backend"] = merged_env["DIGEST_BACKEND"]
    if merged_env.get("DIGEST_ALLOW_PRIVATE_ADDRESSES"):
        raw.setdefault("fetch", {})["allow_private_addresses"] = merged_env["DIGEST_ALLOW_PRIVATE_ADDRESSES"]

    raw_accounts = raw["social"].pop("accounts", []) if isinstance(raw.get("social"), dict) else []
    social_accounts = _social_accounts(raw_accounts, label)

    sections: dict[str, Any] = {}
    for key, value in raw.items():
        if key in ("sources", "sections"):
            continue
        cls = SECTIONS.get(key)
        if cls is None:
            known = ", ".join(sorted([*SECTIONS, "sources", "sections"]))
            raise ConfigError(f"{label}: [{key}]: unknown section (known sections: {known})")
        if not isinstance(value, dict):
            raise ConfigError(f"{label}: {key}: expected a [{key}] table")
        sections[key] = build_section(cls, value, f"[{key}]", label)

    raw_sources = raw.get("sources", [])
    if not isinstance(raw_sources, list):
        raise ConfigError(f"{label}: sources: expected [[sources]] tables")
    sources = []
    for i, item in enumerate(raw_sources, start=1):
        if not isinstance(item, dict):
            raise ConfigError(f"{label}: [[sources]] #{i}: expected a table")
        src = build_section(SourceSettings, item, f"[[sources]] #{i}", label)
        needed = "path" if src.type == "path" else "url"
        if getattr(src, needed) is None:
            raise ConfigError(f"{label}: [[sources]] #{i}: type {src.type} needs a {needed}")
        sources.append(src)
    story_sections = _story_sections(raw.get("sections", []), label)

    data_dir = Path(merged_env.get("DIGEST_DATA_DIR") or ".digest").expanduser()
    password = merged_env.get("DIGEST_SMTP_PASSWORD")
    signing_key = merged_env.get("DIGEST_UNSUBSCRIBE_KEY")
    return Settings(
        **sections,
        sources=tuple(sources),
        sections=story_sections,
        social_accounts=social_accounts,
        config_path=config_path,
        base_dir=source_path.resolve().parent,
        data_dir=data_dir,
        smtp_password=Secret(password) if password else None,
        unsubscribe_key=Secret(signing_key) if signing_key else None,
    )


T = TypeVar("T")


def _tables(raw: Any, key: str, cls: type[T], label: str) -> Iterator[tuple[str, T]]:
    """Each table of an array of tables (``[[key]]``), checked, with where it is for errors."""
    if not isinstance(raw, list):
        raise ConfigError(f"{label}: {key}: expected [[{key}]] tables")
    for i, item in enumerate(raw, start=1):
        where = f"[[{key}]] #{i}"
        if not isinstance(item, dict):
            raise ConfigError(f"{label}: {where}: expected a table")
        yield where, build_section(cls, item, where, label)


def _social_accounts(raw: Any, label: str) -> tuple[SocialAccountSettings, ...]:
    """``[[social.accounts]]``: unique names; Mastodon needs instance, Bluesky handle."""
    found: list[SocialAccountSettings] = []
    names: set[str] = set()
    for where, account in _tables(raw, "social.accounts", SocialAccountSettings, label):
        for key in ("name", "platform"):
            if not getattr(account, key):
                raise ConfigError(f"{label}: {where}: {key} is missing")
        where = f"[[social.accounts]] {account.name!r}"
        if account.name.casefold() in names:
            raise ConfigError(f"{label}: {where}: the name is used by an earlier account")
        if account.platform == "mastodon" and not account.instance:
            raise ConfigError(f'{label}: {where}: a mastodon account needs instance = "https://..."')
        if account.platform == "bluesky" and not account.handle:
            raise ConfigError(f'{label}: {where}: a bluesky account needs handle = "name.bsky.social"')
        if account.platform != "mastodon" and account.instance:
            raise ConfigError(f"{label}: {where} instance: only a mastodon account has one")
        if account.platform != "bluesky" and account.handle:
            raise ConfigError(f"{label}: {where} handle: only a bluesky account has one")
        if account.platform == "mastodon" and account.service:
            raise ConfigError(f"{label}: {where} service: a mastodon account has instance instead")
        names.add(account.name.casefold())
        found.append(account)
    return tuple(found)


def _story_sections(raw: Any, label: str) -> tuple[SectionSettings, ...]:
    """``[[sections]]``: each needs a unique name and at least one rule."""
    found: list[SectionSettings] = []
    names: set[str] = set()
    for where, section in _tables(raw, "sections", SectionSettings, label):
        if not section.name.strip() or any(ch in section.name for ch in "\r\n"):
            raise ConfigError(f"{label}: {where} name: expected a heading of one line")
        if section.name.casefold() in names:
            raise ConfigError(f"{label}: {where} name: {section.name!r} is used by an earlier section")
        if not (section.sources or section.categories or section.url_prefixes or section.keywords):
            raise ConfigError(
                f"{label}: {where} ({section.name}): give at least one rule: "
                "sources, categories, url_prefixes or keywords"
            )
        names.add(section.name.casefold())
        found.append(section)
    return tuple(found)


def with_overrides(settings: Settings, section: str, **values: Any) -> Settings:
    """A copy of settings with some keys of one section replaced (validated)."""
    cls = SECTIONS[section]
    current = getattr(settings, section)
    checked = {}
    known = {f.name: f for f in fields(cls)}
    for key, value in values.items():
        if key not in known:
            raise ConfigError(f"[{section}] {key}: unknown key")
        try:
            checked[key] = known[key].metadata["check"](value)
        except ValueError as exc:
            raise ConfigError(f"[{section}] {key}: {exc}") from None
    return replace(settings, **{section: replace(current, **checked)})
