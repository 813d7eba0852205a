"""The fallback for any MTA: RFC 3464 delivery status fields, else addresses in bounce prose.

Tried after every vendor rule has declined. Ported from Sisimai 4.25's RFC3464 module
(BSD-2-Clause, see LICENSE-sisimai.txt).
"""

from __future__ import annotations

import re

from digest.mailing.bounces import address, mda
from digest.mailing.bounces._text import lines, new_status, rx, sweep
from digest.mailing.bounces.parsed import Head, Parsed
from digest.mailing.bounces.smtpcodes import find_status

_COMMAND = rx(r"[ ](RCPT|MAIL|DATA)[ ]+command\b")
_MESSAGE = rx(
    r"\A(?>content-type:[ ]*(?:message/x?delivery-status|message/disposition-notification|text/plain;[ ]charset=)"
    r"|the[ ]original[ ]message[ ]was[ ]received[ ]at[ ]"
    r"|this[ ]report[ ]relates[ ]to[ ]your[ ]message"
    r"|your[ ]message[ ](?:could[ ]not[ ]be[ ]delivered|was[ ]not[ ]delivered[ ]to[ ]the[ ]following[ ]recipients))"
)
_ERROR = rx(r"\A(?:[45]\d\d[ \t]+|[<][^@]+[@][^@]+[>]:?[ \t]+)")
_RFC822 = rx(r"\A(?>content-type:[ ]*(?:message/rfc822|text/rfc822-headers)|return-path:[ ]*[<].+[>])\Z")

_RECIPIENT = rx(r"\A(Original|Final)-[Rr]ecipient:[ ]*.+;[ ]*([^ ]+)\Z")
_ACTUAL = rx(r"\AX-Actual-Recipient:[ ]*(?:RFC|rfc)822;[ ]*([^ ]+)\Z")
_ACTION = rx(r"\AAction:[ ]*(.+)\Z")
_ACTION_WORD = rx(r"\A([^ ]+)[ ]")
_STATUS = rx(r"\AStatus:[ ]*(\d[.]\d+[.]\d+)")
_STATUS_TEXT = rx(r"\AStatus:[ ]*(\d+[ ]+.+)\Z")
_REMOTE = rx(r"Remote-MTA:[ ]*(?:DNS|dns);[ ]*(.+)\Z")
_LAST_ATTEMPT = rx(r"\ALast-Attempt-Date:[ ]*(.+)\Z")
_DIAG_TYPED = rx(r"\ADiagnostic-Code:[ ]*(.+?);[ ]*(.+)\Z")
_DIAG = rx(r"\ADiagnostic-Code:[ ]*(.+)\Z")
_CONTINUED = rx(r"\A[ \t]+(.+)\Z")
_REPORTING = rx(r"\AReporting-MTA:[ ]*(?:DNS|dns);[ ]*(.+)\Z")
_RECEIVED_FROM = rx(r"\AReceived-From-MTA:[ ]*(?:DNS|dns);[ ]*(.+)\Z")
_ARRIVAL = rx(r"\AArrival-Date:[ ]*(.+)\Z")
_DASHES = rx(r"\A[ -]+")

