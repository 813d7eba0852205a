"""Job definitions: one TOML file per job in ``scheduled/``.

A bad file is reported as ONE line naming the file and the key
("scheduled/daily.toml: cron: day of week: 8 is out of range 0-7") and never stops the
other jobs from loading: ``load_jobs`` returns the good jobs and the errors side by side.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.base import BaseTrigger

from digest.config import Settings, SourceSettings, build_section, choice, clock_time, display_path
from digest.errors import ConfigError, DigestError
from digest.mailing.lists import check_list_name
from digest.schedule.triggers import format_duration, parse_cron, parse_duration

KINDS = ("digest", "social")
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
EMAIL = re.compile(r"^[^@\s<>\",;]+@[^@\s<>\",;]+\.[^@\s<>\",;]+$")
DEFAULT_GRACE = 3600

KEYS = {
    "name": "the job's id (letters, digits, . _ -); default: the file name",
    "job": 'what a fire does: "digest" or "social"',
    "cron": 'standard 5-field cron, e.g. "0 7 * * 1-5" (Monday-Friday 07:00)',
    "every": 'an interval instead of cron: "5s", "15m", "6h", "1d"',
    "timezone": "IANA time zone of the cron fields (default: [digest] timezone)",
    "misfire_grace": 'how late a missed fire may still run after downtime (default "1h")',
    "skip_if_empty": "send nothing when nothing is new (default true)",
    "sources": "override the config's sources: paths, or tables like [[sources]]",
    "recipients": 'the subscriber list to send to, by name: recipients = "vip" (default: "default")',
    "editors": "social copy recipients (default: [delivery] editors)",
    "subject": "override [email] subject",
    "title": "override [digest] title",
    "enabled": "false keeps the file but does not schedule the job",
    "approve": "true: build the edition as a draft and mail the editors; it is sent once approved",
    "approve_by": 'with approve: send or skip a draft not approved by this time, e.g. "07:30"',
    "on_timeout": 'with approve_by: "send" or "skip" (default: [schedule] on_timeout)',
}


class JobFileError(DigestError):
    """A job file that cannot be used; the message is "<file>: <key>: <problem>"."""

    def __init__(self, path: Path, key: str | None, problem: str) -> None:
        self.path = path
        self.key = key
        where = f"{display_path(path)}: {key}: " if key else f"{display_path(path)}: "
        super().__init__(where + problem)


@dataclass(frozen=True)
class JobSpec:
    """One scheduled job, validated."""

    name: str
    kind: str
    path: Path
    timezone: str
    cron: str | None = None
    every: timedelta | None = None
    misfire_grace: int = DEFAULT_GRACE
    skip_if_empty: bool = True
    sources: tuple[SourceSettings, ...] | None = None
    recipients: str | None = None  # a subscriber list name (digest.mailing.lists)
    editors: tuple[str, ...] | None = None
    subject: str | None = None
    title: str | None = None
    enabled: bool = True
    approve: bool = False
    approve_by: str | None = None  # "HH:MM" in the job's time zone (None: [schedule] approve_by)
    on_timeout: str | None = None  # send | skip (None: [schedule] on_timeout)

    @property
    def trigger_text(self) -> str:
        """How the schedule reads to a person: "cron 0 7 * * 1-5" or "every 15m"."""
        if self.cron is not None:
            return f"cron {self.cron}"
        assert self.every is not None
        return f"every {format_duration(self.every)}"

    @property
    def fingerprint(self) -> str:
        """Changes when the schedule changes, so a stored next run time is kept only if still valid."""
        return f"{self.trigger_text} {self.timezone}"

    def trigger(self) -> BaseTrigger:
        from digest.schedule.triggers import cron_trigger, interval_trigger

        if self.cron is not None:
            return cron_trigger(self.cron, self.timezone)
        assert self.every is not None
        return interval_trigger(self.every, self.timezone)


@dataclass
class LoadedJobs:
    jobs: list[JobSpec] = field(default_factory=list)
    errors: list[JobFileError] = field(default_factory=list)
    folder: Path | None = None

    def get(self, name: str) -> JobSpec | None:
        return next((j for j in self.jobs if j.name == name), None)


def _string_list(value: Any, what: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ValueError(f"expected a list of {what}, got {value!r}")
    return tuple(v.strip() for v in value)


def _addresses(value: Any) -> tuple[str, ...]:
    items = _string_list(value, "e-mail addresses")
    for item in items:
        if not EMAIL.match(item):
            raise ValueError(f'"{item}" is not an e-mail address')
    if not items:
        raise ValueError("expected at least one e-mail address")
    return items


def _list_name(value: Any) -> str:
    """A subscriber list by name. Addresses are refused: a send must be logged per subscriber."""
    if isinstance(value, list):
        raise ValueError(
            "expected the name of a subscriber list, not addresses: put them on a list with "
            '`digest subscribers add ADDR --list NAME` and set recipients = "NAME"'
        )
    if not isinstance(value, str):
        raise ValueError(f'expected the name of a subscriber list like "vip", got {value!r}')

    try:
        return check_list_name(value, "list")
    except DigestError as exc:
        raise ValueError(str(exc)) from None


def _header_text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"expected a non-empty string, got {value!r}")
    if "\r" in value or "\n" in value:
        raise ValueError("must be one line (line breaks would break the e-mail header)")
    return value


def _sources(value: Any, path: Path) -> tuple[SourceSettings, ...]:
    """Strings are local paths or http(s) URLs; tables use the [[sources]] keys."""
    if not isinstance(value, list) or not value:
        raise ValueError("expected a non-empty list of paths, URLs or source tables")
    out: list[SourceSettings] = []
    for i, item in enumerate(value, start=1):
        if isinstance(item, str) and item.strip():
            text = item.strip()
            if text.lower().startswith(("http://", "https://")):
                out.append(SourceSettings(type="feed", url=text, name=text))
            else:
                out.append(SourceSettings(type="path", path=str(_resolve(text, path)), name=text))
        elif isinstance(item, dict):
            try:
                src = build_section(SourceSettings, item, f"sources #{i}", "job")
            except ConfigError as exc:
                raise ValueError(str(exc).removeprefix("job: ")) from None
            needed = "path" if src.type == "path" else "url"
            if getattr(src, needed) is None:
                raise ValueError(f"#{i}: type {src.type} needs a {needed}")
            if src.type == "path":
                src = replace(src, path=str(_resolve(src.path or "", path)))
            out.append(src)
        else:
            raise ValueError(f"#{i}: expected a path, a URL or a table, got {item!r}")
    return tuple(out)


def _resolve(text: str, job_file: Path) -> Path:
    """Relative paths in a job file start at the job file's folder (like the config's)."""
    p = Path(text).expanduser()
    return p if p.is_absolute() else (job_file.parent / p).resolve()


def _grace(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError(f'expected seconds or a duration like "30m", got {value!r}')
    seconds = int(parse_duration(value).total_seconds())
    if seconds < 1:
        raise ValueError("expected at least 1 second")
    return seconds


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"expected true or false, got {value!r}")
    return value


def parse_job(raw: dict[str, Any], path: Path, default_timezone: str = "UTC") -> JobSpec:
    """Validate one job table; raise JobFileError naming the first bad key."""

    def check(key: str, fn: Any) -> Any:
        try:
            return fn(raw[key])
        except ValueError as exc:
            raise JobFileError(path, key, str(exc)) from None

    unknown = sorted(set(raw) - set(KEYS))
    if unknown:
        raise JobFileError(path, unknown[0], f"unknown key (known keys: {', '.join(KEYS)})")

    name = path.stem
    if "name" in raw:
        name = raw["name"]
        if not isinstance(name, str):
            raise JobFileError(path, "name", f"expected a string, got {name!r}")
    if not NAME.match(name):
        raise JobFileError(path, "name", f'"{name}" must be 1-64 letters, digits, ".", "_" or "-"')

    if "job" not in raw:
        raise JobFileError(path, "job", 'missing: set job = "digest" or job = "social"')
    kind = raw["job"]
    if kind not in KINDS:
        raise JobFileError(path, "job", f'expected "digest" or "social", got {kind!r}')

    if "cron" in raw and "every" in raw:
        raise JobFileError(path, "every", "give either cron or every, not both")
    cron = every = None
    if "cron" in raw:
        cron = check("cron", lambda v: parse_cron(v).expression)
    elif "every" in raw:
        every = check("every", parse_duration)
        if every.total_seconds() < 1 or every.total_seconds() != int(every.total_seconds()):
            raise JobFileError(path, "every", "expected whole seconds, at least 1s")
    else:
        raise JobFileError(path, "cron", 'missing: set cron = "0 7 * * 1-5" or every = "15m"')

    if kind == "social" and "recipients" in raw:
        raise JobFileError(path, "recipients", "a social job mails its copy to editors: use editors = [...]")

    approve = check("approve", _bool) if "approve" in raw else False
    if kind == "social" and approve:
        raise JobFileError(
            path, "approve", "review before sending is for digest jobs; a social job mails editors anyway"
        )
    for key in ("approve_by", "on_timeout"):
        if key in raw and not approve:
            raise JobFileError(path, key, "only means something with approve = true")

    tz = default_timezone
    if "timezone" in raw:
        tz = raw["timezone"]
        try:
            if not isinstance(tz, str):
                raise ValueError
            ZoneInfo(tz)
        except (ValueError, ZoneInfoNotFoundError):
            raise JobFileError(path, "timezone", f'expected an IANA name like "Europe/London", got {tz!r}') from None

    return JobSpec(
        name=name,
        kind=kind,
        path=path,
        timezone=tz,
        cron=cron,
        every=every,
        misfire_grace=check("misfire_grace", _grace) if "misfire_grace" in raw else DEFAULT_GRACE,
        skip_if_empty=check("skip_if_empty", _bool) if "skip_if_empty" in raw else True,
        sources=check("sources", lambda v: _sources(v, path)) if "sources" in raw else None,
        recipients=check("recipients", _list_name) if "recipients" in raw else None,
        editors=check("editors", _addresses) if "editors" in raw else None,
        subject=check("subject", _header_text) if "subject" in raw else None,
        title=check("title", _header_text) if "title" in raw else None,
        enabled=check("enabled", _bool) if "enabled" in raw else True,
        approve=approve,
        approve_by=check("approve_by", clock_time) if "approve_by" in raw else None,
        on_timeout=check("on_timeout", choice("send", "skip")) if "on_timeout" in raw else None,
    )


def load_job_file(path: Path, default_timezone: str = "UTC") -> JobSpec:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise JobFileError(path, None, f"not valid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise JobFileError(path, None, "not UTF-8 text") from None
    except OSError as exc:
        raise JobFileError(path, None, f"cannot read: {exc.strerror}") from None
    return parse_job(raw, path, default_timezone)


def load_jobs(folder: Path, default_timezone: str = "UTC", include_disabled: bool = False) -> LoadedJobs:
    """Every ``*.toml`` in the folder (sorted): good jobs and one error per bad file."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ConfigError(f"{display_path(folder)}: no such jobs folder (use --jobs DIR)")
    loaded = LoadedJobs(folder=folder)
    seen: dict[str, Path] = {}
    for path in sorted(folder.glob("*.toml")):
        try:
            job = load_job_file(path, default_timezone)
        except JobFileError as exc:
            loaded.errors.append(exc)
            continue
        if job.name in seen:
            loaded.errors.append(
                JobFileError(path, "name", f'"{job.name}" is already used by {display_path(seen[job.name])}')
            )
            continue
        seen[job.name] = path
        if job.enabled or include_disabled:
            loaded.jobs.append(job)
    return loaded


def resolve_jobs_dir(option: str | os.PathLike[str] | None, settings: Settings) -> Path:
    """--jobs DIR, else ./scheduled, else [schedule] jobs_dir (relative to the config file)."""
    if option is not None:
        return Path(option)
    local = Path("scheduled")
    if local.is_dir():
        return local
    configured = settings.resolve(settings.schedule.jobs_dir)
    if configured.is_dir():
        return configured
    raise ConfigError(
        f"no jobs folder: ./scheduled does not exist and neither does [schedule] jobs_dir ({configured}); "
        "use --jobs DIR"
    )


def editors_for(job: JobSpec, settings: Settings) -> tuple[str, ...]:
    editors = job.editors or settings.delivery.editors
    if not editors:
        raise ConfigError(
            f"{job.name}: no editors to send the social copy to: set [delivery] editors in the config "
            f"or editors = [...] in {job.path.name}"
        )
    return tuple(editors)
