"""The settings, one frozen dataclass per section of the TOML file, each field with its
default and its check."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from digest.config.values import (
    SOCIAL_PLATFORMS,
    account_name,
    backend_url,
    boolean,
    choice,
    clock_time,
    colour,
    duration,
    integer,
    list_names,
    number,
    one_line,
    optional_http_url,
    optional_long_template,
    optional_one_line,
    optional_template,
    optional_text,
    patterns,
    platform_list,
    platform_name,
    public_base_url,
    rate_limit,
    setting,
    string_list,
    template,
    text,
    timezone,
)
from digest.version import __version__


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
    # Each key point links to its sentence on the source page (a URL text fragment), so a
    # reader can check it in context.
    link_key_points: bool = setting(True, boolean)


@dataclass(frozen=True)
class SocialSettings:
    platforms: tuple[str, ...] = setting(SOCIAL_PLATFORMS, platform_list)
    max_hashtags: int = setting(2, integer(0, 10))
    hashtags: tuple[str, ...] = setting((), string_list)
    mastodon_limit: int = setting(500, integer(100, 100_000))
    utm_campaign: str | None = setting(None, optional_text)
    # Scheduled posts to one account go out at least this far apart, so a feed never floods.
    spacing: str = setting("10m", duration)


@dataclass(frozen=True)
class SocialAccountSettings:
    """One ``[[social.accounts]]`` entry: where to post. Its secrets come from the environment."""

    name: str = setting("", account_name)
    platform: str = setting("", platform_name)
    instance: str | None = setting(None, optional_http_url)  # Mastodon: the server's URL
    handle: str | None = setting(None, optional_text)  # Bluesky: the account's handle
    # Bluesky: its PDS (default https://bsky.social); X: the API root (only proxies and tests change it)
    service: str | None = setting(None, optional_http_url)


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
    # Provider webhooks (/webhooks/ses, /webhooks/mailgun, /webhooks/postmark): requests per
    # client IP; and the SNS topics whose SES notifications are accepted (none: SES refused).
    webhooks_per_ip: str = setting("300/minute", rate_limit)
    ses_topic_arns: tuple[str, ...] = setting((), string_list)


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
    social_accounts: tuple[SocialAccountSettings, ...] = ()  # [[social.accounts]]
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
