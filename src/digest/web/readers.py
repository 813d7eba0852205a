"""The reader routes: subscribe, confirm, unsubscribe (page and RFC 8058 one-click), preferences.

Every GET here only shows a page: mail scanners and link previews open links, so nothing
changes until a button is pressed. Database work runs in the thread pool.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from digest.errors import DigestError, InputError
from digest.mailing import optin
from digest.mailing.addresses import normalize_email
from digest.mailing.confirmation import send_confirmation
from digest.mailing.consents import Visitor
from digest.mailing.subscribers import ACTIVE, PENDING, Subscriber, find_by_token
from digest.mailing.tokens import TokenExpired
from digest.web.context import WebContext

log = logging.getLogger("digest.web")

_MAX_FIELD = 1024
ONE_CLICK_BODY = "One-Click"


async def read_form(request: Request) -> dict[str, str] | None:
    """The posted fields (first value of each, at most 20 fields); None if not a form."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "application/x-www-form-urlencoded":  # the body is capped by the Guard middleware
        try:
            pairs = parse_qsl((await request.body()).decode("utf-8"), max_num_fields=20, strict_parsing=False)
        except (UnicodeDecodeError, ValueError):
            return None
        fields: dict[str, str] = {}
        for key, value in pairs:
            fields.setdefault(key, value[:_MAX_FIELD])
        return fields
    if kind != "multipart/form-data":
        return None
    try:
        async with request.form(max_files=0, max_fields=20) as form:
            return {k: str(v)[:_MAX_FIELD] for k, v in form.items() if isinstance(v, str)}
    except Exception:  # noqa: BLE001 - a malformed body of any kind is the client's mistake
        return None


def _visitor(request: Request, ctx: WebContext) -> Visitor:
    return Visitor(
        ip=request.client.host if request.client else None,
        user_agent=request.headers.get("user-agent"),
        form_url=ctx.url_for(request, request.url.path),
    )


def _bad_link(ctx: WebContext, exc: InputError) -> Response:
    if isinstance(exc, TokenExpired):
        return ctx.pages.message(
            "This link has expired",
            "Confirmation links work for a limited time. Subscribe again to get a new one.",
            410,
            link={"url": "/subscribe", "label": "Subscribe again"},
        )
    return ctx.pages.message(
        "This link does not work",
        "It may have been cut short or changed on the way. Open it again from the e-mail, "
        "or copy the whole address into your browser.",
        404,
    )


def _too_many(ctx: WebContext, retry_after: int) -> Response:
    response = ctx.pages.message(
        "Too many requests", f"Please wait a little and try again (in about {retry_after} seconds).", 429
    )
    response.headers["retry-after"] = str(retry_after)
    return response


def _csrf_failed(ctx: WebContext) -> Response:
    return ctx.pages.message(
        "Please try again",
        "This form has expired or was sent from another site. Reload the page and send it again.",
        403,
    )


async def _form_limit(request: Request, ctx: WebContext) -> Response | None:
    retry = await ctx.limits.hit(ctx.limits.forms_per_ip, "forms", ctx.client_ip(request))
    return _too_many(ctx, retry) if retry else None


# ---------------------------------------------------------------- subscribe


async def subscribe_page(request: Request) -> Response:
    ctx = WebContext.of(request)
    wanted = request.query_params.get("list")
    try:
        chosen = optin.public_list(ctx.settings, wanted)
    except InputError as exc:
        return ctx.pages.message("No such list", str(exc), 404)
    return ctx.form_page(request, "subscribe", lists=ctx.settings.web.public_lists, chosen=chosen)


