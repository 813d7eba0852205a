"""Pieces every vendor rule shares: the record list, RFC 1894 field lines, finishing touches.

Ported from the common parts of Sisimai 4.25's Lhost modules (BSD-2-Clause, see
LICENSE-sisimai.txt).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from digest.mailing.bounces._text import DeliveryStatus, lines, new_status, rx
from digest.mailing.bounces.rfc5322 import FIELD_TABLE, dsn_field, dsn_match

# Where the returned message starts in most reports.
RFC822_BACKBONE = rx(r"^Content-Type:[ ](?:message/rfc822|text/rfc822-headers)", re.M)
CONTINUED = rx(r"\A[ \t]+(.+)\Z")


class Collector:
    """The growing list of per-recipient records and the per-message DSN fields."""

    __slots__ = ("ds", "permessage", "recipients")

    def __init__(self) -> None:
        self.ds: list[DeliveryStatus] = [new_status()]
        self.permessage: dict[str, str] = {}
        self.recipients = 0

    @property
    def v(self) -> DeliveryStatus:
        return self.ds[-1]

    def next_record(self) -> DeliveryStatus:
        """The record to fill for a new recipient: a fresh one unless the last is unused."""
        if self.ds[-1]["recipient"]:
            self.ds.append(new_status())
        return self.ds[-1]

    def dsn(self, line: str, spec_fix: dict[str, str] | None = None) -> bool:
        """Take an RFC 1894 field line; False when ``line`` is not one."""
        kind = dsn_match(line)
        if not kind:
            return False
        field = dsn_field(line)
        if field is None:
            return True
        name, spec, value, group = field
        v = self.ds[-1]
        if group == "addr":
            if name == "final-recipient":
                v = self.next_record()
                v["recipient"] = value
                self.recipients += 1
            else:
                v["alias"] = value
        elif group == "code":
            v["spec"] = spec_fix.get(spec, spec) if spec_fix else spec
            v["diagnosis"] = value
        else:
            key = FIELD_TABLE.get(name)
            if key is None:
                return True
            v[key] = value
            if kind == 1:
                self.permessage[key] = value
        return True

    def continued(self, previous: str, line: str) -> bool:
        """Append a folded Diagnostic-Code line; False when ``line`` is not one."""
        if not previous.startswith("Diagnostic-Code:"):
            return False
        found = CONTINUED.match(line)
        if not found:
            return False
        self.ds[-1]["diagnosis"] += " " + found.group(1)
        return True

    def fill_permessage(self, e: DeliveryStatus) -> None:
        e["lhost"] = e["lhost"] or self.permessage.get("rhost", "")
        for key, value in self.permessage.items():
            e[key] = e.get(key) or value or ""


def first_match(patterns: Mapping[str, tuple[str, ...]], text: str) -> str:
    """The first key whose any phrase occurs in ``text``, or ''."""
    for key, phrases in patterns.items():
        if any(p in text for p in phrases):
            return key
    return ""


def read_dsn_block(c: Collector, report: str, is_start: Callable[[str], bool]) -> None:
    """The common loop: skip to the marker line, then read DSN fields and folded diagnoses."""
    cursor = False
    p = ""
    for e in lines(report):
        if not cursor:
            cursor = is_start(e)
        elif e and not c.dsn(e):
            c.continued(p, e)
        p = e
