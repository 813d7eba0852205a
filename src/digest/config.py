"""Typed settings from a TOML file, `.env` and `DIGEST_*` variables.

Every section is a frozen dataclass; each field carries a validator in its metadata, so a
wrong key or value is reported precisely ("config/digest.toml: [summary] points: expected
an integer 1-10, got "three"") instead of failing later somewhere deep in the pipeline.
Secrets are never read from the TOML: only from the environment or `.env`.
"""

from __future__ import annotations

import difflib
import ipaddress
import math
import os
import re
import string
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import limits
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
        if not math.isfinite(value):  # nan slips through every comparison; inf stalls retries
            raise ValueError(f"expected {desc}, got {value}")
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


def one_line(value: Any) -> str:
    """Text that ends up in a mail header: a CR or LF would smuggle in headers of its own."""
    checked = text(value)
    if "\r" in checked or "\n" in checked:
        raise ValueError("must be one line: a line break here would break the e-mail header")
    return checked


def optional_one_line(value: Any) -> str | None:
    return None if value is None or value == "" else one_line(value)


# What {placeholders} the subject, preheader, footer and archive_url templates may use.
TEMPLATE_FIELDS = ("title", "date", "date_long", "edition", "stories", "from_name")


def _template_check(value: str) -> str:
    try:
        parts = list(string.Formatter().parse(value))
    except ValueError as exc:
        raise ValueError(f"not a valid template ({exc}); write {{{{ and }}}} for literal braces") from None
    for _literal, name, spec, conversion in parts:
        if name is None:
            continue
        if name not in TEMPLATE_FIELDS or spec or conversion:
            shown = "{" + name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}"
            known = ", ".join("{" + f + "}" for f in TEMPLATE_FIELDS)
            raise ValueError(f"{shown}: only plain placeholders are allowed: {known}")
    return value


def template(value: Any) -> str:
    return _template_check(one_line(value))


def optional_template(value: Any) -> str | None:
    return None if value is None or value == "" else template(value)


def optional_long_template(value: Any) -> str | None:
    """A template that may span paragraphs (the footer): plain placeholders, line breaks allowed."""
    return None if value is None or value == "" else _template_check(text(value))


def backend_url(value: Any) -> str:
    """A delivery URL that can be taken apart (scheme://...); the backend checks the rest."""
    checked = one_line(value).strip()
    try:
        parts = urlsplit(checked)
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError as exc:
        raise ValueError(f"not a valid URL: {exc} (got {checked!r})") from None
    if not parts.scheme:
        raise ValueError(f"expected a URL like smtp://host:587 or outbox://outbox, got {checked!r}")
    return checked


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


def patterns(value: Any) -> tuple[str, ...]:
    """Words (matched whole, any case) or ``re:`` regular expressions, each checked now."""
    items = string_list(value)
    for item in items:
        if item.startswith("re:"):
            try:
                re.compile(item[3:])
            except re.error as exc:
                raise ValueError(f"not a valid regular expression: {item!r} ({exc})") from None
        elif not item.strip():
            raise ValueError("expected words or re: patterns, got an empty string")
    return items


def clock_time(value: Any) -> str:
    """ "HH:MM" on a 24-hour clock, or "" for none."""
    if value == "":
        return ""
    if not isinstance(value, str) or not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", value.strip()):
        raise ValueError(f'expected a time like "07:30" (24-hour clock) or "", got {_show(value)}')
    return value.strip()


