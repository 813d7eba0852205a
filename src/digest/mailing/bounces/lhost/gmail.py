"""Gmail (consumer): "Delivery Status Notification (Failure)" in Google's prose format."""

from __future__ import annotations

import re

from digest.mailing.bounces import address
from digest.mailing.bounces._text import lines, rx, sweep
from digest.mailing.bounces.lhost._common import Collector, first_match
from digest.mailing.bounces.parsed import Head, Parsed
from digest.mailing.bounces.rfc5322 import fillet
from digest.mailing.bounces.smtpcodes import find_status, status_name

_BACKBONE = rx(r"^[ ]*-----[ ](?:Original[ ]message|Message[ ]header[ ]follows)[ ]-----", re.M)
_START = "Delivery to the following recipient"
_MESSAGES = {
    "expired": (
        "DNS Error: Could not contact DNS servers",
        "Delivery to the following recipient has been delayed",
        "The recipient server did not accept our requests to connect",
    ),
    "hostunknown": ("DNS Error: Domain name not found", "DNS Error: DNS server returned answer with no data"),
}
_STATES = {
    "6": ("MAIL", "systemerror"),
    "8": ("AUTH", "systemerror"),
    "9": ("AUTH", "systemerror"),
    "12": ("AUTH", "relayingdenied"),
    "13": ("EHLO", "blocked"),
    "14": ("RCPT", "userunknown"),
    "15": ("DATA", "filtered"),
    "17": ("DATA", "filtered"),
    "18": ("DATA", "filtered"),
}
_RCPT = rx(r"\A[ \t]+([^ ]+[@][^ ]+)\Z")
_BY_HOST = rx(r"[ \t]+by[ \t]+([^ ]+)[.][ \t]+\[(\d+[.]\d+[.]\d+[.]\d+)\][.]")
_HOSTNAME = rx(r"[-0-9a-zA-Z]+[.][a-zA-Z]+\Z")
_STATE = rx(r"[(]state[ ](\d+)[)][.]")
_DETAILED = rx(r"\A[45][.][1-7][.][1-9]\Z")


def make(head: Head, body: str) -> Parsed | None:
    if "<mailer-daemon@googlemail.com>" not in head["from"]:
        return None
    if "Delivery Status Notification" not in head["subject"]:
        return None
    c = Collector()
    report, rfc822 = fillet(body, _BACKBONE)
    cursor = False
    for e in lines(report):
        if not cursor and e.startswith(_START):
            cursor = True
        if not cursor or not e:
            continue
        v = c.ds[-1]
        if found := _RCPT.match(e):
            v = c.next_record()
            r = address.s3s4(found.group(1))
            if not address.is_emailaddress(r):
                continue
            v["recipient"] = r
            c.recipients += 1
        else:
            v["diagnosis"] += e + " "
    if not c.recipients:
        return None
    for rec in c.ds:
        rec["diagnosis"] = sweep(rec["diagnosis"])
        if not rec["rhost"] and (found := _BY_HOST.search(rec["diagnosis"])):
            rec["rhost"] = found.group(1) if _HOSTNAME.search(found.group(1)) else found.group(2)
        state = _STATE.search(rec["diagnosis"])
        if state and state.group(1) in _STATES:
            rec["command"], rec["reason"] = _STATES[state.group(1)]
        else:
            rec["reason"] = first_match(_MESSAGES, rec["diagnosis"]) or rec["reason"]
        if not rec["reason"]:
            continue
        rec["status"] = find_status(rec["diagnosis"])
        if _DETAILED.match(rec["status"]):
            rec["reason"] = status_name(rec["status"])
    return Parsed(c.ds, rfc822)
