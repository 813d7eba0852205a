"""The one schema: every table of the one database, declared in one place.

The archive, the subscriber list and the send log agree on one schema (and one file).
Modules own their queries; this module owns only the tables.
"""

from __future__ import annotations

import base64
import secrets

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()


def new_selector() -> str:
    """16 random bytes, base32 (26 characters, letters and digits): a row's link selector."""
    return base64.b32encode(secrets.token_bytes(16)).decode("ascii").rstrip("=").lower()


articles = Table(
    "articles",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("canonical_url", String(2048), unique=True, nullable=True),
    Column("content_hash", String(64), nullable=False, index=True),
    Column("guid", String(2048), nullable=True, index=True),
    Column("source", String(2048), nullable=False),
    Column("title", Text, nullable=False),
    Column("url", String(2048), nullable=True),
    Column("site", String(512), nullable=True),
    Column("author", String(512), nullable=True),
    Column("language", String(16), nullable=True),
    Column("published", DateTime(timezone=True), nullable=True),
    Column("text", Text, nullable=False),
    Column("related", JSON, nullable=True),
    Column("image", JSON, nullable=True),  # {url, alt, width, height}
    Column("categories", JSON, nullable=True),  # feed categories, page sections
    Column("origin", String(512), nullable=True),  # the configured source's name (sections by source)
    Column("first_seen", DateTime(timezone=True), nullable=False, index=True),
)

feed_state = Table(
    "feed_state",
    metadata,
    Column("url", String(2048), primary_key=True),
    Column("etag", String(512), nullable=True),
    Column("last_modified", String(128), nullable=True),
    Column("content_hash", String(64), nullable=True),  # sha256 of the last body: unchanged = skip
    Column("checked_at", DateTime(timezone=True), nullable=True),
)

