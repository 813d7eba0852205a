"""Email addresses as bounces write them: in angle brackets, quoted, with comments, or bare.

Ported from Sisimai 4.25's Address and RFC5322 modules (BSD-2-Clause, see
LICENSE-sisimai.txt): a forgiving scanner, because bounce text is rarely a valid header.
"""

from __future__ import annotations

import re

from digest.mailing.bounces._text import MAX_LINE, rx

_ATOM = r"[a-zA-Z0-9_!#$%&'*+/=?^`{}~|\-]+"
_QUOTED = r'"(?:\\[^\r\n]|[^\\"])*"'
_LITERAL = r"\[(?:\\[\x01-\x09\x0B-\x0c\x0e-\x7f]|[\x21-\x5a\x5e-\x7e])*\]"
_DOT_ATOM = rf"{_ATOM}(?:[.]{_ATOM})*"
_LOCAL = rf"(?:{_DOT_ATOM}|{_QUOTED})"
_DOMAIN = rf"(?:{_DOT_ATOM}|{_LITERAL})"
_EMAIL_LOOSE = rx(rf"\A{_LOCAL}[.]*[@]{_DOMAIN}\Z")
_CONTROL = rx(r"[\x00-\x1f]")
_MAILER_DAEMON = rx(
    r"(?>(?:mailer-daemon|postmaster)[@]|[<(](?:mailer-daemon|postmaster)[)>]"
    r"|\A(?:mailer-daemon|postmaster)\Z|[ ]?mailer-daemon[ ])"
)
_VALID_EMAIL = rx(r'(?>(?:([^\s]+|["].+?["]))[@](?:([^@\s]+|[0-9A-Za-z:\.]+)))')
_COMMENT_IN_ADDR = rx(r"(.*)([(].+[)])(.*)")
_NON_PRINTABLE = rx(r"[^\x20-\x7e]")
_HAS_AT = rx(r"\A.+[@].+\Z", re.S)
_LEAD = rx(r"\A[\[<{('`]")
_TRAIL = rx(r"[.'`>});]\Z")
_LITERAL_END = rx(r"[@]\[[0-9A-Za-z:\.]+\]\Z")
_QUOTED_LOCAL = rx(r'\A["].+["][@]')

_DELIMITERS = frozenset('<>()",')
_EMAIL_FLAG = 1
_QUOTE_FLAG = 2
_COMMENT_FLAG = 4


def undisclosed(kind: str) -> str:
    local = "recipient" if kind == "r" else "sender"
    return f"undisclosed-{local}-in-headers@libsisimai.org.invalid"


def is_emailaddress(email: str) -> bool:
    if _CONTROL.search(email) or len(email) > 254:
        return False
    return _EMAIL_LOOSE.match(email) is not None


def is_mailerdaemon(email: str) -> bool:
    return _MAILER_DAEMON.search(email.lower()) is not None


