"""Messages that are not an edition: the social copy for editors, and other one-off notices.

They go through the same header checks as an edition (no CR or LF in any header, the From and
every To address validated: ``message.Sender``, ``check_header``), the same serialization
(CRLF, quoted-printable bodies, so no line is ever too long for SMTP) and the same backends.
"""

from __future__ import annotations

import email.policy
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from digest.config import Settings
from digest.deliver.base import BaseBackend, OutgoingMessage
from digest.deliver.registry import backend_from_url
from digest.errors import ConfigError, InputError
from digest.mailing.addresses import normalize_email
from digest.mailing.message import Sender, check_header
from digest.sanitize import header_text


def compose_notice(
    settings: Settings,
    *,
    to: Sequence[str],
    subject: str,
    text: str,
    html: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> EmailMessage:
    """A multipart (text, then HTML if given) message from the configured sender to ``to``."""
    sender = Sender.from_settings(settings)
    try:
        recipients = [normalize_email(address) for address in to]
    except InputError as exc:
        raise ConfigError(f"recipient: {exc}") from None
    msg = EmailMessage(policy=email.policy.SMTP)
    msg["Subject"] = check_header("Subject", " ".join(header_text(subject).split()))
    msg["From"] = sender.from_header()
    msg["To"] = ", ".join(recipients)
    if sender.reply_to:
        msg["Reply-To"] = sender.reply_to
    msg["Date"] = format_datetime(datetime.now(UTC))
    msg["Message-ID"] = make_msgid(domain=sender.domain)
    for name, value in (headers or {}).items():
        msg[name] = check_header(name, value)
    msg.set_content(text, cte="quoted-printable")
    if html is not None:
        msg.add_alternative(html, subtype="html", cte="quoted-printable")
    return msg


def deliver_notice(
    settings: Settings, message: EmailMessage, recipients: Sequence[str], backend: BaseBackend | None = None
) -> tuple[list[str], list[str]]:
    """One copy per recipient through the configured backend: (delivered to, failure reasons)."""
    data = message.as_bytes(policy=email.policy.SMTP)
    sender = Sender.from_settings(settings).from_address
    outgoing = [
        OutgoingMessage(sender=sender, recipient=r, data=data, message_id=str(message["Message-ID"]), ref=r)
        for r in recipients
    ]
    backend = backend or backend_from_url(settings.delivery.backend, settings)
    delivered: list[str] = []
    failures: list[str] = []
    with backend:
        for result in backend.deliver(outgoing):
            if result.ok:
                delivered.append(result.message.recipient)
            else:
                failures.append(f"{result.message.recipient}: {result.code or ''} {result.reply}".strip())
    return delivered, failures
