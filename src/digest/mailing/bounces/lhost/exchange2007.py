"""Microsoft Exchange Server 2007 and later (on premises): "Undeliverable:" in several languages."""

from __future__ import annotations

import re

from digest.mailing.bounces._text import lines, rx, sweep
from digest.mailing.bounces.lhost._common import Collector
from digest.mailing.bounces.parsed import Head, Parsed
from digest.mailing.bounces.rfc5322 import fillet

_SUBJECT = rx(r"\A(?:Undeliverable|Non_remis_|Non[ ]recapitabile):")
_LANGUAGE = rx(r"\A[a-z]{2}(?:[-][A-Z]{2})?\Z")
_BACKBONE = rx(
    r"^(?:Original[ ]message[ ]headers:|En-t.tes[ ]de[ ]message[ ]d'origine[ ]:"
    r"|Intestazioni[ ]originali[ ]del[ ]messaggio:)",
    re.M,
)
_MESSAGE = rx(
    r"\A(?:Diagnostic[ ]information[ ]for[ ]administrators:"
    r"|Informations[ ]de[ ]diagnostic[ ]pour[ ]les[ ]administrateurs"
    r"|Informazioni[ ]di[ ]diagnostica[ ]per[ ]gli[ ]amministratori)"
)
_ERROR = rx(r"[ ]((?:RESOLVER|QUEUE)[.][A-Za-z]+(?:[.]\w+)?);")
_RHOST = rx(r"\A(?:Generating[ ]server|Serveur[ ]de[ ]g[^ ]+ration[ ]|Server[ ]di[ ]generazione):[ ]?(.*)")
_NDR = {
    "SMTPSEND.DNS.NonExistentDomain": "hostunknown",
    "SMTPSEND.DNS.MxLoopback": "networkerror",
    "RESOLVER.ADR.BadPrimary": "systemerror",
    "RESOLVER.ADR.RecipNotFound": "userunknown",
    "RESOLVER.ADR.ExRecipNotFound": "userunknown",
    "RESOLVER.ADR.RecipLimit": "toomanyconn",
    "RESOLVER.ADR.InvalidInSmtp": "systemerror",
    "RESOLVER.ADR.Ambiguous": "systemerror",
    "RESOLVER.RST.AuthRequired": "securityerror",
    "RESOLVER.RST.NotAuthorized": "rejected",
    "RESOLVER.RST.RecipSizeLimit": "mesgtoobig",
    "QUEUE.Expired": "expired",
}
_RCPT = rx(r"\A([^ @]+[@][^ @]+)\Z")
_CODES = rx(r"([45]\d{2})[ ]([45][.]\d[.]\d+)[ ].+\Z")


def make(head: Head, body: str) -> Parsed | None:
    if not _SUBJECT.match(head["subject"]) or "content-language" not in head:
        return None
    if not _LANGUAGE.match(head["content-language"]):
        return None
    if head["x-ms-exchange-crosstenant-originalarrivaltime"] or head["x-ms-exchange-crosstenant-fromentityheader"]:
        return None
    c = Collector()
    report, rfc822 = fillet(body, _BACKBONE)
    cursor = False
    rhost = ""
    for e in lines(report):
        if not cursor:
            cursor = _MESSAGE.match(e) is not None
            continue
        if rhost:
            v = c.ds[-1]
            if found := _RCPT.match(e):
                v = c.next_record()
                v["recipient"] = found.group(1)
                c.recipients += 1
            elif found := _CODES.search(e):
                v["replycode"], v["status"], v["diagnosis"] = found.group(1), found.group(2), e
            elif v["diagnosis"].endswith("="):
                v["diagnosis"] = v["diagnosis"][:-1] + e
        elif found := _RHOST.match(e):
            rhost = found.group(1) or " "
    if not c.recipients:
        return None
    for rec in c.ds:
        if found := _ERROR.search(rec["diagnosis"]):
            rec["reason"] = _NDR.get(found.group(1), rec["reason"])
        rec["diagnosis"] = sweep(rec["diagnosis"])
    return Parsed(c.ds, rfc822)
