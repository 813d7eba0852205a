"""Local delivery agents (dovecot, mail.local, procmail, maildrop, vpopmail, vmailmgr) that
say why a message could not be put into a mailbox in their own words.

Ported from Sisimai 4.25's MDA module (BSD-2-Clause, see LICENSE-sisimai.txt).
"""

from __future__ import annotations

from dataclasses import dataclass

from digest.mailing.bounces._text import lines, rx
from digest.mailing.bounces.parsed import Head

_FROM = rx(r"\A(?:mail delivery subsystem|mailer-daemon|postmaster)")
_AGENTS = {
    "dovecot": rx(r"\AYour message to [^ ]+ was automatically rejected:\Z"),
    "mail.local": rx(r"\Amail[.]local: "),
    "procmail": rx(r"\Aprocmail: "),
    "maildrop": rx(r"\Amaildrop: "),
    "vpopmail": rx(r"\Avdelivermail: "),
    "vmailmgr": rx(r"\Avdeliver: "),
}
_MESSAGE = rx(
    r"\A(?>Your[ ]message[ ]to[ ][^ ]+[ ]was[ ]automatically[ ]rejected:\Z"
    r"|(?:mail[.]local|procmail|maildrop|vdelivermail|vdeliver):[ ])"
)
_MESSAGES: dict[str, dict[str, tuple[str, ...]]] = {
    "dovecot": {
        "userunknown": ("mailbox doesn't exist: ",),
        "mailboxfull": ("quota exceeded", "quota exceeded (mailbox for user is full)", "not enough disk space"),
    },
    "mail.local": {
        "userunknown": (": unknown user:", ": user unknown", ": invalid mailbox path", ": user missing home directory"),
        "mailboxfull": ("disc quota exceeded", "mailbox full or quota exceeded"),
        "systemerror": ("temporary file write error",),
    },
    "procmail": {
        "mailboxfull": ("quota exceeded while writing",),
        "systemfull": ("no space left to finish writing",),
    },
    "maildrop": {
        "userunknown": ("invalid user specified.", "cannot find system user"),
        "mailboxfull": ("maildir over quota.",),
    },
    "vpopmail": {
        "userunknown": ("sorry, no mailbox here by that name.",),
        "filtered": ("account is locked email bounced", "user does not exist, but will deliver to "),
        "mailboxfull": ("domain is over quota", "user is over quota"),
    },
    "vmailmgr": {
        "userunknown": (
            "invalid or unknown base user or domain",
            "invalid or unknown virtual user",
            "user name does not refer to a virtual user",
        ),
        "mailboxfull": ("delivery failed due to system quota violation",),
    },
}


@dataclass(slots=True)
class MdaResult:
    mda: str
    reason: str
    message: str


def make(head: Head, body: str) -> MdaResult | None:
    if not _FROM.match(head["from"].lower()) or not body:
        return None
    agent = ""
    buffered: list[str] = []
    for e in lines(body):
        if not agent:
            if not e or not _MESSAGE.match(e):
                continue
            agent = next((name for name, pattern in _AGENTS.items() if pattern.match(e)), "")
        buffered.append(e)
        if not e:
            break
    if not agent or not buffered:
        return None
    for reason, texts in _MESSAGES[agent].items():
        for line in buffered:
            if any(t in line.lower() for t in texts):
                return MdaResult(agent, reason, line)
    return MdaResult(agent, "", "")
