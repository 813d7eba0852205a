"""Typed settings from a TOML file, `.env` and `DIGEST_*` variables.

Every section is a frozen dataclass; each field carries a validator in its metadata, so a
wrong key or value is reported precisely ("config/digest.toml: [summary] points: expected
an integer 1-10, got "three"") instead of failing later somewhere deep in the pipeline.
Secrets are never read from the TOML: only from the environment or `.env`.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values

from digest.errors import ConfigError
from digest.resources import default_config_path
from digest.version import __version__

Validator = Callable[[Any], Any]


# ---------------------------------------------------------------- validators
# Each returns the cleaned value or raises ValueError("expected ...") describing what fits.
# Values from the environment arrive as strings, so validators accept string forms too.


def _show(value: Any) -> str:
    return f'"{value}"' if isinstance(value, str) else repr(value)


def integer(lo: int | None = None, hi: int | None = None) -> Validator:
    if lo is not None and hi is not None:
        desc = f"an integer {lo}-{hi}"
    elif lo is not None:
        desc = f"an integer >= {lo}"
    else:
        desc = "an integer"

    def check(value: Any) -> int:
        if isinstance(value, bool):
            raise ValueError(f"expected {desc}, got {_show(value)}")
        if isinstance(value, str):
            try:
                value = int(value.strip())
            except ValueError:
                raise ValueError(f"expected {desc}, got {_show(value)}") from None
        if not isinstance(value, int):
            raise ValueError(f"expected {desc}, got {_show(value)}")
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            raise ValueError(f"expected {desc}, got {value}")
        return value

    return check


def number(lo: float | None = None, hi: float | None = None) -> Validator:
    desc = f"a number {lo}-{hi}" if lo is not None and hi is not None else "a number"

    def check(value: Any) -> float:
        if isinstance(value, bool):
            raise ValueError(f"expected {desc}, got {_show(value)}")
        if isinstance(value, str):
            try:
                value = float(value.strip())
            except ValueError:
                raise ValueError(f"expected {desc}, got {_show(value)}") from None
        if not isinstance(value, int | float):
            raise ValueError(f"expected {desc}, got {_show(value)}")
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            raise ValueError(f"expected {desc}, got {value}")
        return float(value)

    return check


def boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in {"1", "true", "yes", "on"}:
        return True
    if isinstance(value, str) and value.strip().lower() in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"expected true or false, got {_show(value)}")


def text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected a string, got {_show(value)}")
    return value


def optional_text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return text(value)


def choice(*options: str) -> Validator:
    def check(value: Any) -> str:
        if not isinstance(value, str) or value.strip().lower() not in options:
            raise ValueError(f"expected one of {', '.join(options)}, got {_show(value)}")
        return value.strip().lower()

    return check


def string_list(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [part.strip() for part in value.split(",") if part.strip()]
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"expected a list of strings, got {_show(value)}")
    return tuple(value)


def timezone(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected an IANA time zone name, got {_show(value)}")
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f'expected an IANA time zone name like "Europe/London", got "{value}"') from None
    return value


def setting(default: Any, check: Validator, doc: str = "") -> Any:
    """A dataclass field whose value is validated with ``check`` when loaded."""
    if isinstance(default, list | dict):

        def factory(d: Any = default) -> Any:
            return type(d)(d)

        return field(default_factory=factory, metadata={"check": check, "doc": doc})
    return field(default=default, metadata={"check": check, "doc": doc})


# ---------------------------------------------------------------- sections


@dataclass(frozen=True)
class DigestSettings:
    title: str = setting("The Daily Digest", text)
    timezone: str = setting("UTC", timezone)
    intro: str | None = setting(None, optional_text)
    max_stories: int = setting(20, integer(1, 200))
    # "only new" digests also take unsent articles ingested earlier, first seen this recently
    new_within_days: int = setting(3, integer(0, 365))


@dataclass(frozen=True)
class SummarySettings:
    points: int = setting(3, integer(1, 10))
    algorithm: str = setting("hybrid", choice("hybrid", "lexrank", "textrank", "lsa", "luhn", "lead"))
    language: str = setting("auto", text)
    max_sentences: int = setting(150, integer(10, 5000))
    # How much a sentence's closeness to the top counts next to its sumy centrality (0 = none).
    position_weight: float = setting(3.0, number(0, 10))
    # Key points sharing more than this fraction of content words (Jaccard) are duplicates.
    redundancy: float = setting(0.5, number(0.05, 1))


@dataclass(frozen=True)
class IngestSettings:
    max_file_bytes: int = setting(5_000_000, integer(1_000))
    extract_processes: int = setting(0, integer(0, 64))  # 0: one per core once a run has pages; 1: none


@dataclass(frozen=True)
class SourceSettings:
    type: str = setting("path", choice("path", "feed", "url"))
    path: str | None = setting(None, optional_text)
    url: str | None = setting(None, optional_text)
    name: str | None = setting(None, optional_text)
    max_items: int = setting(20, integer(1, 1000))
    fetch_full_text: bool = setting(False, boolean)


@dataclass(frozen=True)
class FetchSettings:
    allow_private_addresses: bool = setting(False, boolean)
    timeout: float = setting(15.0, number(0.1, 600))
    max_bytes: int = setting(5_000_000, integer(1_000))
    max_redirects: int = setting(5, integer(0, 30))
    concurrency: int = setting(8, integer(1, 64))
    user_agent: str = setting(f"digest/{__version__} (+https://github.com/digest-news/digest)", text)


@dataclass(frozen=True)
class ArchiveSettings:
    url: str | None = setting(None, optional_text)  # SQLAlchemy URL; default: SQLite in data dir
    related_days: int = setting(30, integer(0, 3650))
    min_similarity: float = setting(0.2, number(0.0, 1.0))


@dataclass(frozen=True)
class EmailSettings:
    templates_dir: str | None = setting(None, optional_text)
    subject: str = setting("{title} — {date}", text)
    preheader: str | None = setting(None, optional_text)
    utm_source: str = setting("digest", text)
    utm_campaign: str | None = setting(None, optional_text)
    archive_url: str | None = setting(None, optional_text)
    max_html_bytes: int = setting(100_000, integer(10_000, 10_000_000))
    max_teasers: int = setting(3, integer(0, 10))
    language: str = setting("en", text)
    footer: str | None = setting(None, optional_text)  # who sends it and why; {title} {from_name}


SOCIAL_PLATFORMS = ("x", "bluesky", "mastodon", "linkedin", "threads")


def platform_list(value: Any) -> tuple[str, ...]:
    names = tuple(v.strip().lower() for v in string_list(value))
    unknown = [n for n in names if n not in SOCIAL_PLATFORMS]
    if unknown:
        raise ValueError(f"expected platforms among {', '.join(SOCIAL_PLATFORMS)}, got {_show(unknown[0])}")
    return names


@dataclass(frozen=True)
class SocialSettings:
    platforms: tuple[str, ...] = setting(SOCIAL_PLATFORMS, platform_list)
    max_hashtags: int = setting(2, integer(0, 10))
    hashtags: tuple[str, ...] = setting((), string_list)
    mastodon_limit: int = setting(500, integer(100, 100_000))
    utm_campaign: str | None = setting(None, optional_text)


@dataclass(frozen=True)
class DeliverySettings:
    backend: str = setting("outbox://outbox", text)
    from_address: str = setting("digest@example.com", text)
    from_name: str = setting("The Daily Digest (example sender)", text)
    reply_to: str | None = setting(None, optional_text)
    list_id: str | None = setting(None, optional_text)
    unsubscribe_url: str = setting("https://example.com/unsubscribe?token={token}", text)
    unsubscribe_mailto: str | None = setting(None, optional_text)
    editors: tuple[str, ...] = setting((), string_list)
    timeout: float = setting(30.0, number(0.1, 600))
    max_attempts: int = setting(4, integer(1, 20))
    retry_backoff: float = setting(1.0, number(0.0, 60))  # seconds before the 2nd try; doubles after
    ca_file: str | None = setting(None, optional_text)  # extra CA bundle to trust for SMTP TLS
    claim_lease: float = setting(60.0, number(1, 3600))  # seconds a sender's claim on recipients lasts unrenewed


@dataclass(frozen=True)
class ScheduleSettings:
    jobs_dir: str = setting("scheduled", text)
    failover_seconds: int = setting(30, integer(2, 3600))  # a standby scheduler leads this soon after the leader dies


SECTIONS: dict[str, type] = {
    "digest": DigestSettings,
    "summary": SummarySettings,
    "ingest": IngestSettings,
    "fetch": FetchSettings,
    "archive": ArchiveSettings,
    "email": EmailSettings,
    "social": SocialSettings,
    "delivery": DeliverySettings,
    "schedule": ScheduleSettings,
}


class Secret(str):
    """A string that never shows itself in repr(), logs or tracebacks."""

    def __repr__(self) -> str:
        return "Secret('***')"


@dataclass(frozen=True)
class Settings:
    digest: DigestSettings = field(default_factory=DigestSettings)
    summary: SummarySettings = field(default_factory=SummarySettings)
    ingest: IngestSettings = field(default_factory=IngestSettings)
    fetch: FetchSettings = field(default_factory=FetchSettings)
    archive: ArchiveSettings = field(default_factory=ArchiveSettings)
    email: EmailSettings = field(default_factory=EmailSettings)
    social: SocialSettings = field(default_factory=SocialSettings)
    delivery: DeliverySettings = field(default_factory=DeliverySettings)
    schedule: ScheduleSettings = field(default_factory=ScheduleSettings)
    sources: tuple[SourceSettings, ...] = ()
    config_path: Path | None = None  # None: the built-in default
    base_dir: Path = field(default_factory=Path.cwd)  # relative paths in the config start here
    data_dir: Path = field(default_factory=lambda: Path(".digest"))
    smtp_password: Secret | None = None
    unsubscribe_key: Secret | None = None

    def resolve(self, path: str | os.PathLike[str]) -> Path:
        """A path from the config, relative to the config file's folder."""
        p = Path(path).expanduser()
        return p if p.is_absolute() else (self.base_dir / p)

    @property
    def label(self) -> str:
        return display_path(self.config_path) if self.config_path else "built-in default config"


