"""MIME flattening: a multipart bounce becomes one text the vendor rules can read line by line.

Bounces are often malformed MIME (wrong boundaries, parts without headers, lower-case
headers), which is why this works on text rather than through ``email``: a strict parser
loses exactly the parts that matter. Ported from Sisimai 4.25's MIME module (BSD-2-Clause,
see LICENSE-sisimai.txt). All text is latin-1 decoded bytes.
"""

from __future__ import annotations

import binascii
import codecs
import re

from digest.mailing.bounces._text import rx, split_re, to_plain

_QP_HEADER = rx(r"^content-transfer-encoding:[ ]*quoted-printable", re.M)
_ISO2022 = rx(r"""^content-type:[ ]*.+;[ ]*charset=["']?(iso-2022-[-a-z0-9]+)['"]?\b""", re.M)
_ENCODED_WORD = rx(r"[ \t]*=[?][-_0-9A-Za-z]+[?][BbQq][?].+[?]=?[ \t]*")
_ENCODED_PARTS = rx(r"\A(.*)=[?]([-_0-9A-Za-z]+)[?]([BbQq])[?](.+)[?]=?(.*)\Z", re.S)
_BOUNDARY = rx(r"\bboundary=([^ ]+)")
_B64_RUN = rx(r"[+/=0-9A-Za-z\r\n]+")
_B64_JUNK = rx(r"[^A-Za-z0-9+/]")
_THIS_FORMAT = rx(r"\A(?:Content-Transfer-Encoding:\s*.+\n)?Content-Type:\s*([^ ;\s]+)")
_ALSO_APPEND = rx(r"\A(?:text/rfc822-headers|message/)")
_LEAVES_ONLY = rx(
    r"\A(?>text/(?:plain|html|rfc822-headers)"
    r"|message/(?:x?delivery-status|rfc822|partial|feedback-report)"
    r"|multipart/(?:report|alternative|mixed|related|partial))"
)
_CTE = rx(r"Content-Transfer-Encoding: ([^\s;]+)")
_CTE_FIELD = rx(r"Content-Transfer-Encoding:\s*[^\s]+")
_DASHES_AT_END = rx(r"^--\Z", re.M)
_MIME_TYPE = rx(r"\A([0-9a-z]+/[^ ;]+)")
_CT_CASE = rx(r"[Cc]ontent-[Tt]ype:")
_CT_VALUE = rx(r"(Content-[A-Za-z-]+?):[ ]*([^\s]+)")
_DESCRIPTION = rx(r"^Content-(?:Description|Disposition):.+?\n", re.M)
_STARTS_CT = rx(r"\AContent-T[ry]")
_BEFORE_CT = rx(r"\A(.+?)Content-Type:", re.S)
_FROM_CT = rx(r"\A.+?(Content-T[ry].+)\Z", re.S)
_PART_HEAD = rx(r"\A(?:Content-[A-Za-z-]+:.+?\r?\n)?Content-Type:[ ]*[^\s]+")
_PART_CTE = rx(r"^Content-Transfer-Encoding:.+?\n", re.S | re.I | re.M)
_PART_PLAIN = rx(r"^Content-Type:\s*text/plain.+?\n", re.S | re.I | re.M)
_REPORT_TYPES = rx(r"^(Content-Type:\s*message/(?:rfc822|delivery-status)).+$", re.M)
_BLANK_RUNS = rx(r"^\n{2,}", re.M)
_BLANK_LINE = rx(r"^$", re.M)


def latin1(data: bytes) -> str:
    return data.decode("latin-1")


def convert_charset(text: str, charset: str) -> str:
    """Bytes in ``charset`` re-encoded as UTF-8 bytes (still latin-1 decoded)."""
    try:
        codecs.lookup(charset)
    except LookupError:
        return text
    return text.encode("latin-1").decode(charset, "replace").encode("utf-8").decode("latin-1")


def boundary(content_type: str, start: int = -1) -> str:
    """The boundary in a Content-Type value; ``start`` 0 adds the leading ``--``, 1 both."""
    found = _BOUNDARY.search(content_type)
    if not found:
        return ""
    value = re.sub(r"[\"';\\]", "", found.group(1))
    if start > -1:
        value = "--" + value
    if start > 0:
        value = value + "--"
    return value


def is_mimeencoded(text: str) -> bool:
    return any(_ENCODED_WORD.search(piece) for piece in text.replace('"', "").split())


def qp_decode(text: str) -> str:
    return latin1(binascii.a2b_qp(text.encode("latin-1")))


def b64_decode(text: str) -> str:
    cleaned = _B64_JUNK.sub("", text.split("=", 1)[0])
    if len(cleaned) % 4 == 1:
        cleaned = cleaned[:-1]
    cleaned += "=" * (-len(cleaned) % 4)
    try:
        return latin1(binascii.a2b_base64(cleaned.encode("ascii")))
    except (binascii.Error, ValueError):
        return ""


def base64d(text: str) -> str:
    found = _B64_RUN.search(text)
    return b64_decode(found.group(0)) if found else ""


