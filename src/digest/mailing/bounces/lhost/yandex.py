"""Yandex.Mail: a Postfix-style report from mailer-daemon@yandex.ru."""

from __future__ import annotations

import re

from digest.mailing.bounces._text import lines, rx, sweep
from digest.mailing.bounces.lhost._common import Collector
from digest.mailing.bounces.parsed import Head, Parsed
from digest.mailing.bounces.rfc5322 import fillet

_BACKBONE = rx(r"^Content-Type:[ ]message/rfc822", re.M)
_START = "This is the mail system at host yandex.ru."
_IN_REPLY = rx(r"[ \t][(]in reply to .*([A-Z]{4}).*")
_COMMAND = rx(r"([A-Z]{4})[ \t]*.*command[)]\Z")


def make(head: Head, body: str) -> Parsed | None:
    if not head["x-yandex-uniq"] or head["from"] != "mailer-daemon@yandex.ru":
        return None
    c = Collector()
    report, rfc822 = fillet(body, _BACKBONE)
    cursor = False
    commands: list[str] = []
    p = ""
    for e in lines(report):
        if not cursor:
            cursor = e.startswith(_START)
        elif e and not c.dsn(e):
            if found := (_IN_REPLY.search(e) or _COMMAND.search(e)):
                commands.append(found.group(1))
            else:
                c.continued(p, e)
        p = e
    if not c.recipients:
        return None
    for rec in c.ds:
        c.fill_permessage(rec)
        rec["command"] = commands.pop(0) if commands else ""
        rec["diagnosis"] = sweep(rec["diagnosis"].replace("\n", " "))
    return Parsed(c.ds, rfc822)