def find(text: str) -> list[str]:
    """The addresses in a header-like value, in order (display names and comments dropped).

    Only the first MAX_LINE characters are read: the fallback patterns backtrack.
    """
    text = text.replace("\r", "").replace("\n", "")[:MAX_LINE]
    found: list[dict[str, str]] = []
    v = {"address": "", "name": "", "comment": ""}
    cursor = 0
    p = ""

    def add(field: str, ch: str) -> None:
        v[field or "name"] += ch

    for e in text:
        if e not in _DELIMITERS:
            add(p, e)
            continue
        if e == ",":
            addr = v["address"]
            if addr.startswith("<") and "@" in addr and addr.endswith(">"):
                if cursor & _COMMENT_FLAG:
                    v["comment"] += e
                elif cursor & _QUOTE_FLAG:
                    v["name"] += e
                else:
                    cursor = 0
                    found.append(v)
                    v = {"address": "", "name": "", "comment": ""}
                    p = ""
            else:
                add(p, e)
        elif e == "<":
            if v["address"]:
                add(p, e)
            else:
                cursor |= _EMAIL_FLAG
                v["address"] += e
                p = "address"
        elif e == ">":
            if cursor & _EMAIL_FLAG:
                cursor &= ~_EMAIL_FLAG
                v["address"] += e
                p = ""
            else:
                v["comment" if p else "name"] += e
        elif e == "(":
            if cursor & _EMAIL_FLAG:
                if '"' in v["address"]:
                    v["address"] += e
                else:
                    cursor |= _COMMENT_FLAG
                    if v["comment"].endswith(")"):
                        v["comment"] += " "
                    v["comment"] += e
                    p = "comment"
            elif cursor & _COMMENT_FLAG:
                if v["comment"].endswith(")"):
                    v["comment"] += " "
                v["comment"] += e
            elif cursor & _QUOTE_FLAG:
                v["name"] += e
            else:
                cursor |= _COMMENT_FLAG
                if v["comment"].endswith(")"):
                    v["comment"] += " "
                v["comment"] += e
                p = "comment"
        elif e == ")":
            if cursor & _EMAIL_FLAG:
                if '"' in v["address"]:
                    v["address"] += e
                else:
                    cursor &= ~_COMMENT_FLAG
                    v["comment"] += e
                    p = "address"
            elif cursor & _COMMENT_FLAG:
                cursor &= ~_COMMENT_FLAG
                v["comment"] += e
                p = ""
            else:
                cursor &= ~_COMMENT_FLAG
                v["name"] += e
                p = ""
        else:  # '"'
            if p:
                v[p] += e
            else:
                v["name"] += e
                if cursor & _QUOTE_FLAG and not v["name"].endswith('\\"'):
                    cursor &= ~_QUOTE_FLAG
                    p = ""

    if v["address"]:
        found.append(v)
    else:
        valid = _VALID_EMAIL.search(v["name"])
        recovered = ""
        if valid:
            recovered = valid.group(1) + "@" + valid.group(2)
        elif is_mailerdaemon(v["name"]):
            recovered = v["name"]
        if recovered:
            comment = _COMMENT_IN_ADDR.match(recovered)
            if comment:
                recovered = comment.group(1) + comment.group(3)
            v["address"] = recovered
            found.append(v)

    result: list[str] = []
    for entry in found:
        addr = entry["address"]
        if _NON_PRINTABLE.search(addr):
            continue
        if not _HAS_AT.match(addr) and not is_mailerdaemon(addr):
            continue
        addr = _LEAD.sub("", addr, count=1)
        addr = _TRAIL.sub("", addr, count=1)
        if not _LITERAL_END.search(addr) and addr.endswith("]"):
            addr = addr[:-1]
        if not _QUOTED_LOCAL.match(addr):
            if addr.startswith('"'):
                addr = addr[1:]
            if addr.endswith('"'):
                addr = addr[:-1]
        result.append(addr)
    return result


def s3s4(text: str) -> str:
    """The first address in ``text``, or ``text`` itself when none is found."""
    addrs = find(text)
    return addrs[0] if addrs else text


_USER_AT_HOST = rx(r"\A([^\s]+)[@]([^@]+)\Z", re.S)
_QUOTED_AT_HOST = rx(r'\A(["].+?["])[@]([^@]+)\Z', re.S)


def normalize(address: str) -> str | None:
    """The address a result is reported under, or None when it is not an address at all."""
    if not address:
        return None
    parts = _USER_AT_HOST.match(address) or _QUOTED_AT_HOST.match(address)
    if parts:
        local, domain = parts.group(1), parts.group(2)
        if local.startswith("<"):
            local = local[1:]
        for tail in (">", ",", ".", ";"):
            if domain.endswith(tail):
                domain = domain[:-1]
        return local + "@" + domain
    if not is_mailerdaemon(address) or " " in address:
        return None
    return address
