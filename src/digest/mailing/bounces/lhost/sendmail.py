"""Sendmail (V8): "see transcript for details" with an SMTP transcript and a DSN part."""

from __future__ import annotations

from digest.mailing.bounces._text import lines, rx, sweep
from digest.mailing.bounces.lhost._common import RFC822_BACKBONE, Collector
from digest.mailing.bounces.parsed import Head, Parsed
from digest.mailing.bounces.rfc5322 import fillet

_SUBJECT = rx(r"(?:see transcript for details\Z|\AWarning: )")
_START = "   ----- Transcript of session follows -----"
_ERROR = "... while talking to "
_SENT = rx(r"\A[>]{3}[ ]+([A-Z]{4})[ ]?")
_RECEIVED = rx(r"\A[<]{3}[ ]+(.+)\Z")
_RCPT = rx(r"\A[<](.+)[>][.]+ (.+)\Z")
_STATUS_LINE = rx(r"\A[45]\d\d[ \t]([45][.]\d[.]\d)[ \t].+")
_BLANK = rx(r"\A[ \t]+\Z")
_DIGITS = rx(r"\A\d+\Z")
_FULL_STATUS = rx(r"\A[45][.]\d[.]\d{1,3}\Z")
_ADDRESS = rx(r"\A[^ ]+[@][^ ]+\Z")
_IN_BRACKETS = rx(r"[<]([^ ]+[@][^ ]+)[>]")


def make(head: Head, body: str) -> Parsed | None:
    if not _SUBJECT.search(head["subject"]) or head["x-aol-ip"]:
        return None
    c = Collector()
    report, rfc822 = fillet(body, RFC822_BACKBONE)
    cursor = False
    command = ""
    replies: list[str] = []
    sessionerr = False
    another: dict[str, str] = {}
    p = ""
    for e in lines(report):
        if not cursor:
            cursor = e.startswith(_START)
            p = e
            continue
        if not e:
            p = e
            continue
        if c.dsn(e):
            p = e
            continue
        if not e.startswith(" "):
            if found := _SENT.match(e):
                command = found.group(1)
            elif found := _RECEIVED.match(e):
                if found.group(1) not in replies:
                    replies.append(found.group(1))
            elif not sessionerr:
                if e.startswith(_ERROR):
                    sessionerr = True
                elif found := _RCPT.match(e):
                    another["recipient"], another["diagnosis"] = found.group(1, 2)
                elif found := _STATUS_LINE.match(e):
                    another["status"] = found.group(1)
                    another["diagnosis"] = another.get("diagnosis", "") + " " + e
                elif e.startswith(("Message: ", "Warning: ")):
                    another["diagnosis"] = another.get("diagnosis", "") + " " + e
        else:
            c.continued(p, e)
        p = e
    if not c.recipients:
        return None

    for rec in c.ds:
        c.fill_permessage(rec)
        rec["command"] = rec["command"] or command or ("EHLO" if replies else "")
        alt = another.get("diagnosis", "")
        if alt:
            if _BLANK.match(rec["diagnosis"]):
                rec["diagnosis"] = alt
            rec["diagnosis"] = rec["diagnosis"] or alt
            if _DIGITS.match(rec["diagnosis"]):
                rec["diagnosis"] = alt
        if replies:
            joined = " ".join(replies)
            if len(joined) > len(rec["diagnosis"]):
                rec["diagnosis"] = joined
        rec["diagnosis"] = sweep(rec["diagnosis"])
        if another.get("status") and not _FULL_STATUS.match(rec["status"]):
            rec["status"] = another["status"]
        if _ADDRESS.match(rec["recipient"]):
            continue
        if found := _IN_BRACKETS.search(rec["diagnosis"]):
            rec["recipient"] = found.group(1)
    return Parsed(c.ds, rfc822)
