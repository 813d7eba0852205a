"""Posting through the post log: the attempt is recorded before the call, the answer after.

``post_logged`` posts one post or a thread's parts in order. A part the log already has as
posted is not sent again (it is reported ``already_posted`` and the next part hangs under it);
a part left ``attempting`` by a crash is sent again where the platform recognises a repeat
(Mastodon's Idempotency-Key, Bluesky's record key), and on X only with ``confirm_unknown``
(a person checked the account): otherwise it is reported ``failed`` with the doubt, and the
thread stops there.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import Engine

from digest.errors import DigestError
from digest.publish import postlog
from digest.publish.base import PostRef, PostRequest, PostResult, Publisher, ReplyTo

UNKNOWN_HINT = (
    "it may have been posted (no answer came back, and {platform} cannot recognise a repeat): "
    "check the account, then re-run with --confirm-unknown to post it anyway"
)


@dataclass(frozen=True)
class Outcome:
    """One post as `digest post --json` reports it."""

    account: str
    platform: str
    part: int
    status: str  # posted | already_posted | failed
    id: str | None = None
    url: str | None = None
    message: str = ""
    log_id: int | None = None
    unknown: bool = False  # failed because an earlier attempt may have gone out (X)
    warnings: tuple[str, ...] = field(default_factory=tuple)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "account": self.account,
            "platform": self.platform,
            "id": self.id,
            "url": self.url,
            "status": self.status,
        }
        if self.part:
            data["part"] = self.part
        if self.message:
            data["message"] = self.message
        if self.log_id is not None:
            data["log_id"] = self.log_id
        if self.warnings:
            data["warnings"] = list(self.warnings)
        return data


def _from_row(row: postlog.LoggedPost, publisher: Publisher) -> Outcome:
    return Outcome(
        publisher.account.name, publisher.platform, row.part, "already_posted", row.platform_id, row.url, log_id=row.id
    )


def post_logged(
    engine: Engine,
    publisher: Publisher,
    parts: Sequence[PostRequest],
    *,
    confirm_unknown: bool = False,
    job: str | None = None,
    extra: Mapping[str, Any] | None = None,
    on_outcome: Callable[[Outcome], None] | None = None,
) -> list[Outcome]:
    """Post ``parts`` in order (each a reply to the one before), at most once each; stop at a failure."""
    outcomes: list[Outcome] = []
    root: PostRef | None = None
    parent: PostRef | None = None

    def done(outcome: Outcome) -> Outcome:
        outcomes.append(outcome)
        if on_outcome is not None:
            on_outcome(outcome)
        return outcome

    for part in parts:
        request = part
        if parent is not None and root is not None:
            request = replace(part, reply_to=ReplyTo(parent=parent, root=root))
        # The insert is the lookup: a new post's row is written (attempting) and committed in one
        # statement; a key already there leaves it untouched and hands back what the log has.
        row, created = postlog.add(engine, request, publisher.platform, postlog.ATTEMPTING, job=job, extra=extra)
        if not created and row.status == postlog.POSTED:
            done(_from_row(row, publisher))
            ref = row.ref
            if ref is None:  # X said "duplicate content" and gave no id: nothing to hang a reply on
                break
            parent, root = ref, root or ref
            continue
        warnings: tuple[str, ...] = ()
        if not created and row.status == postlog.ATTEMPTING:
            request = replace(row.request(), reply_to=request.reply_to)  # exactly what may have gone out
            if not publisher.idempotent:
                if not confirm_unknown:
                    hint = UNKNOWN_HINT.format(platform=publisher.platform)
                    message = f"{row.message}; {hint}" if row.message else hint
                    done(Outcome(publisher.account.name, publisher.platform, part.key.part, "failed",
                                 message=message, log_id=row.id, unknown=True))  # fmt: skip
                    break
                warnings = (
                    f"{publisher.label}: post {row.id} (part {row.part}) may already be on {publisher.platform}; "
                    "posting it again as confirmed: it may appear twice",
                )
        if not created and row.status == postlog.DROPPED:
            done(Outcome(publisher.account.name, publisher.platform, part.key.part, "failed",
                         message="dropped by an editor: not posted", log_id=row.id))  # fmt: skip
            break
        if not created:
            postlog.mark_attempting(engine, row, request)
        try:
            result = publisher.post(request)
        except DigestError as exc:
            postlog.record_error(engine, row.id, str(exc))
            raise
        postlog.record(engine, row.id, result)
        outcome = _outcome(publisher, row.id, result, warnings)
        done(outcome)
        if not result.ok or result.ref is None:
            break
        parent, root = result.ref, root or result.ref
    return outcomes


def _outcome(publisher: Publisher, log_id: int, result: PostResult, warnings: tuple[str, ...]) -> Outcome:
    message = result.message
    if result.uncertain:
        message = f"{message}; {UNKNOWN_HINT.format(platform=publisher.platform)}"
    return Outcome(
        account=publisher.account.name,
        platform=publisher.platform,
        part=result.key.part,
        status=result.status,
        id=result.ref.id if result.ref else None,
        url=result.url,
        message=message,
        log_id=log_id,
        unknown=result.uncertain,
        warnings=warnings + result.warnings,
    )