async def subscribe(request: Request) -> Response:
    ctx = WebContext.of(request)
    form = await read_form(request)
    if form is None:
        return ctx.pages.message("Not a form", "Send the subscription form from the page.", 400)
    if not ctx.csrf_ok(request, form):
        return _csrf_failed(ctx)
    ip = ctx.client_ip(request)
    retry = await ctx.limits.hit(ctx.limits.subscribe_per_ip, "subscribe-ip", ip)
    if retry:
        return _too_many(ctx, retry)
    if form.get("website"):  # the honeypot: people never see it, bots fill everything in
        log.info("subscribe: honeypot field filled in; dropped")
        return _check_inbox(ctx)
    email_value, name = form.get("email", ""), form.get("name") or None
    try:
        address = normalize_email(email_value)
        list_name = optin.public_list(ctx.settings, form.get("list"))
    except InputError as exc:
        return ctx.form_page(
            request,
            "subscribe",
            400,
            lists=ctx.settings.web.public_lists,
            chosen=form.get("list") or next(iter(ctx.settings.web.public_lists), ""),
            email=email_value,
            name=name,
            error=_reason(exc),
        )
    retry = await ctx.limits.hit(ctx.limits.subscribe_per_address, "subscribe-address", address)
    if retry:
        return _too_many(ctx, retry)
    visitor = _visitor(request, ctx)
    try:
        result = await ctx.write(
            optin.request,
            ctx.engine,
            ctx.settings,
            ctx.signer,
            email=address,
            name=name,
            list_name=list_name,
            visitor=visitor,
        )
    except InputError as exc:
        return ctx.form_page(
            request,
            "subscribe",
            400,
            lists=ctx.settings.web.public_lists,
            chosen=list_name,
            email=email_value,
            name=name,
            error=_reason(exc),
        )
    if result.confirm_token:
        retry = await ctx.limits.hit(ctx.limits.confirm_mails, "confirm-mail", address)
        if retry:
            return _too_many(ctx, retry)
        url = ctx.url_for(request, f"/confirm/{result.confirm_token}")
        try:
            await run_in_threadpool(send_confirmation, ctx.settings, to=address, list_name=list_name, confirm_url=url)
        except DigestError as exc:
            log.error("subscribe: confirmation mail not sent: %s", exc)
            return ctx.pages.message(
                "We could not send the confirmation mail",
                "Something went wrong on our side. Please try again later.",
                503,
            )
    return _check_inbox(ctx)


def _reason(exc: InputError) -> str:
    text = str(exc)
    return text.split(": ", 1)[1] if ": " in text else text


def _check_inbox(ctx: WebContext) -> Response:
    """The same answer for a new, pending or subscribed address: the form tells nobody who reads."""
    return ctx.pages.message(
        "Check your inbox",
        "If that address can subscribe, a mail with a confirmation link is on its way. "
        "Open it and press the button to start receiving the newsletter.",
    )


# ---------------------------------------------------------------- confirm


async def confirm_page(request: Request) -> Response:
    ctx = WebContext.of(request)
    token = request.path_params["token"]
    try:
        found = await run_in_threadpool(optin.check_confirm, ctx.engine, ctx.signer, token)
    except InputError as exc:
        return _bad_link(ctx, exc)
    if found.status == ACTIVE:
        return _subscribed(ctx, found)
    return ctx.form_page(request, "confirm", token=token, email=found.email, list=found.list)


async def confirm(request: Request) -> Response:
    ctx = WebContext.of(request)
    token = request.path_params["token"]
    limited = await _form_limit(request, ctx)
    if limited:
        return limited
    form = await read_form(request)
    if form is None or not ctx.csrf_ok(request, form):
        return _csrf_failed(ctx)
    try:
        found, _changed = await ctx.write(
            optin.confirm, ctx.engine, ctx.settings, ctx.signer, token, _visitor(request, ctx)
        )
    except InputError as exc:
        return _bad_link(ctx, exc)
    return _subscribed(ctx, found)


def _subscribed(ctx: WebContext, found: Subscriber) -> Response:
    return ctx.pages.message(
        "You are subscribed", f"{found.email} will receive {ctx.settings.digest.title}. Thank you!"
    )


