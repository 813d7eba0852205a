"""Vendor rules ("local hosts"): one module per MTA or provider report format.

Each module has ``make(head, body) -> Parsed | None`` and returns None unless it recognises the
message. Ported from Sisimai 4.25's Lhost modules (BSD-2-Clause, see ../LICENSE-sisimai.txt).
"""

from __future__ import annotations

import importlib

from digest.mailing.bounces.parsed import Rule

# The order rules are tried in when the Subject gives no hint (first the formats whose
# markers are most specific).
ORDER: tuple[str, ...] = (
    "MailRu",
    "Yandex",
    "Exim",
    "Sendmail",
    "Aol",
    "Office365",
    "Exchange2007",
    "Exchange2003",
    "AmazonWorkMail",
    "AmazonSES",
    "Barracuda",
    "InterScanMSS",
    "KDDI",
    "SurfControl",
    "Verizon",
    "ApacheJames",
    "X2",
    "X5",
    "FML",
    "Postfix",
    "GSuite",
    "Yahoo",
    "Outlook",
    "GMX",
    "MessagingServer",
    "EinsUndEins",
    "Domino",
    "Notes",
    "qmail",
    "Courier",
    "OpenSMTPD",
    "Zoho",
    "MessageLabs",
    "MXLogic",
    "MailFoundry",
    "McAfee",
    "V5sendmail",
    "mFILTER",
    "SendGrid",
    "ReceivingSES",
    "Amavis",
    "PowerMTA",
    "GoogleGroups",
    "Gmail",
    "EZweb",
    "IMailServer",
    "MailMarshalSMTP",
    "Activehunter",
    "Bigfoot",
    "Biglobe",
    "Facebook",
    "X4",
    "X1",
    "X3",
    "X6",
)


def _load() -> dict[str, Rule]:
    rules: dict[str, Rule] = {}
    for name in ORDER:
        try:
            module = importlib.import_module(f"{__name__}.{name.lower()}")
        except ModuleNotFoundError:
            continue
        rules[name] = module.make
    return rules


RULES: dict[str, Rule] = _load()
