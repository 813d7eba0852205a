"""What the vendor rules read (the bounce's headers) and what they hand back."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from digest.mailing.bounces._text import DeliveryStatus


@dataclass(slots=True)
class Head:
    """Header fields of one message, names lower-cased; a missing field reads as ''."""

    fields: dict[str, str] = field(default_factory=dict)
    received: list[str] = field(default_factory=list)

    def __getitem__(self, name: str) -> str:
        return self.fields.get(name, "")

    def __contains__(self, name: object) -> bool:
        return name in self.fields


@dataclass(slots=True)
class Parsed:
    """Per-recipient records from one rule, and the returned message's headers.

    ``rfc822`` is the header text of the returned message, or (for JSON notifications) the
    header fields already picked out.
    """

    ds: list[DeliveryStatus]
    rfc822: str | dict[str, str]


Rule = Callable[[Head, str], "Parsed | None"]