# ---------------------------------------------------------------- unsubscribe


async def unsubscribe_page(request: Request) -> Response:
    ctx = WebContext.of(request)
    token = request.path_params["token"]
    try:
        found = await run_in_threadpool(find_by_token, ctx.engine, ctx.settings, token, ctx.signer)
    except InputError as exc:
        return _bad_link(ctx, exc)
    return ctx.form_page(
        request,
        "unsubscribe",
        token=token,
        email=found.email,
        list=found.list,
        subscribed=found.status in (ACTIVE, PENDING),
    )


async def unsubscribe(request: Request) -> Response:
    """The page's button (a form with a CSRF token) or a mail provider's one-click POST."""
    ctx = WebContext.of(request)
    token = request.path_params["token"]
    form = await read_form(request)
    one_click = form is not None and form.get("List-Unsubscribe") == ONE_CLICK_BODY
    if not one_click:
        limited = await _form_limit(request, ctx)
        if limited:
            return limited
        if form is None or not ctx.csrf_ok(request, form):
            return _csrf_failed(ctx)
    try:
        found, _changed = await ctx.write(
            optin.leave, ctx.engine, ctx.settings, ctx.signer, token, _visitor(request, ctx), one_click=one_click
        )
    except InputError as exc:
        if one_click:
            return PlainTextResponse("Unknown or altered unsubscribe link.\n", status_code=404)
        return _bad_link(ctx, exc)
    if one_click:
        return PlainTextResponse("Unsubscribed.\n")
    where = "" if found.list == "default" else f" ({found.list})"
    return ctx.pages.message(
        "You are unsubscribed",
        f"{found.email} will no longer receive {ctx.settings.digest.title}{where}.",
        link={"url": f"/preferences/{token}", "label": "Change your mind, or choose other lists"},
    )


async def unsubscribe_help(request: Request) -> Response:
    """/unsubscribe/ without a token: where the archive's copy of an edition links."""
    ctx = WebContext.of(request)
    return ctx.pages.message(
        "Unsubscribe",
        "Every edition we mail you ends with your own unsubscribe link: open it from the e-mail.",
    )


# ---------------------------------------------------------------- preferences


async def preferences_page(request: Request) -> Response:
    ctx = WebContext.of(request)
    token = request.path_params["token"]
    try:
        found = await run_in_threadpool(find_by_token, ctx.engine, ctx.settings, token, ctx.signer)
        choices = await run_in_threadpool(optin.choices, ctx.engine, ctx.settings, found.email)
    except InputError as exc:
        return _bad_link(ctx, exc)
    return ctx.form_page(request, "preferences", token=token, email=found.email, choices=choices, saved=False)


async def preferences(request: Request) -> Response:
    ctx = WebContext.of(request)
    token = request.path_params["token"]
    limited = await _form_limit(request, ctx)
    if limited:
        return limited
    form, wanted = await _form_lists(request)
    if form is None or not ctx.csrf_ok(request, form):
        return _csrf_failed(ctx)
    try:
        found, choices = await ctx.write(
            optin.update_preferences, ctx.engine, ctx.settings, ctx.signer, token, wanted, _visitor(request, ctx)
        )
    except InputError as exc:
        return _bad_link(ctx, exc)
    return ctx.form_page(request, "preferences", token=token, email=found.email, choices=choices, saved=True)


async def _form_lists(request: Request) -> tuple[Mapping[str, Any] | None, set[str]]:
    """The form and every checked ``list`` box (a field sent several times)."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return None, set()
    try:
        async with request.form(max_files=0, max_fields=64) as form:
            fields = {k: str(v)[:_MAX_FIELD] for k, v in form.items() if isinstance(v, str)}
            wanted = {str(v) for v in form.getlist("list") if isinstance(v, str)}
    except Exception:  # noqa: BLE001 - a malformed body of any kind is the client's mistake
        return None, set()
    return fields, wanted
