"""Checking that an HTTP POST really comes from Amazon SNS, as AWS documents it.

The signature (``SignatureVersion`` 1: SHA1withRSA, 2: SHA256withRSA) covers a canonical
string of the message's fields, each as ``Name\\nvalue\\n`` in a fixed order. The certificate
that verifies it is fetched only from an https ``SigningCertURL`` on an SNS host
(``sns.<region>.amazonaws.com``, or ``.amazonaws.com.cn``), over verified TLS, and cached. A
``SubscribeURL`` is visited only when it is on such a host too.

An SNS signature proves the message went through SNS, not whose topic sent it: anyone can
subscribe this endpoint to their own topic. So the topic must be one of ``[web]
ses_topic_arns`` as well; that check is the caller's.
"""

from __future__ import annotations

import base64
import binascii
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

CertificateLoader = Callable[[str], bytes]  # SigningCertURL -> PEM bytes

_SNS_HOST = re.compile(r"^sns\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?$")
_NOTIFICATION_FIELDS = ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type")
_CONFIRMATION_FIELDS = ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type")
TYPES = ("Notification", "SubscriptionConfirmation", "UnsubscribeConfirmation")
_MAX_CERTIFICATE = 64 * 1024


class SnsError(Exception):
    """The message is not a valid, signed SNS message; the text says why (safe to log)."""


def is_sns_url(url: object) -> bool:
    """An https URL on an SNS host, with no user, port or other trick in it."""
    if not isinstance(url, str):
        return False
    parts = urlsplit(url)
    if parts.scheme != "https" or parts.username or parts.password:
        return False
    try:
        port = parts.port
    except ValueError:
        return False
    host = parts.hostname or ""
    return port in (None, 443) and bool(_SNS_HOST.match(host)) and parts.netloc.lower() in (host, f"{host}:443")


def canonical_string(message: Mapping[str, Any]) -> bytes:
    """What the signature covers: the fields of the message's type, in AWS's order."""
    kind = message.get("Type")
    names = _NOTIFICATION_FIELDS if kind == "Notification" else _CONFIRMATION_FIELDS
    out = []
    for name in names:
        if name not in message:
            if name == "Subject":
                continue  # optional in notifications
            raise SnsError(f"no {name} in the message")
        value = message[name]
        if not isinstance(value, str):
            raise SnsError(f"{name} is not a string")
        out.append(f"{name}\n{value}\n")
    return "".join(out).encode("utf-8")


def fetch_certificate(url: str) -> bytes:
    """The PEM at an SNS SigningCertURL (verified TLS, no redirects, size-capped)."""
    import httpx

    with httpx.Client(timeout=10, follow_redirects=False) as client, client.stream("GET", url) as response:
        if response.status_code != 200:
            raise SnsError(f"signing certificate: HTTP {response.status_code}")
        data = b""
        for chunk in response.iter_bytes():
            data += chunk
            if len(data) > _MAX_CERTIFICATE:
                raise SnsError("signing certificate: too large")
    return data


class SnsVerifier:
    """Verifies SNS signatures; certificates are loaded once per URL and kept (a few at most)."""

    def __init__(self, loader: CertificateLoader | None = None, cache_size: int = 16) -> None:
        self._loader = loader or fetch_certificate
        self._cache: OrderedDict[str, x509.Certificate] = OrderedDict()
        self._size = cache_size
        self._lock = threading.Lock()

    def certificate(self, url: str) -> x509.Certificate:
        if not is_sns_url(url):
            raise SnsError("SigningCertURL is not an https URL on an SNS host")
        with self._lock:
            cached = self._cache.get(url)
            if cached is not None:
                self._cache.move_to_end(url)
        if cached is None:
            try:
                cached = x509.load_pem_x509_certificate(self._loader(url))
            except SnsError:
                raise
            except Exception as exc:  # noqa: BLE001 - network, TLS or PEM errors: all mean "cannot verify"
                raise SnsError(f"signing certificate: {type(exc).__name__}") from None
            with self._lock:
                self._cache[url] = cached
                while len(self._cache) > self._size:
                    self._cache.popitem(last=False)
        now = datetime.now(UTC)
        if not cached.not_valid_before_utc <= now <= cached.not_valid_after_utc:
            raise SnsError("signing certificate is expired or not yet valid")
        return cached

    def verify(self, message: Mapping[str, Any]) -> None:
        """Raise SnsError unless the message is of a known type and correctly signed."""
        if message.get("Type") not in TYPES:
            raise SnsError("unknown or missing Type")
        version = message.get("SignatureVersion")
        algorithm: hashes.HashAlgorithm
        if version == "1":
            algorithm = hashes.SHA1()
        elif version == "2":
            algorithm = hashes.SHA256()
        else:
            raise SnsError("unsigned, or an unknown SignatureVersion")
        signature_text = message.get("Signature")
        if not isinstance(signature_text, str) or not signature_text:
            raise SnsError("unsigned")
        try:
            signature = base64.b64decode(signature_text, validate=True)
        except (binascii.Error, ValueError):
            raise SnsError("Signature is not base64") from None
        payload = canonical_string(message)
        key = self.certificate(str(message.get("SigningCertURL", ""))).public_key()
        if not isinstance(key, rsa.RSAPublicKey):
            raise SnsError("signing certificate has no RSA key")
        try:
            key.verify(signature, payload, padding.PKCS1v15(), algorithm)
        except InvalidSignature:
            raise SnsError("bad signature") from None


def confirm_subscription(url: str) -> None:
    """Visit a SubscribeURL (only ever called with one that ``is_sns_url``)."""
    import httpx

    response = httpx.get(url, timeout=10, follow_redirects=False)
    response.raise_for_status()