def mimedecode(words: list[str]) -> str:
    """Decode a list of (possibly RFC 2047 encoded) words into one UTF-8 byte string."""
    charset = ""
    encoding = ""
    decoded: list[str] = []
    for word in words:
        word = word.strip(" \t").replace('"', "")
        if is_mimeencoded(word):
            parts = _ENCODED_PARTS.match(word)
            if not parts:
                continue
            charset = charset or parts.group(2).lower()
            encoding = encoding or parts.group(3).upper()
            decoded.append(parts.group(1))
            payload = parts.group(4)
            text = b64_decode(payload) if encoding == "B" else qp_decode(payload)
            decoded.append(text.replace("\r", "").replace("\n", ""))
            decoded.append(parts.group(5))
        else:
            decoded.append(" " + word if decoded else word)
    if not decoded:
        return ""
    joined = "".join(decoded)
    if charset and encoding and charset not in ("utf-8", "utf8"):
        joined = convert_charset(joined, charset)
    return joined


def split_at_blank_line(text: str) -> tuple[str, str]:
    """Headers and body of a part: split at the first empty line, never at position 0."""
    for found in _BLANK_LINE.finditer(text):
        if found.start() > 0:
            return text[: found.start()], text[found.start() :]
    return text, ""


def breaksup(part: str, parent_type: str = "") -> str:
    """One MIME part (with its headers) as text, recursing into nested multiparts."""
    found = _THIS_FORMAT.match(part)
    mimeformat = found.group(1).lower() if found else ""
    if not _LEAVES_ONLY.match(mimeformat):
        return ""
    if parent_type.startswith("multipart/alternative") and mimeformat == "text/html":
        return ""

    upper, lower = split_at_blank_line(part)
    upper = re.sub(" +", " ", upper.replace("\n", " "))
    flat = ""

    if mimeformat.startswith("multipart/"):
        mpboundary = boundary(upper, 0)
        if not mpboundary:
            return ""
        inner = split_re(re.compile(re.escape(mpboundary) + "\n"), lower)
        if inner and not inner[0]:
            inner.pop(0)
        if inner and inner[0] == "\n":
            inner.pop(0)
        for sub in inner:
            subformat = _THIS_FORMAT.match(sub)
            if subformat:
                nextformat = subformat.group(1).lower()
                if not _LEAVES_ONLY.match(nextformat) or nextformat == "text/html":
                    continue
                flat += breaksup(sub, mimeformat)
            else:
                flat += "\n"
        return flat

    cte = _CTE.search(upper)
    if cte:
        encoding = cte.group(1).lower()
        if encoding == "quoted-printable":
            decoded = qp_decode(lower)
        elif encoding == "base64":
            decoded = base64d(lower)
        elif encoding == "7bit":
            iso = _ISO2022.search(upper.lower())
            decoded = convert_charset(lower, iso.group(1)) if iso else lower
        else:
            decoded = lower
        decoded = decoded.replace("\r\n", "\n")
        if _ALSO_APPEND.match(mimeformat):
            upper = _CTE_FIELD.sub("", upper, count=1)
            if upper.startswith(" "):
                upper = upper[1:]
            if upper.endswith(" "):
                upper = upper[:-1]
            flat += upper
        elif mimeformat == "text/html":
            decoded = to_plain(decoded)
        if decoded:
            flat += decoded + "\n\n"
    else:
        if mimeformat.startswith("message/") or mimeformat == "text/rfc822-headers":
            flat += upper
        lower = _DASHES_AT_END.sub("", lower, count=1)
        if not lower.endswith("\n"):
            lower += "\n"
        flat += lower
    return flat


def makeflat(content_type: str, body: str) -> tuple[str, str]:
    """A multipart body flattened to text; also the body with its Content-* fields normalised.

    Returns ``(flat, rewritten)``: callers fall back to ``rewritten`` when nothing flattened.
    """
    ehboundary = boundary(content_type, 0)
    found = _MIME_TYPE.match(content_type)
    mimeformat = found.group(1) if found else ""
    if "multipart/" not in mimeformat or not ehboundary:
        return "", body

    body = _CT_CASE.sub("Content-Type:", body)
    body = _CT_VALUE.sub(lambda m: m.group(1) + ": " + m.group(2).lower(), body)
    body = _DESCRIPTION.sub("", body)

    parts = split_re(re.compile(re.escape(ehboundary) + "\n?"), body)
    if parts and not parts[0]:
        parts.pop(0)
    flat = ""
    for part in parts:
        if not _STARTS_CT.match(part):
            before = _BEFORE_CT.match(part)
            if before and "\n\n" not in before.group(1):
                part = _FROM_CT.sub(r"\1", part, count=1)
        if _PART_HEAD.match(part):
            flat += breaksup(part, mimeformat)
        else:
            part = _PART_CTE.sub("", part, count=1)
            part = _PART_PLAIN.sub("", part, count=1)
            flat += part

    flat = _REPORT_TYPES.sub(r"\1", flat)
    flat = _BLANK_RUNS.sub("\n", flat)
    return flat, body
