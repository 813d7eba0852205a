"""Delivery: the backend interface, the built-in backends, message building, unsubscribe tokens.

``backend_from_url(url, settings)`` picks a backend by URL scheme (plugins through the
``digest.backends`` entry points); ``MessageFactory`` builds each recipient's message.
"""

from digest.deliver.base import BaseBackend, Journal, OutgoingMessage, SendResult, redact_url
from digest.deliver.registry import backend_from_url, known_schemes

__all__ = [
    "BaseBackend",
    "Journal",
    "OutgoingMessage",
    "SendResult",
    "backend_from_url",
    "known_schemes",
    "redact_url",
]
