"""Build each recipient's message: headers newsletter receivers expect, bodies that survive SMTP.

The digest is rendered once; this module lays the MIME skeleton out once per digest with the
``email`` package (header encoding and folding, boundaries, part headers) and then, per
recipient, only fills in what differs: To, Date, Message-ID, List-Unsubscribe and the two
bodies from ``RenderedEmail.personalize``. Serializing a full ``EmailMessage`` costs ~10 ms for
a 100 KB digest (pure-Python quoted-printable), which alone would halve a send's throughput;
here bodies are quoted-printable encoded line by line with ``binascii`` and lines that are the
same for every recipient are encoded once and reused. Every message is CRLF throughout, no
line exceeds 76 octets in the bodies or 998 anywhere, and a CR or LF in any header value is
refused before anything is built.
"""

from __future__ import annotations

import binascii
import email.policy
import re
import time
from dataclasses import dataclass, replace
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid
from typing import Any
from urllib.parse import urlsplit

from digest.config import Settings
from digest.deliver.base import OutgoingMessage, has_line_break
from digest.deliver.smtp_options import is_loopback
from digest.errors import ConfigError, DeliveryError, InputError
from digest.mailing.addresses import normalize_email
from digest.mailing.lists import DEFAULT_LIST, check_list_name
from digest.mailing.tokens import UnsubscribeSigner, unsubscribe_template, unsubscribe_url
from digest.render.email import RenderedEmail
from digest.sanitize import header_text

POLICY = email.policy.SMTP
TEST_PREFIX = "[TEST] "
_TEXT_SLOT = b"@@DIGEST-TEXT-BODY@@\r\n"
_HTML_SLOT = b"@@DIGEST-HTML-BODY@@\r\n"
# With {token} filled in (up to ~470 characters for a 254-character address on a 64-character
# list), "List-Unsubscribe: <url>" stays under the 998-octet line limit (RFC 5322 2.1.1).
_MAX_URL = 500


class HeaderInjectionError(DeliveryError):
    """A header value with CR/LF: it could smuggle extra headers, so the message is refused."""


def check_header(name: str, value: str) -> str:
    if has_line_break(value):
        raise HeaderInjectionError(
            f"header {name}: value contains a line break (CR or LF): {value[:60]!r}; refusing to send"
        )
    return value


def _lines(body: str) -> list[str]:
    if "\r" in body:
        body = body.replace("\r\n", "\n").replace("\r", "\n")
    lines = body.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def _soft_break(body: bytes) -> bytes:
    """Split the last line of ``body`` (no line ending) with a soft break if it exceeds 75."""
    start = body.rfind(b"\r\n")
    start = 0 if start < 0 else start + 2
    tail = body[start:]
    if len(tail) <= 75:
        return body
    cut = 75
    while b"=" in tail[cut - 2 : cut]:  # never inside an =XX escape
        cut -= 1
    return body[:start] + tail[:cut] + b"=\r\n" + tail[cut:]


def _qp_line(line: str) -> bytes:
    """One line, quoted-printable, ending CRLF; every output line at most 76 octets."""
    # Given CRLF, b2a_qp uses CRLF for soft breaks too. It can leave a last line of 77 when
    # that line ends in whitespace (the "=20"): split such a line once more.
    encoded = binascii.b2a_qp(line.encode("utf-8") + b"\r\n", istext=True)
    if line and line[-1] in " \t":
        encoded = _soft_break(encoded[:-2]) + b"\r\n"
    return encoded


def _qp_piece(piece: str) -> bytes:
    """A piece of a longer line, ending in a soft line break ("=" CRLF) instead of a hard one."""
    return _soft_break(_qp_line(piece)[:-2]) + b"=\r\n"


# MJML output puts whole sections on one line; cutting long lines before each <table (cut
# points that depend only on the text there) lets the pieces around a recipient's link or
# greeting be the same as everyone else's, so only the piece that differs is encoded.
_LONG_LINE = 2048
_CUT = "<table"


class _QuotedPrintable:
    """Quoted-printable per line, with the lines shared by every recipient encoded once."""

    def __init__(self, sample: str) -> None:
        self._lines: dict[str, bytes] = {}
        self._pieces: dict[str, bytes] = {}
        for line in _lines(sample):
            if len(line) <= _LONG_LINE:
                self._lines[line] = _qp_line(line)
            else:
                *middle, last = _cut(line)
                self._pieces.update((piece, _qp_piece(piece)) for piece in middle)
                self._lines[last] = _qp_line(last)

    def _miss(self, line: str) -> bytes:
        if len(line) <= _LONG_LINE:
            return _qp_line(line)
        *middle, last = _cut(line)
        get = self._pieces.get
        encoded = [get(piece) or _qp_piece(piece) for piece in middle]
        encoded.append(self._lines.get(last) or _qp_line(last))
        return b"".join(encoded)

    def encode(self, body: str) -> bytes:
        get, miss = self._lines.get, self._miss
        return b"".join([get(line) or miss(line) for line in _lines(body)])


