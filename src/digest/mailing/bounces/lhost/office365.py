"""Microsoft 365 / Exchange Online: "Undeliverable:" with "Diagnostic information for administrators"."""

from __future__ import annotations

import re

from digest.mailing.bounces._text import lines, rx, sweep
from digest.mailing.bounces.lhost._common import Collector
from digest.mailing.bounces.parsed import Head, Parsed
from digest.mailing.bounces.rfc5322 import FIELD_TABLE, dsn_field, dsn_match, fillet
from digest.mailing.bounces.smtpcodes import find_status

_TRYTO = rx(r"(?<=.)[.](?:outbound[.]protection|prod)[.]outlook[.]com\b")  # ".+" first, without the O(n^2) search
_BACKBONE = rx(r"^Content-Type:[ ]message/rfc822", re.M)
_EOE = rx(r"\A(?:Original[ ][Mm]essage[ ][Hh]eaders:?|Message[ ]Hops)")
_ERROR = rx(r"\A(?:Diagnostic[ ]information[ ]for[ ]administrators:|Error[ ]Details)")
_MESSAGE = rx(
    r"\A(?:Delivery[ ]has[ ]failed[ ]to[ ]these[ ]recipients[ ]or[ ]groups:|Original[ ]Message[ ]Details"
    r"|.+[ ]rejected[ ]your[ ]message[ ]to[ ]the[ ]following[ ]e[-]?mail[ ]addresses:)"
)
_STATUSES = (
    (rx(r"\A4[.]4[.]7\Z"), "expired"),
    (rx(r"\A4[.]4[.]312\Z"), "networkerror"),
    (rx(r"\A4[.]4[.]316\Z"), "expired"),
    (rx(r"\A4[.]7[.]26\Z"), "securityerror"),
    (rx(r"\A4[.]7[.][56]\d\d\Z"), "blocked"),
    (rx(r"\A4[.]7[.]8[5-9]\d\Z"), "blocked"),
    (rx(r"\A5[.]0[.]350\Z"), "contenterror"),
    (rx(r"\A5[.]1[.]10\Z"), "userunknown"),
    (rx(r"\A5[.]4[.]1\Z"), "norelaying"),
    (rx(r"\A5[.]4[.]6\Z"), "networkerror"),
    (rx(r"\A5[.]4[.]312\Z"), "networkerror"),
    (rx(r"\A5[.]4[.]316\Z"), "expired"),
    (rx(r"\A5[.]6[.]11\Z"), "contenterror"),
    (rx(r"\A5[.]7[.]1\Z"), "rejected"),
    (rx(r"\A5[.]7[.]1[23]\Z"), "rejected"),
    (rx(r"\A5[.]7[.]124\Z"), "rejected"),
    (rx(r"\A5[.]7[.]13[3-6]\Z"), "rejected"),
    (rx(r"\A5[.]7[.]23\Z"), "blocked"),
    (rx(r"\A5[.]7[.]25\Z"), "networkerror"),
    (rx(r"\A5[.]7[.]50[1-3]\Z"), "spamdetected"),
    (rx(r"\A5[.]7[.]50[4-5]\Z"), "filtered"),
    (rx(r"\A5[.]7[.]50[6-7]\Z"), "blocked"),
    (rx(r"\A5[.]7[.]508\Z"), "toomanyconn"),
    (rx(r"\A5[.]7[.]509\Z"), "securityerror"),
    (rx(r"\A5[.]7[.]510\Z"), "notaccept"),
    (rx(r"\A5[.]7[.]511\Z"), "rejected"),
    (rx(r"\A5[.]7[.]512\Z"), "securityerror"),
    (rx(r"\A5[.]7[.]57\Z"), "securityerror"),
    (rx(r"\A5[.]7[.]60[6-9]\Z"), "blocked"),
    (rx(r"\A5[.]7[.]6[1-4]\d\Z"), "blocked"),
    (rx(r"\A5[.]7[.]7[0-4]\d\Z"), "toomanyconn"),
)
_RCPT_COMMAND = rx(r"unknown recipient or mailbox unavailable ->.+[<]?.+[@].+[.][a-zA-Z]+[>]?")
_RCPT = (rx(r"\A.+[@].+[<]mailto:(.+[@].+)[>]\Z"), rx(r"\ARecipient[ ]Address:[ ]+(.+)\Z"))
_GENERATING = rx(r"\AGenerating server: (.+)\Z")
_HEADERS = (
    "x-ms-exchange-message-is-ndr",
    "x-microsoft-antispam-prvs",
    "x-exchange-antispam-report-test",
    "x-exchange-antispam-report-cfa-test",
    "x-ms-exchange-crosstenant-originalarrivaltime",
    "x-ms-exchange-crosstenant-fromentityheader",
    "x-ms-exchange-transport-crosstenantheadersstamped",
)


def make(head: Head, body: str) -> Parsed | None:
    match = ("Undeliverable:" in head["subject"]) + sum(bool(head[h]) for h in _HEADERS)
    match += any(_TRYTO.search(r) for r in head.received)
    if "message-id" in head and _TRYTO.search(head["message-id"]):
        match += 1
    if match < 2:
        return None
    c = Collector()
    report, rfc822 = fillet(body, _BACKBONE)
    cursor = False
    endoferror = False
    for e in lines(report):
        if not cursor:
            cursor = _MESSAGE.match(e) is not None
            continue
        if not e:
            continue
        v = c.ds[-1]
        if found := (_RCPT[0].match(e) or _RCPT[1].match(e)):
            v = c.next_record()
            v["recipient"] = found.group(1)
            c.recipients += 1
        elif found := _GENERATING.match(e):
            c.permessage["lhost"] = found.group(1).lower()
        elif endoferror:
            kind = dsn_match(e)
            o = dsn_field(e) if kind else None
            if o is None or o[0] not in FIELD_TABLE or o[0] in ("diagnostic-code", "final-recipient"):
                continue
            v[FIELD_TABLE[o[0]]] = o[2]
            if kind == 1:
                c.permessage[FIELD_TABLE[o[0]]] = o[2]
        elif _ERROR.match(e):
            v["diagnosis"] = e
        elif v["diagnosis"]:
            if _EOE.match(e):
                endoferror = True
                continue
            v["diagnosis"] += " " + e
    if not c.recipients:
        return None
    for rec in c.ds:
        for key, value in c.permessage.items():
            rec[key] = rec.get(key) or value or ""
        rec["diagnosis"] = sweep(rec["diagnosis"])
        if not rec["status"] or rec["status"][-4:] == ".0.0":
            rec["status"] = find_status(rec["diagnosis"]) or rec["status"]
        if _RCPT_COMMAND.search(rec["diagnosis"]):
            rec["command"] = "RCPT"
        if not rec["status"]:
            continue
        for pattern, reason in _STATUSES:
            if pattern.search(rec["status"]):
                rec["reason"] = reason
                break
    return Parsed(c.ds, rfc822)
