"""Reasons that only a given receiving provider's wording reveals (Cox, Exchange Online, Orange,
GoDaddy, Google, i.ua, KDDI, Mimecast, NTT docomo, Spectrum, Tencent QQ).

Tables ported from Sisimai 4.25's Rhost modules (BSD-2-Clause, see LICENSE-sisimai.txt).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from digest.mailing.bounces._text import rx
from digest.mailing.bounces.record import Record

_COX_ERRORCODES: dict[str, str] = {
    "CXBL": "blocked",
    "CXTHRT": "securityerror",
    "CXMJ": "securityerror",
    "CXDNS": "blocked",
    "CXSNDR": "rejected",
    "CXSMTP": "rejected",
    "CXCNCT": "toomanyconn",
    "CXMXRT": "toomanyconn",
    "CDRBL": "blocked",
    "IPBL0001": "blocked",
    "IPBL0010": "blocked",
    "IPBL0100": "blocked",
    "IPBL0011": "blocked",
    "IPBL0101": "blocked",
    "IPBL0110": "blocked",
    "IPBL0111": "blocked",
    "IPBL1000": "blocked",
    "IPBL1001": "blocked",
    "IPBL1010": "blocked",
    "IPBL1011": "blocked",
    "IPBL1100": "blocked",
    "IPBL1101": "blocked",
    "IPBL1110": "blocked",
    "IPBL1111": "blocked",
    "IPBL00001": "blocked",
    "URLBL011": "spamdetected",
    "URLBL101": "spamdetected",
    "URLBL110": "spamdetected",
    "URLBL1001": "spamdetected",
}

_COX_MESSAGESOF: dict[str, list[str]] = {
    "blocked": [
        "rejected - no rDNS",
        "cox too many bad commands from",
        "DNS check failure - try again later",
        "Too many invalid recipients",
    ],
    "notaccept": [
        "ESMTP server temporarily not available",
    ],
    "policyviolation": [
        "ESMTP no data before greeting",
        "attachment extension is forbidden",
    ],
    "rejected": [
        "sender rejected",
    ],
    "toomanyconn": [
        "too many sessions from",
        "requested action aborted: try again later",
        "Message threshold exceeded",
    ],
    "userunknown": [
        "recipient rejected",
    ],
}

_EXCHANGEONLINE_MESSAGESOF: dict[str, list[tuple[str, int, int, str]]] = {
    "blocked": [
        ("4.4.2", 0, 0, "connection dropped"),
        ("4.7.", 850, 899, "access denied, please try again later"),
        ("5.7.25", 0, 0, "must have a reverse dns record"),
        ("5.7.506", 0, 0, "access denied, bad helo"),
        ("5.7.507", 0, 0, "access denied, rejected by recipient"),
        ("5.7.510", 0, 0, "does not accept email over ipv6"),
        ("5.7.511", 0, 0, "access denied, banned sender"),
        ("5.7.513", 0, 0, "using customer block list"),
        ("5.7.", 606, 649, "access denied, banned sending ip "),
        ("4.7.", 500, 699, "access denied, please try again later"),
        ("5.5.4", 0, 0, "invalid domain name"),
        ("5.7.51", 0, 0, "restrictdomainstoipaddresses or restrictdomainstocertificate"),
        ("5.7.1", 0, 0, "part of their network is on our block list (s3150)"),
        ("4.7.26", 0, 0, "must pass either spf or dkim validation, this message is not signed"),
        ("4.7.323", 0, 0, "tlsa-invalid: The domain failed dane validation"),
        ("5.7.323", 0, 0, "tlsa-invalid: The domain failed dane validation"),
        ("4.7.324", 0, 0, "dnssec-invalid: destination domain returned invalid dnssec records"),
        ("5.7.324", 0, 0, "dnssec-invalid: destination domain returned invalid dnssec records"),
        (
            "4.7.325",
            0,
            0,
            "certificate-host-mismatch: remote certificate must have a common name or subject alternative name"
            " matching the hostname (dane)",
        ),
        (
            "5.7.325",
            0,
            0,
            "certificate-host-mismatch: remote certificate must have a common name or subject alternative name"
            " matching the hostname (dane)",
        ),
        ("5.7.23", 0, 0, "the message was rejected because of sender policy framework violation"),
        ("5.7.322", 0, 0, "certificate-expired: destination mail server's certificate is expired"),
        ("5.7.509", 0, 0, "does not pass dmarc verification"),
        ("4.7.650", 0, 0, "has been temporarily rate limited due to ip reputation"),
    ],
    "contenterror": [
        ("5.3.0", 0, 0, "too many related errors"),
        ("5.6.11", 0, 0, "invalid characters"),
        ("5.4.11", 0, 0, "agent generated message depth exceeded"),
        ("5.5.6", 0, 0, "invalid message content"),
    ],
    "exceedlimit": [
        ("5.2.3", 0, 0, "resolver.rst.recipsizelimit; message too large for this recipient"),
    ],
    "expired": [
        ("4.4.1", 0, 0, "connection timed out"),
        ("4.4.7", 0, 0, "message delayed"),
        ("4.4.7", 0, 0, "queue expired; message expired"),
        ("4.4.7", 0, 0, "message expired"),
        ("5.4.300", 0, 0, "message expired"),
    ],
    "mailboxfull": [
        ("5.2.2", 0, 0, "mailbox full"),
    ],
    "mesgtoobig": [
        ("5.3.4", 0, 0, "message size exceeds fixed maximum message size"),
        ("5.3.4", 0, 0, "message too big for system"),
    ],
    "networkerror": [
        ("5.4.4", 0, 0, "smtpsend.dns.nonexistentdomain; nonexistent domain"),
        ("5.4.6", 0, 0, "hop count exceeded - possible mail loop"),
        ("4.4.316", 0, 0, "connection refused"),
        ("5.4.4", 0, 0, "invalid arguments"),
        ("5.4.6", 0, 0, "routing loop detected"),
        ("5.4.14", 0, 0, "routing loop detected"),
    ],
    "norelaying": [
        ("5.7.1", 0, 0, "unable to relay"),
        ("5.7.1", 0, 0, "client was not authenticated"),
        ("5.4.1", 0, 0, "relay access denied"),
        ("5.7.1", 0, 0, "unable to relay"),
        ("5.7.64", 0, 0, "tenantattribution; relay access denied"),
        ("5.4.310", 0, 0, "does not exist"),
    ],
    "notaccept": [
        ("4.3.2", 0, 0, "system not accepting network messages"),
        ("5.3.2", 0, 0, "storedrv.deliver: missing or bad storedriver mdb properties"),
    ],
    "policyviolation": [
        ("5.0.350", 0, 0, "x-dg-ref header is too long"),
        ("5.0.350", 0, 0, "requested action not taken: policy violation detected (as345)"),
        ("5.7.", 900, 999, "delivery not authorized, message refused"),
    ],
    "rejected": [
        ("5.1.7", 0, 0, "invalid address"),
        ("5.1.7", 0, 0, "unknown sender address"),
        ("5.1.0", 0, 0, "sender denied"),
        ("5.1.8", 0, 0, "access denied, bad outbound sender"),
        ("5.7.1", 0, 0, "delivery not authorized"),
        ("5.7.12", 0, 0, "sender was not authenticated by organization"),
        ("5.7.124", 0, 0, "sender not in allowed-senders list"),
        ("5.7.133", 0, 0, "sender not authenticated for group"),
        ("5.7.134", 0, 0, "sender was not authenticated for mailbox"),
        ("5.7.13", 0, 0, "sender was not authenticated for public folder"),
        ("5.7.135", 0, 0, "sender was not authenticated for public folder"),
        ("5.7.136", 0, 0, "sender was not authenticated"),
        ("5.7.", 501, 503, "access denied, spam abuse detected"),
        ("5.7.512", 0, 0, "access denied, message must be rfc 5322 section 3.6.2 compliant"),
        ("5.7.750", 0, 0, "service unavailable. client blocked from sending from unregistered domains"),
        ("5.7.", 501, 503, "access denied, banned sender"),
    ],
    "securityerror": [
        ("5.7.3", 0, 0, "cannot achieve exchange server authentication"),
        ("5.7.3", 0, 0, "not authorized"),
        ("4.7.321", 0, 0, "starttls-not-supported: destination mail server must support tls to receive mail"),
        ("5.7.321", 0, 0, "starttls-not-supported: destination mail server must support tls to receive mail"),
        ("5.7.1", 0, 0, "client was not authenticated"),
        ("5.7.57", 0, 0, "client was not authenticated to send anonymous mail during mail from"),
    ],
    "spamdetected": [
        ("5.2.1", 0, 0, "content filter agent quarantined this message"),
    ],
    "suspend": [
        ("5.7.504", 0, 0, "recipient address rejected: access denied"),
        ("5.7.505", 0, 0, "access denied, banned recipient"),
        ("5.2.1", 0, 0, "mailbox cannot be accessed"),
    ],
    "syntaxerror": [
        ("5.3.3", 0, 0, "unrecognized command"),
        ("5.5.2", 0, 0, "send hello first"),
    ],
    "systemerror": [
        ("4.3.2", 0, 0, "service not available"),
        ("4.3.2", 0, 0, "service not active"),
        ("5.3.5", 0, 0, "system incorrectly configured"),
        (
            "5.3.190",
            0,
            0,
            "journaling on-premises messages to microsoft 365 or office 365 not supported"
            " when journaling archive is disabled",
        ),
        ("5.0.0", 0, 0, "helo / ehlo requires domain address"),
        ("5.1.4", 0, 0, "destination mailbox address ambiguous"),
        ("5.2.4", 0, 0, "mailing list expansion problem"),
        ("5.2.14", 0, 0, "misconfigured forwarding address"),
        ("4.4.3", 0, 0, "temporary server error. please try again later attr18"),
        ("4.7.0", 0, 0, "temporary server error. please try again later. prx4 nexthop:"),
        ("4.4.24", 0, 0, "message failed to be replicated: insufficient system resource:"),
        (
            "4.4.25",
            0,
            0,
            "message failed to be replicated: no healthy secondary server available to accept replica at this time.",
        ),
        ("4.4.28", 0, 0, "message failed to be replicated: the operation was canceled"),
        ("4.7.500", 0, 0, "server busy. please try again later from "),
        ("4.7.700", 0, 0, "pfa agent busy, please try again."),
    ],
    "systemfull": [
        ("4.3.1", 0, 0, "insufficient system resources"),
    ],
    "toomanyconn": [
        ("5.5.3", 0, 0, "too many recipients"),
        ("4.5.3", 0, 0, "too many recipients"),
        ("5.2.122", 0, 0, "the recipient has exceeded their limit for"),
        ("4.3.2", 0, 0, "storedrv.deliver; recipient thread limit exceeded"),
        ("5.1.90", 0, 0, "your message can't be sent because you've reached your daily limit for message recipients"),
        ("5.2.2", 0, 0, "submission quota exceeded"),
        ("5.2.121", 0, 0, "recipient's per hour message receive limit from specific sender exceeded"),
        ("5.2.122", 0, 0, "recipient's per hour message receive limit exceeded"),
        ("5.7.508", 0, 0, "has exceeded permitted limits within"),
        ("5.7.", 700, 749, "access denied, tenant has exceeded threshold"),
        ("5.7.", 700, 749, "access denied, traffic not accepted from this ip"),
    ],
    "userunknown": [
        ("5.1.1", 0, 0, "resolver.adr.exrecipnotfound; not found"),
        ("5.1.1", 0, 0, "user unknown"),
        ("5.1.3", 0, 0, "storedrv.submit; invalid recipient address"),
        ("5.1.", 4, 5, "recipient address reserved by rfc 2606"),
        ("5.1.6", 0, 0, "recipient addresses in single label domains not accepted"),
        ("5.1.1", 0, 0, "bad destination mailbox address"),
        ("5.1.10", 0, 0, "recipient not found"),
        ("5.4.1", 0, 0, "recipient address rejected: access denied"),
        ("5.5.0", 0, 0, "requested action not taken: mailbox unavailable"),
        ("5.1.2", 0, 0, "invalid x.400 address"),
    ],
}

_FRANCEPTT_ERRORCODES: dict[str, str | None] = {
    "101": "blocked",
    "102": "blocked",
    "103": "blocked",
    "104": "toomanyconn",
    "105": None,
    "107": None,
    "108": None,
    "109": None,
    "201": None,
    "305": "securityerror",
    "401": "blocked",
    "402": "securityerror",
    "403": "rejected",
    "405": "rejected",
    "415": "rejected",
    "416": "userunknown",
    "417": "mailboxfull",
    "418": "userunknown",
    "420": "suspend",
    "421": "rejected",
    "423": None,
    "424": None,
    "426": "suspend",
    "505": "systemerror",
    "506": "spamdetected",
    "510": "blocked",
    "513": None,
    "514": "mesgtoobig",
    "517": "policyviolation",
    "630": "policyviolation",
    "999": "blocked",
}

_GODADDY_ERRORCODES: dict[str, str] = {
    "IB103": "blocked",
    "IB104": "blocked",
    "IB105": "blocked",
    "IB106": "blocked",
    "IB007": "toomanyconn",
    "IB101": "expired",
    "IB108": "blocked",
    "IB110": "blocked",
    "IB111": "blocked",
    "IB112": "blocked",
    "IB113": "blocked",
    "IB212": "spamdetected",
    "IB401": "securityerror",
    "IB501": "rejected",
    "IB502": "rejected",
    "IB504": "toomanyconn",
    "IB506": "rejected",
    "IB508": "rejected",
    "IB510": "toomanyconn",
    "IB607": "toomanyconn",
    "IB705": "virusdetected",
}

_GODADDY_MESSAGESOF: dict[str, list[str]] = {
    "blocked": ["www.spamhaus.org/query/bl?ip=", "554 RBL Reject."],
    "expired": ["Delivery timeout", "451 Sorry, I wasn't able to establish an SMTP connection."],
    "suspend": ["Account disabled"],
    "mailboxfull": ["Account storage limit"],
    "userunknown": ["Account does not exist", "550 Recipient not found."],
}

_GOOGLEAPPS_MESSAGESOF: dict[str, list[tuple[str, str, str]]] = {
    "blocked": [
        ("421", "4.7.0", "ip not in whitelist for rcpt domain, closing connection."),
        (
            "421",
            "4.7.0",
            "our system has detected an unusual rate of unsolicited mail originating from your ip address",
        ),
        ("421", "4.7.0", "try again later, closing connection."),
        ("501", "5.5.4", "helo/ehlo argument is invalid"),
        (
            "550",
            "5.7.1",
            "our system has detected an unusual rate of unsolicited mail originating from your ip address",
        ),
        ("550", "5.7.1", "the ip you're using to send mail is not authorized to send email directly to our servers"),
        ("550", "5.7.25", "the ip address sending this message does not have a ptr record setup"),
        ("550", "5.7.26", "is not accepted due to domain's dmarc policy"),
        ("550", "5.7.1", "fails to pass authentication checks"),
        ("550", "5.7.26", "fails to pass authentication checks"),
        ("550", "5.7.26", "this message fails to pass spf checks for an spf record with a hard fail"),
        ("550", "5.7.1", "this message is likely suspicious due to the very low reputation of the sending ip address"),
    ],
    "contenterror": [
        ("554", "5.6.0", "mail message is malformed. Not accepted"),
    ],
    "exceedlimit": [
        ("552", "5.2.3", "your message exceeded Google's message size limits"),
    ],
    "expired": [
        ("451", "4.4.2", "timeout - closing connection"),
    ],
    "mailboxfull": [
        ("452", "4.2.2", "the email account that you tried to reach is over quota"),
        ("552", "5.2.2", "the email account that you tried to reach is over quota"),
        ("550", "5.7.1", "email quota exceeded"),
    ],
    "networkerror": [
        ("554", "5.6.0", "message exceeded 50 hops, this may indicate a mail loop"),
    ],
    "norelaying": [
        ("550", "5.7.0", "mail relay denied"),
    ],
    "policyviolation": [
        ("550", "5.7.1", "messages with multiple addresses in from: header are not accepted"),
        ("550", "5.7.1", "the user or domain that you are sending to (or from) has a policy that prohibited"),
        ("552", "5.7.0", "our system detected an illegal attachment on your message"),
        ("552", "5.7.0", "this message was blocked because its content presents a potential security issue"),
    ],
    "rejected": [
        ("550", "5.7.0", "mail sending denied"),
        ("550", "5.7.1", "unauthenticated email is not accepted from this domain"),
    ],
    "securityerror": [
        ("421", "4.7.0", "tls required for rcpt domain, closing connection"),
        ("501", "5.5.2", "cannot decode response"),
        ("530", "5.5.1", "authentication required."),
        ("535", "5.7.1", "application-specific password required"),
        ("535", "5.7.1", "please log in with your web browser and then try again"),
        ("535", "5.7.1", "username and password not accepted"),
        ("550", "5.7.1", "invalid credentials for relay"),
    ],
    "spamdetected": [
        ("550", "5.7.1", "our system has detected that this message is likely unsolicited mail"),
    ],
    "suspend": [
        ("550", "5.2.1", "the email account that you tried to reach is disabled"),
    ],
    "syntaxerror": [
        ("451", "4.5.0", "smtp protocol violation, visit rfc 2821"),
        ("454", "4.5.0", "smtp protocol violation, no commands allowed to pipeline after starttls"),
        ("454", "5.5.1", "starttls may not be repeated"),
        ("502", "5.5.1", "too many unrecognized commands, goodbye"),
        ("502", "5.5.1", "unimplemented command"),
        ("502", "5.5.1", "unrecognized command"),
        ("503", "5.5.1", "ehlo/helo first"),
        ("503", "5.5.1", "mail first"),
        ("503", "5.5.1", "rcpt first"),
        ("503", "5.7.0", "no identity changes permitted"),
        ("504", "5.7.4", "unrecognized authentication type"),
        ("530", "5.7.0", "must issue a starttls command first"),
        ("535", "5.5.4", "optional argument not permitted for that auth mode"),
        ("554", "5.7.0", "too many unauthenticated commands"),
        ("555", "5.5.2", "syntax error"),
    ],
    "systemerror": [
        ("421", "4.3.0", "temporary system problem"),
        ("421", "4.7.0", "temporary system problem"),
        ("421", "4.4.5", "server busy"),
        ("451", "4.3.0", "mail server temporarily rejected message"),
        ("454", "4.7.0", "cannot authenticate due to temporary system problem"),
        ("452", "4.5.3", "domain policy size per transaction exceeded"),
    ],
    "toomanyconn": [
        ("451", "4.3.0", "multiple destination domains per transaction is unsupported"),
        ("452", "4.5.3", "your message has too many recipients"),
        ("450", "4.2.1", "is receiving mail too quickly"),
        ("450", "4.2.1", "is receiving mail at a rate that prevents additional messages from being delivered"),
        ("550", "5.2.1", "is receiving mail at a rate that prevents additional messages from being delivered"),
        ("450", "4.2.1", "peak smtp relay limit exceeded for customer"),
        ("550", "5.4.5", "daily smtp relay limit exceeded for user"),
        ("550", "5.4.5", "daily sending quota exceeded"),
        ("550", "5.7.1", "daily smtp relay limit exceeded for customer"),
    ],
    "userunknown": [
        ("550", "5.1.1", "the email account that you tried to reach does not exist"),
        ("553", "5.1.2", "we weren't able to find the recipient domain"),
    ],
}

_IUA_ERRORCODES: dict[str, str] = {
    "1": "norelaying",
    "2": "userunknown",
    "3": "suspend",
    "4": "mailboxfull",
    "5": "toomanyconn",
    "6": "norelaying",
    "7": "blocked",
    "8": "rejected",
    "9": "blocked",
    "10": "filtered",
}

_KDDI_MESSAGESOF: dict[str, str] = {
    "filtered": "550: User unknown",
    "userunknown": ">: User unknown",
}

_MIMECAST_MESSAGESOF: dict[str, list[tuple[int, str]]] = {
    "blocked": [
        (421, "sender address blocked"),
        (451, "recipient temporarily unavailable"),
        (451, "ip temporarily blacklisted"),
        (451, "internal resources are temporarily unavailable"),
        (550, "local ct ip reputation - (reject)"),
        (550, "spf sender invalid - envelope rejected"),
        (550, "dkim sender invalid - envelope rejected"),
        (550, "dmarc sender invalid - envelope rejected"),
    ],
    "mesgtoobig": [
        (554, "maximum email size exceeded"),
    ],
    "networkerror": [
        (554, "mail loop detected"),
    ],
    "norelaying": [
        (451, "open relay not allowed"),
    ],
    "notaccept": [
        (451, "account inbounds disabled"),
    ],
    "onhold": [
        (451, "account outbounds disabled"),
        (451, "hostname is not authorized"),
        (550, "journal message past expiration"),
    ],
    "policyviolation": [
        (550, "anti-spoofing policy - inbound not allowed"),
        (550, "rejected by header-based anti-spoofing policy"),
        (550, "message bounced due to content examination policy"),
        (554, "host network not allowed"),
    ],
    "rejected": [
        (550, "administrative prohibition envelope blocked"),
        (550, "envelope blocked – user entry"),
        (550, "envelope blocked – user domain entry"),
        (550, "rejected by header-based manually blocked senders - block for manual block"),
        (550, "rejected by header-based blocked senders - block policy for header from"),
        (550, "envelope rejected - block policy for envelope from address"),
    ],
    "securityerror": [
        (535, "incorrect authentication data"),
        (550, "submitter failed to disabled"),
        (553, "this route requires encryption (tls)"),
        (553, "this route requires tls version 1.2 or greater"),
        (553, "this route requires high-strength ciphers"),
        (554, "configuration is invalid for this certificate"),
    ],
    "systemerror": [
        (451, "unable to process connection at this time"),
        (451, "message ended early"),
        (451, "unable to process command"),
        (451, "unable to process an email at this time"),
    ],
    "toomanyconn": [
        (451, "account service is temporarily unavailable"),
        (452, "too many recipients"),
        (550, "exceeding outbound thread limit"),
    ],
    "userunknown": [
        (501, "invalid address"),
        (503, "user unknown"),
        (550, "invalid recipient"),
    ],
    "virusdetected": [
        (554, "email rejected due to security policies"),
    ],
}

_NTTDOCOMO_MESSAGESOF: dict[str, re.Pattern[str]] = {
    "mailboxfull": rx(r"552 too much mail data"),
    "toomanyconn": rx(r"552 too many recipients"),
    "syntaxerror": rx(r"(?:503 bad sequence of commands|504 command parameter not implemented)"),
}

_SPECTRUM_ERRORCODES: dict[str, str] = {
    "1000": "blocked",
    "1010": "rejected",
    "1090": "systemerror",
    "1260": "networkerror",
    "1500": "rejected",
    "1520": "rejected",
    "1530": "mesgtoobig",
    "1540": "toomanyconn",
    "1550": "toomanyconn",
    "1560": "policyviolation",
}

_SPECTRUM_CODERANGES: list[tuple[int, int, str]] = [
    (1020, 1080, "rejected"),
    (1100, 1150, "blocked"),
    (1160, 1190, "policyviolation"),
    (1200, 1210, "blocked"),
    (1220, 1250, "blokced"),
    (1300, 1340, "toomanyconn"),
    (1350, 1490, "toomanyconn"),
]

_TENCENTQQ_MESSAGESOF: dict[str, str] = {
    "dmarc check failed": "blocked",
    "spf check failed": "blocked",
    "suspected spam ip": "blocked",
    "mail is rejected by recipients": "filtered",
    "message too large": "mesgtoobig",
    "mail content denied": "spamdetected",
    "spam is embedded in the email": "spamdetected",
    "suspected spam": "spamdetected",
    "bad address syntax": "syntaxerror",
    "connection denied": "toomanyconn",
    "connection frequency limited": "toomanyconn",
    "domain frequency limited": "toomanyconn",
    "ip frequency limited": "toomanyconn",
    "sender frequency limited": "toomanyconn",
    "mailbox unavailable or access denied": "toomanyconn",
    "mailbox not found": "userunknown",
}


_STATUS_SHAPE = rx(r"\A[245][.]\d[.]\d+\Z")


def _cox(r: Record) -> str:
    found = re.search(r"AUP#([0-9A-Z]+)", r.diagnosticcode)
    reason = _COX_ERRORCODES.get(found.group(1), "") if found else ""
    if reason:
        return reason
    for name, texts in _COX_MESSAGESOF.items():
        if any(t in r.diagnosticcode for t in texts):
            return name
    return ""


def _exchange_online(r: Record) -> str:
    if r.reason:
        return r.reason
    if not r.diagnosticcode or not _STATUS_SHAPE.match(r.deliverystatus):
        return ""
    status = r.deliverystatus
    third = int(status.split(".")[-1])
    text = r.diagnosticcode.lower()
    for name, rows in _EXCHANGEONLINE_MESSAGESOF.items():
        for code, low, high, needle in rows:
            if low == high:
                if status != code:
                    continue
            elif code not in status or third < low or third > high:
                continue
            if needle in text:
                return name
    return ""


def _france_ptt(r: Record) -> str:
    if r.reason:
        return r.reason
    found = re.search(r"\b(LPN|LPNAAA|OFR|OUK)(_[0-9]{3}|[0-9]{3}[-_][0-9]{3})\b", r.diagnosticcode, re.I | re.A)
    if not found:
        return ""
    code = f"{int((found.group(1) + found.group(2))[-3:]):03d}"
    return _FRANCEPTT_ERRORCODES.get(code) or "undefined"


def _godaddy(r: Record) -> str:
    if r.reason:
        return r.reason
    found = re.search(r"\s(IB\d{3})\b", r.diagnosticcode, re.A)
    if found:
        return _GODADDY_ERRORCODES.get(found.group(1), "")
    for name, texts in _GODADDY_MESSAGESOF.items():
        if any(t in r.diagnosticcode for t in texts):
            return name
    return ""


def _google_apps(r: Record) -> str:
    if r.reason:
        return r.reason
    if not r.replycode or not r.diagnosticcode or not _STATUS_SHAPE.match(r.deliverystatus):
        return ""
    status = r.deliverystatus[2:]
    reply = r.replycode[1:3]
    text = r.diagnosticcode.lower()
    for name, rows in _GOOGLEAPPS_MESSAGESOF.items():
        for code, dsn, needle in rows:
            if needle in text and code.find(reply) > 0 and dsn.find(status) > 1:
                return name
    return ""


def _iua(r: Record) -> str:
    found = re.search(r"[.]i[.]ua/err/(\d+)", r.diagnosticcode.lower(), re.A)
    return _IUA_ERRORCODES.get(found.group(1), "") if found else ""


def _kddi(r: Record) -> str:
    return next((name for name, text in _KDDI_MESSAGESOF.items() if text in r.diagnosticcode), "")


def _mimecast(r: Record) -> str:
    if not r.diagnosticcode or not re.match(r"\A[245]\d\d\Z", r.replycode, re.A):
        return ""
    reply = int(r.replycode)
    text = r.diagnosticcode.lower()
    for name, rows in _MIMECAST_MESSAGESOF.items():
        if any(reply == code and needle in text for code, needle in rows):
            return name
    return ""


def _nttdocomo(r: Record) -> str:
    status = r.deliverystatus
    if status in ("5.1.1", "5.0.911"):
        return "userunknown"
    if status == "5.2.0":
        return "filtered"
    text = r.diagnosticcode.lower()
    for name, pattern in _NTTDOCOMO_MESSAGESOF.items():
        if pattern.search(text):
            return name
    if status == "5.0.0":
        if r.smtpcommand == "RCPT":
            return "userunknown"
        if r.smtpcommand == "DATA":
            return "rejected"
    return ""


def _spectrum(r: Record) -> str:
    found = re.search(r"AUP#[-A-Za-z]*(\d{4})", r.diagnosticcode, re.A)
    code = int(found.group(1)) if found else 0
    reason = _SPECTRUM_ERRORCODES.get(str(code), "")
    if reason:
        return reason
    return next((name for low, high, name in _SPECTRUM_CODERANGES if low <= code <= high), "")


def _tencent(r: Record) -> str:
    text = r.diagnosticcode.lower()
    return next((reason for needle, reason in _TENCENTQQ_MESSAGESOF.items() if needle in text), "")


_RHOSTS: tuple[tuple[re.Pattern[str], Callable[[Record], str]], ...] = (
    (rx(r"cox[.]net"), _cox),
    (rx(r"[.](?:prod|protection)[.]outlook[.]com\Z"), _exchange_online),
    (rx(r"\b(?>laposte[.]net|(?:orange|wanadoo)[.]fr)\Z"), _france_ptt),
    (rx(r"\A(?:smtp|mailstore1)[.]secureserver[.]net\Z"), _godaddy),
    (rx(r"(?:aspmx|gmail-smtp-in)[.]l[.]google[.]com\Z"), _google_apps),
    (rx(r"[.]email[.]ua\Z"), _iua),
    (rx(r"[.](?:ezweb[.]ne[.]jp|au[.]com)\Z"), _kddi),
    (rx(r"[.]mimecast[.]com\Z"), _mimecast),
    (rx(r"mfsmax[.]docomo[.]ne[.]jp\Z"), _nttdocomo),
    (rx(r"charter[.]net"), _spectrum),
    (rx(r"mx[0-9]+[.]qq[.]com\Z"), _tencent),
)


def _rule_for(host: str) -> Callable[[Record], str] | None:
    host = host.lower()
    if not host:
        return None
    return next((rule for pattern, rule in _RHOSTS if pattern.search(host)), None)


def reason_for(r: Record) -> str:
    """A provider-specific reason from the remote host, then from the recipient's domain."""
    rule = _rule_for(r.rhost)
    reason = rule(r) if rule else ""
    if not reason:
        rule = _rule_for(r.destination)
        reason = rule(r) if rule else ""
    return reason or ""
