"""One recipient's failure as the reason rules see it, after the vendor rules have run."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class Record:
    recipient: str
    reason: str = ""
    deliverystatus: str = ""
    diagnosticcode: str = ""
    diagnostictype: str = ""
    smtpcommand: str = ""
    replycode: str = ""
    action: str = ""
    rhost: str = ""
    lhost: str = ""
    agent: str = ""
    feedbacktype: str = ""
    softbounce: str = ""

    @property
    def destination(self) -> str:
        return self.recipient.rpartition("@")[2] if "@" in self.recipient else ""