_FROM_DAEMON = rx(r"\b(?:postmaster|mailer-daemon|root)[@]")
_SUBJECT = rx(
    r"(?>delivery[ ](?:failed|failure|report)|failure[ ]notice|mail[ ](?:delivery|error)|non[-]delivery"
    r"|returned[ ]mail|undeliverable[ ]mail|warning:[ ])"
)
_RETURN_PATH = rx(r"(?:[<][>]|mailer-daemon)")
_SKIP = rx(
    r"(?>\A[-]+=|\A\s+\Z|\A\s*--|\A\s+[=]\d+|\Ahi[ ][!]"
    r"|content-(?:description|disposition|transfer-encoding|type):[ ]|(?:name|charset)=|--\Z|:[ ]--------)"
)
_STOP = rx(
    r"(?:\A[*][*][*][ ].+[ ].+[ ][*][*][*]"
    r"|\Acontent-type:[ ]message/delivery-status"
    r"|\Ahere[ ]is[ ]a[ ]copy[ ]of[ ]the[ ]first[ ]part[ ]of[ ]the[ ]message"
    r"|\Athe[ ]non-delivered[ ]message[ ]is[ ]attached[ ]to[ ]this[ ]message."
    r"|\Areceived:[ \t]*|\Areceived-from-mta:[ \t]*|\Areporting-mta:[ \t]*|\Areturn-path:[ \t]*"
    r"|\Aa[ ]copy[ ]of[ ]the[ ]original[ ]message[ ]below[ ]this[ ]line:"
    r"|attachment[ ]is[ ]a[ ]copy[ ]of[ ]the[ ]message"
    r"|below[ ]is[ ]a[ ]copy[ ]of[ ]the[ ]original[ ]message:"
    r"|below[ ]this[ ]line[ ]is[ ]a[ ]copy[ ]of[ ]the[ ]message"
    r"|message[ ]contains[ ].+[ ]file[ ]attachments"
    r"|message[ ]text[ ]follows:[ ]"
    r"|original[ ]message[ ]follows"
    r"|the[ ]attachment[ ]contains[ ]the[ ]original[ ]mail[ ]headers"
    r"|the[ ]first[ ]\d+[ ]lines[ ]"
    r"|unsent[ ]message[ ]below"
    r"|your[ ]message[ ]reads[ ][(]in[ ]part[)]:)"
)
_ADDR = rx(
    r"(?:\A\s*|\A[\"].+[\"]\s*|\A[ \t]*recipient:[ \t]*|\A[ ]*address:[ ]|addressed[ ]to[ ]"
    r"|could[ ]not[ ]be[ ]delivered[ ]to:[ ]|delivered[ ]to[ ]+|delivery[ ]failed:[ ]"
    r"|did[ ]not[ ]reach[ ]the[ ]following[ ]recipient:[ ]|error-for:[ ]+|failed[ ]recipient:[ ]"
    r"|failed[ ]to[ ]deliver[ ]to[ ]|intended[ ]recipient:[ ]|mailbox[ ]is[ ]full:[ ]|rcpt[ ]to:"
    r"|smtp[ ]server[ ][<].+[>][ ]rejected[ ]recipient[ ]"
    r"|the[ ]following[ ]recipients[ ]returned[ ]permanent[ ]errors:[ ]|the[ ]following[ ]message[ ]to[ ]"
    r"|unknown[ ]user:[ ]|undeliverable[ ]to[ ]|undeliverable[ ]address:[ ]*|you[ ]sent[ ]mail[ ]to[ ]"
    r"|your[ ]message[ ]to[ ])"
    r"['\"]?[<]?([^\s\n\r@=<>]+[@][-.0-9a-z]+[.][0-9a-z]+)[>]?['\"]?"
)
_EXPANDED = rx(r"[(](?:expanded|generated)[ ]from:?[ ]([^@]+[@][^@]+)[)]")
_TO_LINE = rx(r"^To:[ ]*(.+)", re.M)