digests = Table(
    "digests",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("edition", String(256), nullable=False, unique=True),
    Column("title", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("sent_at", DateTime(timezone=True), nullable=True, index=True),
    Column("subject", Text, nullable=True),
    Column("html", Text, nullable=True),
    Column("text", Text, nullable=True),
    # Review before sending (a job with approve = true): status draft | approved | discarded
    # (NULL: an edition sent without review); the digest as data and the editors' edits, from
    # which the frozen rendering above is rebuilt; the list and job it is for; the deadline.
    Column("status", String(16), nullable=True),
    Column("data", JSON, nullable=True),
    Column("edits", JSON, nullable=True),
    Column("list_name", String(64), nullable=True),
    Column("job", String(256), nullable=True),
    Column("review_by", DateTime(timezone=True), nullable=True),
    Column("on_timeout", String(8), nullable=True),
    Column("decided_at", DateTime(timezone=True), nullable=True),
)

digest_articles = Table(
    "digest_articles",
    metadata,
    Column("digest_id", Integer, ForeignKey("digests.id"), primary_key=True),
    Column("article_id", Integer, ForeignKey("articles.id"), primary_key=True),
    Column("position", Integer, nullable=False),
    # "which digests included this article" and "new since the last sent digest" look up by article.
    Index("ix_digest_articles_article", "article_id"),
)

subscribers = Table(
    "subscribers",
    metadata,
    Column("id", Integer, primary_key=True),
    # the named list the address is on (digest.mailing.lists); the same address may be on several lists
    Column("list", String(64), nullable=False, default="default", server_default="default"),
    Column("email", String(320), nullable=False),
    Column("name", String(256), nullable=True),
    # pending (double opt-in not confirmed) | active | unsubscribed | bounced | complained:
    # only "active" is ever mailed an edition
    Column("status", String(16), nullable=False, default="active", server_default="active"),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("unsubscribed_at", DateTime(timezone=True), nullable=True),
    # The random half of this row's reader links (unsubscribe, confirm, preferences): the links
    # carry it with a MAC, never the address. Filled on insert; see digest.mailing.tokens.
    Column("token", String(32), nullable=True, default=new_selector),
    UniqueConstraint("list", "email", name="uq_subscriber_list_email"),
    UniqueConstraint("token", name="uq_subscribers_token"),
    Index("ix_subscribers_list_status", "list", "status"),
)

sends = Table(
    "sends",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("digest_id", Integer, ForeignKey("digests.id"), nullable=False),
    Column("subscriber_id", Integer, ForeignKey("subscribers.id"), nullable=False),
    Column("status", String(16), nullable=False),  # pending | sent | failed
    Column("attempts", Integer, nullable=False, default=0),
    Column("code", Integer, nullable=True),
    Column("reply", Text, nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    # what a bounce can name: the message's Message-ID and its envelope sender's VERP token
    Column("message_id", String(256), nullable=True, index=True),
    Column("bounce_token", String(32), nullable=True, index=True),
    # the sender working on this row (digest.mailing.claims) and until when, unless it renews
    Column("claimed_by", String(128), nullable=True),
    Column("lease_until", DateTime(timezone=True), nullable=True),
    UniqueConstraint("digest_id", "subscriber_id", name="uq_send_once"),
    # counts by status, and claims: the next owed rows of an edition in id order, read off the index
    Index("ix_sends_digest_status_id", "digest_id", "status", "id"),
    Index("ix_sends_digest_claimed_by", "digest_id", "claimed_by"),
)

consents = Table(
    "consents",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("email", String(320), nullable=False, index=True),
    Column("list", String(64), nullable=False),
    # subscribe (asked, pending) | confirm (double opt-in done) | join | leave (preferences) |
    # unsubscribe (a link, one-click or the page)
    Column("action", String(16), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("form_url", String(2048), nullable=True),
    # The reader's IP address and user agent: kept as is with [web] store_consent_ip, else as
    # an HMAC ("sha256:..."), enough to match a later claim without holding the address itself.
    Column("ip", String(128), nullable=True),
    Column("user_agent", String(512), nullable=True),
)

bounce_events = Table(
    "bounce_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("email", String(320), nullable=False, index=True),
    Column("kind", String(16), nullable=False),  # hard | soft | complaint
    Column("reason", String(64), nullable=True),
    Column("status", String(16), nullable=True),  # the DSN status code, e.g. 5.1.1
    Column("digest_id", Integer, ForeignKey("digests.id"), nullable=True),
    Column("source", String(512), nullable=True),  # where it came from: a message id, a webhook, a send
    Column("received_at", DateTime(timezone=True), nullable=False, index=True),
)

post_log = Table(
    "post_log",
    metadata,
    Column("id", Integer, primary_key=True),
    # What names a post for ever (digest.publish.base.PostKey): the story, the account, the
    # thread part (0: a single post). One row each: a re-run finds it and never posts twice.
    Column("story", String(2048), nullable=False),
    Column("account", String(64), nullable=False),
    Column("part", Integer, nullable=False, default=0),
    Column("platform", String(32), nullable=False),
    # queued (waits for an editor) | approved (goes out at not_before) | attempting (handed to
    # the platform, no answer recorded yet) | posted | failed | dropped
    Column("status", String(16), nullable=False),
    Column("text", Text, nullable=False),
    Column("data", JSON, nullable=True),  # facets, card, language, title, url: the rest of the request
    Column("job", String(256), nullable=True),  # the scheduled job that queued it
    Column("not_before", DateTime(timezone=True), nullable=True),
    Column("attempts", Integer, nullable=False, default=0),
    Column("platform_id", String(512), nullable=True),
    Column("platform_cid", String(256), nullable=True),
    Column("url", String(2048), nullable=True),
    Column("message", Text, nullable=True),  # the platform's reason for a failure, or the doubt
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("posted_at", DateTime(timezone=True), nullable=True),
    UniqueConstraint("story", "account", "part", name="uq_post_once"),
    Index("ix_post_log_status_not_before", "status", "not_before"),
)