def _cut(line: str) -> list[str]:
    first, *rest = line.split(_CUT)
    pieces = [_CUT + piece for piece in rest]
    return [first, *pieces] if first else pieces


def return_path_template(settings: Settings) -> str | None:
    """[delivery] return_path ("bounces+{token}@example.org"), checked: the envelope sender each
    message gets, so a bounce names the subscriber and edition even when it hides the address."""
    value = settings.delivery.return_path
    if not value:
        return None
    local, at, domain = value.rpartition("@")
    if not at or local.count("{token}") != 1 or "{" in domain or not re.fullmatch(r"[A-Za-z0-9.+_{}=-]+", local):
        raise ConfigError(
            f"[delivery] return_path: expected an address with one {{token}} in its local part, "
            f'like "bounces+{{token}}@example.org", got {value!r}'
        )
    try:
        normalize_email(local.replace("{token}", "x") + "@" + domain)
    except InputError as exc:
        raise ConfigError(f"[delivery] return_path: {exc}") from None
    return value


def _slug(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:60] or "digest"


@dataclass(frozen=True)
class Sender:
    """Who a message is from, as the config says, checked once: shared by editions and notices."""

    from_address: str
    from_name: str
    domain: str
    reply_to: str | None

    @classmethod
    def from_settings(cls, settings: Settings) -> Sender:
        d = settings.delivery
        for name, value in [("From", d.from_address), ("From (name)", d.from_name), ("Reply-To", d.reply_to or "")]:
            check_header(name, value)
        try:
            from_address = normalize_email(d.from_address)
            reply_to = normalize_email(d.reply_to) if d.reply_to else None
        except InputError as exc:
            raise ConfigError(f"[delivery]: {exc}") from None
        return cls(from_address, header_text(d.from_name), from_address.rsplit("@", 1)[1], reply_to)

    def from_header(self) -> Address:
        return Address(display_name=self.from_name, addr_spec=self.from_address)


@dataclass(frozen=True)
class Envelope:
    """The parts of an edition's message that come from the config, checked once."""

    from_address: str
    from_name: str
    domain: str
    reply_to: str | None
    list_label: str  # the List-Id phrase: the newsletter's name
    list_ident: str  # the List-Id itself, like daily.example.com
    unsubscribe_url: str
    unsubscribe_mailto: str | None
    return_path: str | None = None  # MAIL FROM with {token} (VERP), when bounces go to a mailbox

    @property
    def list_id(self) -> str:
        """The List-Id header value (RFC 2919); the phrase is quoted (or encoded) when it
        holds characters a bare phrase may not, as "News: Morning, Edition" does."""
        return formataddr((self.list_label, self.list_ident), charset="utf-8")

    @classmethod
    def from_settings(cls, settings: Settings) -> Envelope:
        d = settings.delivery
        sender = Sender.from_settings(settings)
        url = unsubscribe_template(settings)
        for name, value in [
            ("List-Id", d.list_id or ""),
            ("List-Unsubscribe", url),
            ("List-Unsubscribe (mailto)", d.unsubscribe_mailto or ""),
        ]:
            check_header(name, value)
        mailto = d.unsubscribe_mailto
        if mailto:
            try:
                normalize_email(mailto.removeprefix("mailto:").partition("?")[0])
            except InputError as exc:
                raise ConfigError(f"[delivery]: {exc}") from None
            if not mailto.startswith("mailto:"):
                mailto = f"mailto:{mailto}?subject=unsubscribe"
        local = url.startswith("http://") and is_loopback(urlsplit(url).hostname or "")
        if not (url.startswith("https://") or local) or "{token}" not in url:
            raise ConfigError(
                "[delivery] unsubscribe_url: expected an https:// URL containing {token} "
                f"(one-click unsubscribe, RFC 8058), got {url!r}"
            )
        if not url.isascii() or " " in url or len(url) > _MAX_URL:
            raise ConfigError(
                f"[delivery] unsubscribe_url: expected a percent-encoded ASCII URL of at most {_MAX_URL} characters"
            )
        domain = sender.domain
        label, ident = settings.digest.title, d.list_id or f"{_slug(settings.digest.title)}.{domain}"
        if "<" in ident:  # "Name <list.example.com>" given whole
            label, _, rest = ident.rpartition("<")
            label, ident = label.strip().strip('"') or settings.digest.title, rest.rstrip(">").strip()
        return cls(
            sender.from_address,
            sender.from_name,
            domain,
            sender.reply_to,
            " ".join(label.split()),
            ident,
            url,
            mailto,
            return_path_template(settings),
        )

    def for_list(self, list_name: str) -> Envelope:
        """Another subscriber list is another mailing list (RFC 2919): its own List-Id.

        "Title <digest.example.com>" becomes "Title (vip) <vip.digest.example.com>"; the
        default list keeps the configured List-Id unchanged.
        """
        if list_name == DEFAULT_LIST:
            return self
        return replace(self, list_label=f"{self.list_label} ({list_name})", list_ident=f"{list_name}.{self.list_ident}")