def display_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


# ---------------------------------------------------------------- loading


def build_section(cls: type, raw: Mapping[str, Any], where: str, label: str) -> Any:
    known = {f.name: f for f in fields(cls)}
    values: dict[str, Any] = {}
    for key, value in raw.items():
        f = known.get(key)
        if f is None:
            hint = ", ".join(sorted(known))
            raise ConfigError(f"{label}: {where} {key}: unknown key (known keys: {hint})")
        try:
            values[key] = f.metadata["check"](value)
        except ValueError as exc:
            raise ConfigError(f"{label}: {where} {key}: {exc}") from None
    return cls(**values)


def _env_overrides(env: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """``DIGEST_<SECTION>__<KEY>`` (double underscore) overrides one key of one section."""
    out: dict[str, dict[str, str]] = {}
    for name, value in env.items():
        if not name.startswith("DIGEST_") or "__" not in name:
            continue
        section, _, key = name[len("DIGEST_") :].partition("__")
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
        raw = tomllib.loads(source_path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{label}: not valid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"{label}: cannot read: {exc.strerror}") from None

    for section, overrides in _env_overrides(merged_env).items():
        if section in SECTIONS:
            raw.setdefault(section, {}).update(overrides)
    if merged_env.get("DIGEST_BACKEND"):
        raw.setdefault("delivery", {})["backend"] = merged_env["DIGEST_BACKEND"]
    if merged_env.get("DIGEST_ALLOW_PRIVATE_ADDRESSES"):
        raw.setdefault("fetch", {})["allow_private_addresses"] = merged_env["DIGEST_ALLOW_PRIVATE_ADDRESSES"]

    sections: dict[str, Any] = {}
    for key, value in raw.items():
        if key == "sources":
            continue
        cls = SECTIONS.get(key)
        if cls is None:
            known = ", ".join(sorted([*SECTIONS, "sources"]))
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

    data_dir = Path(merged_env.get("DIGEST_DATA_DIR") or ".digest").expanduser()
    password = merged_env.get("DIGEST_SMTP_PASSWORD")
    signing_key = merged_env.get("DIGEST_UNSUBSCRIBE_KEY")
    return Settings(
        **sections,
        sources=tuple(sources),
        config_path=config_path,
        base_dir=source_path.resolve().parent,
        data_dir=data_dir,
        smtp_password=Secret(password) if password else None,
        unsubscribe_key=Secret(signing_key) if signing_key else None,
    )


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
