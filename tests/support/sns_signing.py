"""A throwaway CA and SNS signing certificate (made with `cryptography`), and SNS messages
signed with it exactly as Amazon SNS signs them (SignatureVersion 1: SHA1, 2: SHA256)."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from digest.web.sns import canonical_string

CERT_URL = "https://sns.us-west-2.amazonaws.com/SimpleNotificationService-f3ecfb7224c7233fe7bb5f59f96de52f.pem"


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


@dataclass
class SigningAuthority:
    key: rsa.RSAPrivateKey
    pem: bytes
    loaded: list[str] = field(default_factory=list)  # every URL a certificate was asked for

    def loader(self, url: str) -> bytes:
        self.loaded.append(url)
        return self.pem

    def sign(self, message: dict[str, Any], version: str = "1", cert_url: str = CERT_URL) -> dict[str, Any]:
        signed = {**message, "SignatureVersion": version, "SigningCertURL": cert_url}
        algorithm = hashes.SHA1() if version == "1" else hashes.SHA256()
        signature = self.key.sign(canonical_string(signed), padding.PKCS1v15(), algorithm)
        signed["Signature"] = base64.b64encode(signature).decode("ascii")
        return signed


def make_authority(valid_days: int = 30) -> SigningAuthority:
    now = datetime.now(UTC)
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("digest test CA"))
        .issuer_name(_name("digest test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=valid_days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("sns.amazonaws.com"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=valid_days))
        .sign(ca_key, hashes.SHA256())
    )
    return SigningAuthority(key=key, pem=cert.public_bytes(serialization.Encoding.PEM))


def ses_notification(envelope: dict[str, Any], ses_message: dict[str, Any], topic: str) -> dict[str, Any]:
    """The SNS notification sample carrying an SES notification sample as its Message."""
    out = {k: v for k, v in envelope.items() if k not in ("Signature", "SignatureVersion", "SigningCertURL")}
    out.update(TopicArn=topic, Message=json.dumps(ses_message))
    return out
