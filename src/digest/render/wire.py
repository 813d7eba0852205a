"""The HTML part's size as it is transferred, which is what Gmail's clipping counts.

Quoted-printable: every "=", 8-bit byte and control character takes three bytes, a line
longer than 76 gets "=" CRLF soft breaks, and lines end in CRLF. A page that is 97 KB decoded
can be 106 KB on the wire. Counted, not encoded (a fraction of the time of binascii.b2a_qp,
and the same figure on our HTML): the encoder in digest.mailing.message writes the bytes.
"""

from __future__ import annotations

# Bytes quoted-printable writes as "=XX": "=" itself, 8-bit bytes and control characters.
_ESCAPED = bytes([*range(0, 9), *range(11, 32), 127, *range(128, 256)])


def encoded_run(run: str, controls: bool = True) -> int:
    """Bytes a run of text without line ends takes once escaped (before soft breaks).
    ``controls=False`` promises no control characters: an ASCII run's only escapes are "="."""
    if not controls and run.isascii():
        return len(run) + 2 * run.count("=")
    data = run.encode("ascii") if run.isascii() else run.encode("utf-8", "surrogatepass")
    return len(data) + 2 * (data.count(b"=") + len(data) - len(data.translate(None, _ESCAPED)))


def encoded_line(escaped: int) -> int:
    """A whole line on the wire: its escaped bytes, soft breaks and the CRLF."""
    if escaped > 76:
        escaped += 3 * ((escaped - 1) // 75)
    return escaped + 2


def html_bytes(html: str) -> int:
    """The HTML part's size as sent (see the module docstring)."""
    if "\r" in html:
        html = html.replace("\r\n", "\n")
    return sum(encoded_line(encoded_run(line)) for line in html.split("\n"))
