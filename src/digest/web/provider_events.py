"""What the providers' webhook payloads say, as bounces and complaints to apply.

- Amazon SES (inside an SNS notification): ``Bounce`` with ``bounceType`` Permanent is hard,
  Transient or Undetermined soft; ``Complaint`` is a complaint; ``Delivery`` and the other
  event types are not bounces. The original Message-ID (``mail.commonHeaders.messageId``) and
  envelope sender (``mail.source``, a VERP address) help find the subscriber.
- Mailgun: ``failed`` with severity ``permanent`` is hard when Mailgun calls it a bounce
  (``bounce``, ``suppress-bounce``), else soft; ``temporary`` failures are deferrals Mailgun
  retries itself, not bounces; ``complained`` is a complaint.
- Postmark: bounce types ``HardBounce`` and ``BadEmailAddress`` are hard; ``SoftBounce``,
  ``Transient``, ``DnsError``, ``Blocked`` and ``DMARCPolicy`` soft; ``SpamComplaint`` a
  complaint; the rest (auto-replies, subscribe/unsubscribe requests, challenges...) are not
  bounces.
"""

from __future__ import annotations

from typing import Any

from digest.mailing.suppression import COMPLAINT, HARD, SOFT, Incoming

_SES_REASONS = {
    "noemail": "userunknown",
    "suppressed": "suppressed",
    "onaccountsuppressionlist": "suppressed",
    "mailboxfull": "mailboxfull",
    "messagetoolarge": "mesgtoobig",
    "contentrejected": "contenterror",
    "attachmentrejected": "contenterror",
}
_POSTMARK_KINDS = {
    "HardBounce": HARD,
    "BadEmailAddress": HARD,
    "SoftBounce": SOFT,
    "Transient": SOFT,
    "DnsError": SOFT,
    "Blocked": SOFT,
    "DMARCPolicy": SOFT,
    "SpamComplaint": COMPLAINT,
}


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def ses_events(notification: Any, source: str) -> list[Incoming]:
    """The bounces and complaints in one SES notification (the SNS ``Message``, decoded)."""
    if not isinstance(notification, dict):
        return []
    kind = notification.get("notificationType") or notification.get("eventType")
    mail = _dict(notification.get("mail"))
    common = _dict(mail.get("commonHeaders"))
    message_id = _text(common.get("messageId"))
    sender = _text(mail.get("source"))
    envelope = (sender,) if sender else ()
    found: list[Incoming] = []
    if kind == "Bounce" and isinstance(notification.get("bounce"), dict):
        bounce = notification["bounce"]
        hard = bounce.get("bounceType") == "Permanent"
        subtype = str(bounce.get("bounceSubType") or "").lower()
        reason = _SES_REASONS.get(subtype, "undefined" if hard else "expired")
        for r in _dicts(bounce.get("bouncedRecipients")):
            found.append(
                Incoming(
                    recipient=_text(r.get("emailAddress")),
                    kind=HARD if hard else SOFT,
                    reason=reason,
                    status=_text(r.get("status")),
                    message_id=message_id,
                    envelope_to=envelope,
                    source=source,
                )
            )
    elif kind == "Complaint" and isinstance(notification.get("complaint"), dict):
        for r in _dicts(notification["complaint"].get("complainedRecipients")):
            found.append(
                Incoming(
                    recipient=_text(r.get("emailAddress")),
                    kind=COMPLAINT,
                    reason="feedback",
                    message_id=message_id,
                    envelope_to=envelope,
                    source=source,
                )
            )
    return found


def mailgun_events(event: Any) -> list[Incoming]:
    """The bounce or complaint in one Mailgun ``event-data`` object."""
    if not isinstance(event, dict):
        return []
    name = event.get("event")
    recipient = _text(event.get("recipient"))
    headers = _dict(_dict(event.get("message")).get("headers"))
    message_id = _text(headers.get("message-id"))
    sender = _text(_dict(event.get("envelope")).get("sender"))
    source = f"mailgun:{_text(event.get('id')) or '?'}"
    common = {"message_id": message_id, "envelope_to": (sender,) if sender else (), "source": source}
    if name == "complained":
        return [Incoming(recipient=recipient, kind=COMPLAINT, reason="feedback", **common)]  # type: ignore[arg-type]
    if name != "failed" or event.get("severity") != "permanent":
        return []
    reason = _text(event.get("reason")) or "undefined"
    status = _text(_dict(event.get("delivery-status")).get("enhanced-code"))
    kind = HARD if reason in ("bounce", "suppress-bounce") else SOFT
    return [Incoming(recipient=recipient, kind=kind, reason=reason[:64], status=status, **common)]  # type: ignore[arg-type]


def postmark_events(record: Any) -> list[Incoming]:
    """The bounce or complaint in one Postmark webhook record."""
    if not isinstance(record, dict):
        return []
    kind_name = record.get("Type") if record.get("RecordType", "Bounce") == "Bounce" else record.get("RecordType")
    kind = _POSTMARK_KINDS.get(str(kind_name))
    if kind is None:
        return []
    reason = "feedback" if kind == COMPLAINT else str(kind_name).lower()
    return [
        Incoming(
            recipient=_text(record.get("Email")),
            kind=kind,
            reason=reason,
            source=f"postmark:{record.get('ID', '?')}",
        )
    ]
