"""The double opt-in mail: one link to a page whose button confirms the subscription.

Its own templates (``email/confirm.txt.j2`` and ``email/confirm.html.j2``, overridable like
the edition's), sent through the configured backend with the same header checks as any
notice. No List-Unsubscribe: the reader is not on the list yet.
"""

from __future__ import annotations

from email.message import EmailMessage

from digest.config import Settings
from digest.deliver.base import BaseBackend
from digest.errors import DeliveryError
from digest.mailing.notice import compose_notice, deliver_notice
from digest.render.templates import make_environment, template_errors


def confirmation_message(settings: Settings, *, to: str, list_name: str, confirm_url: str) -> EmailMessage:
    context = {
        "title": settings.digest.title,
        "list": list_name,
        "confirm_url": confirm_url,
        "days": settings.web.confirm_days,
        "email": to,
        "accent": settings.web.accent_color,
    }
    with template_errors():
        text = make_environment(settings, autoescape=False).get_template("email/confirm.txt.j2").render(context)
        html = make_environment(settings).get_template("email/confirm.html.j2").render(context)
    subject = f"Confirm your subscription to {settings.digest.title}"
    return compose_notice(settings, to=[to], subject=subject, text=text, html=html)


def send_confirmation(
    settings: Settings, *, to: str, list_name: str, confirm_url: str, backend: BaseBackend | None = None
) -> None:
    """Mail it now; DeliveryError when the backend refused it."""
    message = confirmation_message(settings, to=to, list_name=list_name, confirm_url=confirm_url)
    _, failures = deliver_notice(settings, message, [to], backend)
    if failures:
        raise DeliveryError(f"confirmation mail: not sent: {failures[0]}")