def _loopback_host(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def public_base_url(value: Any) -> str | None:
    """The service's public address: https (plain http only on a loopback host, for testing),
    no query or fragment; returned without a trailing slash so paths can be appended."""
    if value is None or value == "":
        return None
    checked = one_line(value).strip()
    try:
        parts = urlsplit(checked)
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError as exc:
        raise ValueError(f"not a valid URL: {exc} (got {checked!r})") from None
    host = parts.hostname or ""
    if parts.scheme not in ("https", "http") or not host:
        raise ValueError(f"expected an address like https://news.example.org, got {checked!r}")
    if parts.scheme == "http" and not _loopback_host(host):
        raise ValueError(f"expected https:// (plain http only for a loopback host like 127.0.0.1), got {checked!r}")
    if parts.query or parts.fragment or not checked.isascii() or " " in checked:
        raise ValueError(f"expected a plain ASCII address with no query or fragment, got {checked!r}")
    return checked.rstrip("/")


def rate_limit(value: Any) -> str:
    """A rate like "10/hour" or "5 per minute" (the limits library's notation)."""
    checked = text(value).strip()
    try:
        limits.parse(checked)
    except ValueError:
        raise ValueError(f'expected a rate like "10/hour" or "3 per day", got {_show(value)}') from None
    return checked


def colour(value: Any) -> str:
    checked = text(value).strip()
    if not re.fullmatch(r"#[0-9a-fA-F]{6}", checked):
        raise ValueError(f'expected a colour like "#1a56db", got {_show(value)}')
    return checked.lower()


def list_names(value: Any) -> tuple[str, ...]:
    names = string_list(value)
    for name in names:
        if not re.fullmatch(r"[a-z0-9][a-z0-9._-]{0,63}", name):
            raise ValueError(f"expected list names (lowercase letters, digits, '.', '_' and '-'), got {_show(name)}")
    return names


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
    title: str = setting("The Daily Digest", one_line)
    timezone: str = setting("UTC", timezone)
    intro: str | None = setting(None, optional_text)
    max_stories: int = setting(20, integer(1, 200))
    # "only new" digests also take unsent articles ingested earlier, first seen this recently
    new_within_days: int = setting(3, integer(0, 365))
    # With [[sections]]: the heading of the stories no section takes ("" leaves them out).
    other_section: str = setting("More news", text)


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
    # Keep only stories matching one of `include` (when given), and none of `exclude`: words
    # (whole words, any case) or "re:" regular expressions, tried on the title, text and categories.
    include: tuple[str, ...] = setting((), patterns)
    exclude: tuple[str, ...] = setting((), patterns)


@dataclass(frozen=True)
class SectionSettings:
    """A heading of the edition; the first section whose rules match a story takes it."""

    name: str = setting("", text)
    sources: tuple[str, ...] = setting((), string_list)  # [[sources]] names
    categories: tuple[str, ...] = setting((), string_list)  # feed categories / page sections, any case
    url_prefixes: tuple[str, ...] = setting((), string_list)
    keywords: tuple[str, ...] = setting((), patterns)  # in the title or text, any case
    max_stories: int = setting(0, integer(0, 200))  # 0: no cap of its own


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
    # How long a write waits for another process's write to finish (SQLite) before "busy".
    busy_timeout: float = setting(10.0, number(0.0, 600))
    min_similarity: float = setting(0.2, number(0.0, 1.0))


@dataclass(frozen=True)
class EmailSettings:
    templates_dir: str | None = setting(None, optional_text)
    subject: str = setting("{title} — {date}", template)
    preheader: str | None = setting(None, optional_template)
    utm_source: str = setting("digest", text)
    utm_campaign: str | None = setting(None, optional_text)
    archive_url: str | None = setting(None, optional_template)
    max_html_bytes: int = setting(100_000, integer(10_000, 10_000_000))
    max_teasers: int = setting(3, integer(0, 10))
    language: str = setting("en", text)
    footer: str | None = setting(None, optional_long_template)  # who sends it and why; {title} {from_name}
    # Story images: "thumbnails" (the first story a full-width hero, the others small beside
    # their text), "hero" (the first story's only) or "none". Referenced by URL, never embedded.
    images: str = setting("thumbnails", choice("thumbnails", "hero", "none"))


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
    backend: str = setting("outbox://outbox", backend_url)
    from_address: str = setting("digest@example.com", one_line)
    from_name: str = setting("The Daily Digest (example sender)", one_line)
    reply_to: str | None = setting(None, optional_one_line)
    list_id: str | None = setting(None, optional_one_line)
    unsubscribe_url: str = setting("https://example.com/unsubscribe?token={token}", one_line)
    unsubscribe_mailto: str | None = setting(None, optional_one_line)
    editors: tuple[str, ...] = setting((), string_list)
    # The envelope sender (MAIL FROM) of every edition's message, with {token} naming the
    # subscriber and edition (VERP): bounces then come back attributable. "" = from_address.
    return_path: str | None = setting(None, optional_one_line)
    timeout: float = setting(30.0, number(0.1, 600))
    max_attempts: int = setting(4, integer(1, 20))
    retry_backoff: float = setting(1.0, number(0.0, 60))  # seconds before the 2nd try; doubles after
    ca_file: str | None = setting(None, optional_text)  # extra CA bundle to trust for SMTP TLS
    claim_lease: float = setting(60.0, number(1, 3600))  # seconds a sender's claim on recipients lasts unrenewed


@dataclass(frozen=True)
class BouncesSettings:
    # This many soft bounces (mailbox full, blocked, greylisted...) within the window make an
    # address "bounced"; one hard bounce (no such user) or one complaint is enough.
    soft_limit: int = setting(3, integer(1, 100))
    soft_window_days: int = setting(14, integer(1, 365))
    # IMAP: the folder handled messages are moved to (created if missing).
    processed_folder: str = setting("Processed", text)


@dataclass(frozen=True)
class ScheduleSettings:
    jobs_dir: str = setting("scheduled", text)
    failover_seconds: int = setting(30, integer(2, 3600))  # a standby scheduler leads this soon after the leader dies
    # Jobs with approve = true: a draft not approved by this local time ("HH:MM", "" = no
    # deadline) is sent anyway or skipped, as on_timeout says (logged either way).
    approve_by: str = setting("", clock_time)
    on_timeout: str = setting("skip", choice("skip", "send"))
    # Where editors review drafts: the `digest preview --serve` address the review mail links to.
    review_url: str = setting("http://127.0.0.1:8765/", text)


@dataclass(frozen=True)
class WebSettings:
    """`digest serve`: the pages readers use (subscribe, confirm, unsubscribe, preferences, archive)."""

    # The public address (https://news.example.org); unsubscribe, confirmation and archive
    # links are built from it. Unset: the [delivery] unsubscribe_url as configured.
    base_url: str | None = setting(None, public_base_url)
    confirm_days: int = setting(7, integer(1, 90))  # a confirmation link expires after this
    public_lists: tuple[str, ...] = setting(("default",), list_names)  # lists a reader may join
    store_consent_ip: bool = setting(False, boolean)  # false: the IP and user agent are kept hashed
    archive: bool = setting(True, boolean)  # /archive/ and the feeds
    archive_lists: tuple[str, ...] = setting(("default",), list_names)  # whose editions are public
    archive_size: int = setting(50, integer(1, 1000))  # editions in the feeds
    accent_color: str = setting("#1a56db", colour)
    subscribe_per_ip: str = setting("10/hour", rate_limit)
    subscribe_per_address: str = setting("5/hour", rate_limit)
    confirm_mails_per_address: str = setting("3/day", rate_limit)
    forms_per_ip: str = setting("60/minute", rate_limit)  # every other form POST
    # Where the counters live: "memory://" (one process), or redis://host:6379 and the other
    # stores of the limits library when several processes serve.
    rate_limit_storage: str = setting("memory://", one_line)
    max_body_bytes: int = setting(16_384, integer(1_024, 1_000_000))


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
    "bounces": BouncesSettings,
    "web": WebSettings,
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
    bounces: BouncesSettings = field(default_factory=BouncesSettings)
    web: WebSettings = field(default_factory=WebSettings)
    sources: tuple[SourceSettings, ...] = ()
    sections: tuple[SectionSettings, ...] = ()
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
        config_path=config_path,
        base_dir=source_path.resolve().parent,
        data_dir=data_dir,
        smtp_password=Secret(password) if password else None,
        unsubscribe_key=Secret(signing_key) if signing_key else None,
    )


def _story_sections(raw: Any, label: str) -> tuple[SectionSettings, ...]:
    """``[[sections]]``: each needs a unique name and at least one rule."""
    if not isinstance(raw, list):
        raise ConfigError(f"{label}: sections: expected [[sections]] tables")
    found: list[SectionSettings] = []
    names: set[str] = set()
    for i, item in enumerate(raw, start=1):
        where = f"[[sections]] #{i}"
        if not isinstance(item, dict):
            raise ConfigError(f"{label}: {where}: expected a table")
        section = build_section(SectionSettings, item, where, label)
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
