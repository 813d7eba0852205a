"""What a fire did: the record the scheduler logs and `digest schedule run-once --json` prints."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class RunOutcome:
    """What a fire did; logged by the scheduler, printed by run-once --json."""

    job: str
    kind: str
    edition: str
    fire_time: str
    status: str  # sent | partial | skipped | duplicate | failed | interrupted | draft
    reason: str = ""
    sent: int = 0
    failed: int = 0
    skipped: int = 0
    digest_id: int | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status not in {"failed", "partial"}

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