class MessageFactory:
    """Turns one rendered digest into one message per recipient, cheaply."""

    def __init__(
        self,
        settings: Settings,
        rendered: RenderedEmail,
        signer: UnsubscribeSigner,
        *,
        test: bool = False,
        list_name: str = DEFAULT_LIST,
    ) -> None:
        self.list_name = check_list_name(list_name)
        self.envelope = env = Envelope.from_settings(settings).for_list(self.list_name)
        self.rendered = rendered
        self.signer = signer
        subject = header_text(check_header("Subject", rendered.subject))
        self.subject = (TEST_PREFIX if test else "") + " ".join(subject.split())
        self._tz = datetime.now().astimezone().tzinfo
        self._date_second = -1
        self._date_value = ""

        skeleton = EmailMessage(policy=POLICY)
        skeleton["From"] = Address(display_name=env.from_name, addr_spec=env.from_address)
        skeleton["Subject"] = self.subject
        if env.reply_to:
            skeleton["Reply-To"] = env.reply_to
        skeleton["List-Id"] = env.list_id
        skeleton["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        skeleton.set_content(_TEXT_SLOT.decode().strip())
        skeleton.add_alternative(_HTML_SLOT.decode().strip(), subtype="html")
        for part in skeleton.iter_parts():
            part.replace_header("Content-Transfer-Encoding", "quoted-printable")
            del part["MIME-Version"]
        raw = bytes(skeleton)
        head, sep, body = raw.partition(b"\r\n\r\n")
        # Per-recipient headers go just before MIME-Version, next to From and Subject.
        mime_at = head.index(b"MIME-Version:")
        self._head, self._mime = head[:mime_at], head[mime_at:] + b"\r\n"
        before_text, _, rest = body.partition(_TEXT_SLOT)
        between, _, after_html = rest.partition(_HTML_SLOT)
        if not after_html:
            raise RuntimeError("message skeleton: body slots not found")  # an email package change
        self._parts = (sep[2:] + before_text, between, after_html)

        sample_html, sample_text = rendered.personalize(unsubscribe_url(settings, "sample-token"), None)
        self._html = _QuotedPrintable(sample_html)
        self._text = _QuotedPrintable(sample_text)

    def _date(self) -> str:
        """The Date header value, formatted once per second (a send does hundreds a second)."""
        now = int(time.time())
        if now != self._date_second:
            self._date_second = now
            self._date_value = format_datetime(datetime.fromtimestamp(now, self._tz))
        return self._date_value

    def unsubscribe_url(self, email: str, selector: str | None = None) -> str:
        """The recipient's link: opaque when their subscriber row is known (``selector``); a
        version 1 token (the address inside) only for a test copy to someone not subscribed."""
        token = self.signer.reader_token(selector) if selector else self.signer.token(email, self.list_name)
        return self.envelope.unsubscribe_url.replace("{token}", token)

    def build(
        self,
        email: str,
        name: str | None = None,
        ref: Any = None,
        edition_id: int | None = None,
        selector: str | None = None,
    ) -> OutgoingMessage:
        """One recipient's message; HeaderInjectionError if their address or name has CR/LF.

        With [delivery] return_path, an edition's message (``edition_id`` and the subscriber
        id as ``ref``) goes out with its own envelope sender: a bounce then names who and which
        edition even when the bouncing server rewrites or hides the recipient."""
        check_header("To", email)
        if name:
            name = " ".join(header_text(check_header("To (name)", name)).split())
        env = self.envelope
        url = self.unsubscribe_url(email, selector)
        html, text = self.rendered.personalize(url, name or None)
        message_id = make_msgid(domain=env.domain)
        unsubscribe = f"List-Unsubscribe: <{url}>"
        if env.unsubscribe_mailto:
            unsubscribe += f",\r\n <{env.unsubscribe_mailto}>"
        headers = f"Date: {self._date()}\r\nMessage-ID: {message_id}\r\n{unsubscribe}\r\n".encode("ascii")
        to_value = formataddr((name or "", email), charset="utf-8")  # quotes and RFC 2047-encodes the name
        if len(to_value) <= 72 and to_value.isascii():
            to = f"To: {to_value}\r\n".encode("ascii")  # short enough: nothing to fold
        else:
            to = POLICY.fold_binary("To", to_value)
        before_text, between, after_html = self._parts
        data = b"".join(
            [
                self._head,
                to,
                headers,
                self._mime,
                before_text,
                self._text.encode(text),
                between,
                self._html.encode(html),
                after_html,
            ]
        )
        sender, token = env.from_address, None
        if env.return_path and edition_id is not None and isinstance(ref, int):
            token = self.signer.bounce_token(edition_id, ref)
            sender = env.return_path.replace("{token}", token)
        return OutgoingMessage(sender, email, data, message_id, ref, bounce_token=token)