def make(head: Head, body: str) -> Parsed | None:
    if not head.fields:
        return None
    ds = [new_status()]
    rfc822 = ""
    maybealias = ""
    blanklines = 0
    cursor = 0  # 1: inside the delivery status, 2: inside the returned message
    recipients = 0
    itisbounce = False
    conn = {"date": "", "rhost": "", "lhost": ""}
    alterrors: dict[int, str] = {}
    p = ""

    for e in lines(body):
        d = e.lower()
        if not cursor and _MESSAGE.match(d):
            cursor |= 1
            p = e
            continue
        if not cursor & 2 and _RFC822.match(d):
            cursor |= 2
            p = e
            continue
        if cursor & 2:
            if not e:
                blanklines += 1
                if blanklines > 1:
                    break
                p = e
                continue
            rfc822 += e + "\n"
        elif cursor & 1 and e:
            v = ds[-1]
            found = _RECIPIENT.match(e)
            if found:
                if found.group(1) == "Original":
                    maybealias = found.group(2)
                else:
                    x = v["recipient"]
                    y = address.s3s4(found.group(2))
                    if not address.is_emailaddress(y):
                        y = maybealias
                    if x and x != y:
                        ds.append(new_status())
                        v = ds[-1]
                    v["recipient"] = y
                    recipients += 1
                    itisbounce = True
                    v["alias"] = v["alias"] or maybealias
                    maybealias = ""
            elif found := _ACTUAL.match(e):
                if not re.search(r"[ \t]+", found.group(1)):
                    v["alias"] = found.group(1)
            elif found := _ACTION.match(e):
                action = found.group(1).lower()
                word = _ACTION_WORD.match(action)
                v["action"] = word.group(1) if word else action
            elif found := _STATUS.match(e):
                v["status"] = found.group(1)
            elif found := _STATUS_TEXT.match(e):
                alterrors[id(v)] = found.group(1)
            elif found := _REMOTE.search(e):
                v["rhost"] = found.group(1).lower()
            elif found := _LAST_ATTEMPT.match(e):
                v["date"] = found.group(1)
            elif found := _DIAG_TYPED.match(e):
                v["spec"] = found.group(1).upper()
                v["diagnosis"] = found.group(2)
            elif found := _DIAG.match(e):
                v["diagnosis"] = found.group(1)
            elif p.startswith("Diagnostic-Code:") and (found := _CONTINUED.match(e)):
                v["diagnosis"] += " " + found.group(1)
                e = "Diagnostic-Code: " + e
            elif found := _REPORTING.match(e):
                conn["rhost"] = conn["rhost"] or found.group(1).lower()
            elif found := _RECEIVED_FROM.match(e):
                conn["lhost"] = found.group(1).lower()
            elif found := _ARRIVAL.match(e):
                conn["date"] = found.group(1)
            elif not _DASHES.match(e) and _ERROR.match(e):
                alterrors[id(v)] = alterrors.get(id(v), "") + " " + e
        p = e

    if not recipients and _fallback_matches(head):
        b = ds[-1]
        for e in lines(body):
            d = e.lower()
            if _RFC822.match(d) or _STOP.search(d):
                break
            if not e or _SKIP.search(d) or e.startswith("*"):
                continue
            found = _ADDR.search(d)
            if found:
                y = address.s3s4(found.group(1))
                if not address.is_emailaddress(y):
                    continue
                if b["recipient"] and b["recipient"] != y:
                    ds.append(new_status())
                    b = ds[-1]
                b["recipient"] = y
                recipients += 1
                itisbounce = True
            elif expanded := _EXPANDED.search(e):
                b["alias"] = address.s3s4(expanded.group(1))
            b["diagnosis"] += " " + e

    if not itisbounce:
        return None
    if recipients == 0:
        to = _TO_LINE.search(rfc822)
        found_addrs = address.find(to.group(1)) if to else []
        if found_addrs:
            if len(ds) == recipients:
                ds.append(new_status())
            ds[-1]["recipient"] = found_addrs[0]
            recipients += 1
    if not recipients:
        return None

    mdabounced = mda.make(head, body)
    for rec in ds:
        for key, value in conn.items():
            rec[key] = rec[key] or value
        alt = alterrors.get(id(rec), "")
        if alt:
            rec["diagnosis"] = rec["diagnosis"] or alt
            if rec["diagnosis"].startswith("-") or rec["diagnosis"].endswith("__"):
                rec["diagnosis"] = alt
        rec["diagnosis"] = sweep(rec["diagnosis"])
        if mdabounced:
            rec["agent"] = mdabounced.mda or "RFC3464"
            rec["reason"] = mdabounced.reason or "undefined"
            if mdabounced.message:
                rec["diagnosis"] = mdabounced.message
            rec["command"] = ""
        rec["date"] = rec["date"] or head["date"]
        rec["status"] = rec["status"] or find_status(rec["diagnosis"])
        command = _COMMAND.search(rec["diagnosis"])
        if command:
            rec["command"] = command.group(1)
    return Parsed(ds, rfc822)


def _fallback_matches(head: Head) -> bool:
    if _FROM_DAEMON.search(head["from"].lower()):
        return True
    if _SUBJECT.search(head["subject"].lower()):
        return True
    return "return-path" in head and _RETURN_PATH.search(head["return-path"].lower()) is not None
