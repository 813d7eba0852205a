"""G Suite (Google Workspace) relays: "Delivery Status Notification" from googlemail.com."""

from __future__ import annotations

from digest.mailing.bounces._text import lines, rx, sweep
from digest.mailing.bounces.lhost._common import RFC822_BACKBONE, Collector, first_match
from digest.mailing.bounces.parsed import Head, Parsed
from digest.mailing.bounces.rfc5322 import FIELD_TABLE, dsn_field, dsn_match, fillet
from digest.mailing.bounces.smtpcodes import find_reply, find_status

_MESSAGE = rx(r"\A[*][*][ ].+[ ][*][*]\Z")
_ERROR = rx(r"\AThe[ ]response([ ]from[ ]the[ ]remote[ ]server)?[ ]was:\Z")
_MESSAGES = {
    "userunknown": ("because the address couldn't be found. Check for typos or unnecessary spaces and try again.",),
    "notaccept": ("Null MX",),
    "networkerror": (" had no relevant answers.", " responded with code NXDOMAIN"),
}
_DIGITS = rx(r"\A\d+\Z")


def make(head: Head, body: str) -> Parsed | None:
    if "<mailer-daemon@googlemail.com>" not in head["from"]:
        return None
    if "Delivery Status Notification" not in head["subject"] or not head["x-gm-message-state"]:
        return None
    c = Collector()
    report, rfc822 = fillet(body, RFC822_BACKBONE)
    cursor = False
    endoferror = False
    emptylines = 0
    another = ""
    for e in lines(report):
        if not cursor and _MESSAGE.match(e):
            cursor = True
        if not cursor:
            continue
        kind = dsn_match(e)
        if kind:
            o = dsn_field(e)
            if o is None:
                continue
            name, spec, value, group = o
            v = c.ds[-1]
            if group == "addr":
                if name == "final-recipient":
                    v = c.next_record()
                    v["recipient"] = value
                    c.recipients += 1
                else:
                    v["alias"] = value
            elif group == "code":
                v["spec"] = spec
                v["diagnosis"] = value
            elif name in FIELD_TABLE:
                key = FIELD_TABLE[name]
                v[key] = value
                if key == "lhost" and not v["lhost"].startswith("@"):
                    v["lhost"] = ""
                if kind == 1:
                    c.permessage[key] = value
            continue
        v = c.ds[-1]
        if not endoferror and v["diagnosis"]:
            if e == "":
                endoferror = True
            if endoferror:
                continue
            v["diagnosis"] += e
        elif _ERROR.match(e):
            another += e
        elif e.startswith("Content-Type:"):
            continue
        elif another:
            if emptylines > 5:
                continue
            if not e:
                emptylines += 1
                continue
            another += " " + e
        elif _MESSAGE.match(e):
            another = e
    if not c.recipients:
        return None

    for rec in c.ds:
        c.fill_permessage(rec)
        if another:
            rec["diagnosis"] = rec["diagnosis"] or another
            if _DIGITS.match(rec["diagnosis"]):
                rec["diagnosis"] = another
            else:
                status = reply = ""
                if rec["status"] in ("", "5.0.0", "4.0.0"):
                    status = find_status(another)
                    if status and status[-4:] != ".0.0":
                        rec["status"] = status
                if rec["replycode"] in ("", "500", "400"):
                    reply = find_reply(another)
                    if reply and reply[-2:] != "00":
                        rec["replycode"] = reply
                if status or (reply and len(another) > len(rec["diagnosis"])):
                    rec["diagnosis"] = another
        rec["diagnosis"] = sweep(rec["diagnosis"])
        rec["reason"] = first_match(_MESSAGES, rec["diagnosis"]) or rec["reason"]
    return Parsed(c.ds, rfc822)
