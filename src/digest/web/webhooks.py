"""POST /webhooks/ses, /webhooks/mailgun and /webhooks/postmark: bounces and complaints that
mail providers report, applied to the subscribers like those read from a bounce mailbox.

Each call must prove where it comes from (an SNS signature on a configured topic, Mailgun's
HMAC, Postmark's basic auth); anything else is answered 401 and changes nothing. They are not
forms, so there is no CSRF token, but the body cap and a per-IP rate limit apply. A provider
sending the same event again (a retry) is answered 200 without applying it twice.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Mapping
from typing import Any, cast

import anyio.to_thread
from sqlalchemy import Engine
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from digest.config import Settings
from digest.mailing.suppression import Incoming, Report, already_recorded, apply
from digest.web.context import WebContext
from digest.web.provider_events import mailgun_events, postmark_events, ses_events
from digest.web.sns import CertificateLoader, SnsError, SnsVerifier, confirm_subscription, is_sns_url
from digest.web.webhook_auth import MailgunSignatures, basic_auth_ok

log = logging.getLogger("digest.web.webhooks")

MAILGUN_KEY_ENV = "DIGEST_MAILGUN_SIGNING_KEY"
POSTMARK_USER_ENV = "DIGEST_POSTMARK_WEBHOOK_USER"
POSTMARK_PASSWORD_ENV = "DIGEST_POSTMARK_WEBHOOK_PASSWORD"


class Webhooks:
    """The verifiers and credentials, made once per app. ``sns_certificates`` and ``sns_confirm``
    replace fetching a signing certificate and visiting a SubscribeURL (tests, pinned setups)."""

    def __init__(
        self,
        settings: Settings,
        *,
        sns_certificates: CertificateLoader | None = None,
        sns_confirm: Callable[[str], None] | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        env = os.environ if env is None else env
        self.sns = SnsVerifier(sns_certificates)
        self.confirm = sns_confirm or confirm_subscription
        self.topics = frozenset(settings.web.ses_topic_arns)
        self.mailgun = MailgunSignatures(env.get(MAILGUN_KEY_ENV) or None)
        self.postmark_user = env.get(POSTMARK_USER_ENV) or None
        self.postmark_password = env.get(POSTMARK_PASSWORD_ENV) or None

    @staticmethod
    def of(request: Request) -> Webhooks:
        return cast(Webhooks, request.app.state.webhooks)


def _refused(provider: str, why: str, status: int = 401) -> Response:
    log.warning("webhook %s refused (%d): %s", provider, status, why)
    headers = (
        {"www-authenticate": 'Basic realm="digest webhooks"'} if provider == "postmark" and status == 401 else None
    )
    return PlainTextResponse(f"{'Unauthorized' if status == 401 else 'Refused'}: {why}\n", status, headers=headers)


async def _limited(request: Request) -> Response | None:
    ctx = WebContext.of(request)
    wait = await ctx.limits.hit(ctx.limits.webhooks_per_ip, "webhooks", ctx.client_ip(request))
    if wait is None:
        return None
    return PlainTextResponse("Too many requests.\n", 429, headers={"retry-after": str(wait)})


async def _body_json(request: Request) -> Any:
    try:
        return json.loads(await request.body())
    except (ValueError, UnicodeDecodeError):
        return None


def _apply_once(engine: Engine, settings: Settings, found: list[Incoming]) -> Report:
    source = found[0].source if found else None
    if source and already_recorded(engine, source):
        return Report()  # the provider sent this event before: applied then
    return apply(engine, settings, found)


async def _apply(request: Request, found: list[Incoming]) -> Response:
    ctx = WebContext.of(request)
    report = await ctx.write(_apply_once, ctx.engine, ctx.settings, found) if found else Report()
    return JSONResponse(report.to_json())


async def ses(request: Request) -> Response:
    if (limited := await _limited(request)) is not None:
        return limited
    hooks = Webhooks.of(request)
    message = await _body_json(request)
    if not isinstance(message, dict):
        return _refused("ses", "not an SNS message")
    try:
        await anyio.to_thread.run_sync(hooks.sns.verify, message)
    except SnsError as exc:
        return _refused("ses", str(exc))
    topic = message.get("TopicArn")
    if topic not in hooks.topics:
        return _refused("ses", f"topic {topic!r} is not in [web] ses_topic_arns", 403)
    kind = message["Type"]
    if kind == "SubscriptionConfirmation":
        url = message.get("SubscribeURL")
        if not is_sns_url(url):
            return _refused("ses", "SubscribeURL is not an https URL on an SNS host", 400)
        try:
            await anyio.to_thread.run_sync(hooks.confirm, str(url))
        except Exception as exc:  # noqa: BLE001 - SNS sends the confirmation again; say why it failed
            log.warning("SNS subscription to %s not confirmed: %s", topic, type(exc).__name__)
            return PlainTextResponse("Could not confirm the subscription.\n", 502)
        log.info("SNS subscription to %s confirmed", topic)
        return PlainTextResponse("Subscription confirmed.\n")
    if kind == "UnsubscribeConfirmation":
        log.warning("SNS: this endpoint was unsubscribed from %s", topic)
        return PlainTextResponse("OK\n")
    try:
        notification = json.loads(message["Message"])
    except ValueError:
        return PlainTextResponse("Not an SES notification: ignored.\n")
    return await _apply(request, ses_events(notification, f"ses:{message.get('MessageId', '?')}"))


async def mailgun(request: Request) -> Response:
    if (limited := await _limited(request)) is not None:
        return limited
    hooks = Webhooks.of(request)
    payload = await _body_json(request)
    if not isinstance(payload, dict):
        return _refused("mailgun", "not a Mailgun webhook call")
    why = hooks.mailgun.check(payload.get("signature"))
    if why is not None:
        return _refused("mailgun", why)
    return await _apply(request, mailgun_events(payload.get("event-data")))


async def postmark(request: Request) -> Response:
    if (limited := await _limited(request)) is not None:
        return limited
    hooks = Webhooks.of(request)
    if not basic_auth_ok(request.headers.get("authorization"), hooks.postmark_user, hooks.postmark_password):
        why = (
            "credentials not configured" if not (hooks.postmark_user and hooks.postmark_password) else "bad credentials"
        )
        return _refused("postmark", why)
    return await _apply(request, postmark_events(await _body_json(request)))
