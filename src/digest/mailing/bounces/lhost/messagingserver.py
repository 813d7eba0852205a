"""Oracle (Sun) Communications Messaging Server: "Delivery Notification: Delivery has failed"."""

from __future__ import annotations

import re

from digest.mailing.bounces import address
from digest.mailing.bounces._text import lines, rx, sweep
from digest.mailing.bounces.lhost._common import Collector, first_match
from digest.mailing.bounces.parsed import Head, Parsed
from digest.mailing.bounces.rfc5322 import fillet

_BACKBONE = rx(r"^(?:Content-type:[ \t]*message/rfc822|Return-path:[ \t]*)", re.M)
_START = "This report relates to a message you sent with the following header fields:"
_MESSAGES = {"hostunknown": ("Illegal host/domain name found",)}
_RCPT = rx(r"\A[ \t]+Recipient address:[ \t]*([^ ]+[@][^ ]+)\Z")
_ORIGINAL = rx(r"\A[ \t]+Original address:[ \t]*([^ ]+[@][^ ]+)\Z")
_DATE = rx(r"\A[ \t]+Date:[ \t]*(.+)\Z")
_REASON = rx(r"\A[ \t]+Reason:[ \t]*(.+)\Z")
_DIAG = rx(r"\A[ \t]+Diagnostic code:[ \t]*([^ ]+);(.+)\Z")
_REMOTE = rx(r"\A[ \t]+Remote system:[ \t]*dns;([^ ]+)[ \t]*([^ ]+)[ \t]*.+\Z")
_DOTTED = rx(r"[^.]+[.][^.]+")
_STATUS = rx(r"\AStatus:[ \t]*(\d[.]\d[.]\d)[ \t]*[(](.+)[)]\Z")
_ARRIVAL = rx(r"\AArrival-Date:[ ]*(.+)\Z")
_REPORTING = rx(r"\AReporting-MTA:[ ]*(?:DNS|dns);[ ]*(.+)\Z")
_FQDN = rx(r"[^.]+[.][^ ]+")


def make(head: Head, body: str) -> Parsed | None:
    if "Boundary_(ID_" not in head["content-type"] and not head["subject"].startswith("Delivery Notification: "):
        return None
    c = Collector()
    report, rfc822 = fillet(body, _BACKBONE)
    cursor = False
    for e in lines(report):
        if not cursor:
            cursor = e.startswith(_START)
            continue
        if not e:
            continue
        v = c.ds[-1]
        if found := _RCPT.match(e):
            v = c.next_record()
            v["recipient"] = address.s3s4(found.group(1))
            c.recipients += 1
        elif found := _ORIGINAL.match(e):
            v["recipient"] = address.s3s4(found.group(1))
        elif found := _DATE.match(e):
            v["date"] = found.group(1)
        elif found := _REASON.match(e):
            v["diagnosis"] = found.group(1)
        elif found := _DIAG.match(e):
            v["spec"], v["diagnosis"] = found.group(1).upper(), found.group(2)
        elif found := _REMOTE.match(e):
            remotehost, sessionlog = found.group(1, 2)
            v["rhost"] = remotehost
            # The original pattern's unescaped "|" makes this: lhost is the log unless it is "(TCP...".
            v["lhost"] = "" if sessionlog.startswith("(TCP") else sessionlog
            if not _DOTTED.search(remotehost):
                v["rhost"] = ""
        elif found := _STATUS.match(e):
            v["status"] = found.group(1)
            v["diagnosis"] = v["diagnosis"] or found.group(2)
        elif found := _ARRIVAL.match(e):
            v["date"] = v["date"] or found.group(1)
        elif found := _REPORTING.match(e):
            localhost = found.group(1)
            v["lhost"] = v["lhost"] or localhost
            if not _FQDN.search(v["lhost"]):
                v["lhost"] = localhost
    if not c.recipients:
        return None
    for rec in c.ds:
        rec["diagnosis"] = sweep(rec["diagnosis"])
        rec["reason"] = first_match(_MESSAGES, rec["diagnosis"]) or rec["reason"]
    return Parsed(c.ds, rfc822)
