"""qmail variants ("X4"): "failure notice" / "Permanent Delivery Failure" in many wordings."""

from __future__ import annotations

import re

from digest.mailing.bounces._text import rx
from digest.mailing.bounces.lhost import qmail
from digest.mailing.bounces.parsed import Head, Parsed
from digest.mailing.bounces.rfc5322 import fillet

_TRYTO = rx(r"\A[(]qmail[ ]+\d+[ ]+invoked[ ]+for[ ]+bounce[)]")
_BACKBONE = rx(r"^---[ ](?:Below this line is a copy of the message|Original message follows)[.]", re.M)
_MESSAGE = rx(
    r"\A(?>He/Her[ ]is[ ]not[ ].+[ ]user"
    r"|Hi[.][ ].+[ ]unable[ ]to[ ]deliver[ ]your[ ]message[ ]to[ ]the[ ]following[ ]addresses"
    r"|Su[ ]mensaje[ ]no[ ]pudo[ ]ser[ ]entregado"
    r"|This[ ]is[ ]the[ ](?:machine[ ]generated[ ]message[ ]from[ ]mail[ ]service|mail[ ]delivery[ ]agent[ ]at)"
    r"|Unable[ ]to[ ]deliver[ ]message[ ]to[ ]the[ ]following[ ]address"
    r"|Unfortunately,[ ]your[ ]mail[ ]was[ ]not[ ]delivered[ ]to[ ]the[ ]following[ ]address:"
    r"|Your[ ](?:mail[ ]message[ ]to[ ]the[ ]following[ ]address|message[ ]to[ ]the[ ]following[ ]addresses)"
    r"|We're[ ]sorry[.])"
)


def make(head: Head, body: str) -> Parsed | None:
    match = head["subject"].startswith(("failure notice", "Permanent Delivery Failure"))
    if not match and not any(_TRYTO.search(r) for r in head.received):
        return None
    report, rfc822 = fillet(body, _BACKBONE)
    c, alterrors = qmail.read(report, lambda e: _MESSAGE.match(e) is not None)
    if not c.recipients:
        return None
    qmail.finish(c, alterrors)
    return Parsed(c.ds, rfc822)
