"""The provider webhooks of `digest serve` over real HTTP (uvicorn on 127.0.0.1), fed the
providers' documented sample payloads (tests/data/webhooks), signed with test keys.

No network: the SNS signing certificate comes from a test CA through the app's certificate
loader (the URL checks still run first), and a SubscribeURL is handed to a recorder instead of
being visited, so the test sees exactly what would have been fetched.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.support.asgi import serve_app
from tests.support.delivery import configure
from tests.support.paths import ROOT
from tests.support.sns_signing import CERT_URL, SigningAuthority, make_authority, ses_notification

from digest.mailing import subscribers
from digest.storage.engine import open_engine
from digest.web.app import create_app

SAMPLES = ROOT / "tests" / "data" / "webhooks"
TOPIC = "arn:aws:sns:us-west-2:123456789012:MyTopic"
MAILGUN_KEY = "key-test-mailgun-signing-0123456789"
POSTMARK = ("postmark-hook", "p0stmark-Secret-pass")
PEOPLE = [
    "jane@example.com",
    "mary@example.com",
    "richard@example.com",
    "alice@example.com",
    "carol@example.com",
    "john@example.com",
    "zaphod@example.com",
]


def sample(name: str) -> dict[str, Any]:
    return json.loads((SAMPLES / name).read_text(encoding="utf-8"))  # type: ignore[no-any-return]


@dataclass
class Hooks:
    url: str
    settings: Any
    authority: SigningAuthority
    confirmed: list[str] = field(default_factory=list)

    def post(self, path: str, body: Any, **kwargs: Any) -> httpx.Response:
        content = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers = {"content-type": "application/json", **kwargs.pop("headers", {})}
        return httpx.post(self.url + path, content=content, headers=headers, timeout=10, **kwargs)

    def status(self, address: str) -> set[str]:
        engine = open_engine(self.settings)
        try:
            return {s.status for s in subscribers.get_all(engine, address)}
        finally:
            engine.dispose()


def _start(monkeypatch: pytest.MonkeyPatch, **env: str) -> Iterator[Hooks]:
    settings = configure(monkeypatch, "memory://", DIGEST_WEB__SES_TOPIC_ARNS=TOPIC, **env)
    engine = open_engine(settings)
    for address in PEOPLE:
        subscribers.add(engine, address)
    engine.dispose()
    authority = make_authority()
    hooks = Hooks("", settings, authority)
    app = create_app(settings, sns_certificates=authority.loader, sns_confirm=hooks.confirmed.append)
    with serve_app(app) as url:
        hooks.url = url
        yield hooks


@pytest.fixture
def hooks(monkeypatch: pytest.MonkeyPatch) -> Iterator[Hooks]:
    monkeypatch.setenv("DIGEST_MAILGUN_SIGNING_KEY", MAILGUN_KEY)
    monkeypatch.setenv("DIGEST_POSTMARK_WEBHOOK_USER", POSTMARK[0])
    monkeypatch.setenv("DIGEST_POSTMARK_WEBHOOK_PASSWORD", POSTMARK[1])
    yield from _start(monkeypatch)


def _ses(hooks: Hooks, ses_sample: str, version: str = "1", **changes: Any) -> dict[str, Any]:
    message = ses_notification(sample("sns-notification.json"), sample(ses_sample), TOPIC)
    message.update(changes)
    return hooks.authority.sign(message, version)


# ------------------------------------------------------------------ SES (SNS)


def test_ses_bounce_and_complaint_signed_with_either_version(hooks: Hooks) -> None:
    bounce = hooks.post("/webhooks/ses", _ses(hooks, "ses-bounce.json", "1"))
    assert bounce.status_code == 200, bounce.text
    assert bounce.json() == {
        "processed": 0,
        "hard": 1,
        "soft": 0,
        "complaints": 0,
        "not_bounces": 0,
        "unmatched": 0,
        "suppressed": ["jane@example.com"],
    }
    complaint = hooks.post("/webhooks/ses", _ses(hooks, "ses-complaint.json", "2", MessageId="second-message"))
    assert complaint.status_code == 200, complaint.text
    assert complaint.json()["suppressed"] == ["richard@example.com"]
    assert hooks.status("jane@example.com") == {"bounced"}
    assert hooks.status("richard@example.com") == {"complained"}
    assert hooks.status("mary@example.com") == {"active"}
    assert hooks.authority.loaded == [CERT_URL]  # fetched once, then cached

    again = hooks.post("/webhooks/ses", _ses(hooks, "ses-bounce.json", "1"))  # SNS retries a delivery
    assert again.status_code == 200 and again.json()["hard"] == 0


@pytest.mark.parametrize(
    "cert_url",
    [
        "https://sns.us-west-2.amazonaws.com.evil.example/cert.pem",
        "http://sns.us-west-2.amazonaws.com/cert.pem",
        "https://sns.us-west-2.amazonaws.com@evil.example/cert.pem",
        "https://sns.us-west-2.amazonaws.com:8443/cert.pem",
        "https://evil.example/sns.us-west-2.amazonaws.com/cert.pem",
        "https://s3.amazonaws.com/cert.pem",
    ],
)
def test_ses_certificates_come_only_from_sns_hosts(hooks: Hooks, cert_url: str) -> None:
    message = ses_notification(sample("sns-notification.json"), sample("ses-bounce.json"), TOPIC)
    response = hooks.post("/webhooks/ses", hooks.authority.sign(message, "1", cert_url=cert_url))
    assert response.status_code == 401 and "SigningCertURL" in response.text
    assert hooks.authority.loaded == []  # nothing was fetched from there
    assert hooks.status("jane@example.com") == {"active"}


def test_ses_refuses_unsigned_tampered_and_foreign_messages(hooks: Hooks) -> None:
    as_documented = sample("sns-notification.json")  # its Signature is AWS's placeholder
    assert hooks.post("/webhooks/ses", as_documented).status_code == 401
    unsigned = {k: v for k, v in _ses(hooks, "ses-bounce.json").items() if k != "Signature"}
    assert hooks.post("/webhooks/ses", unsigned).status_code == 401
    tampered = _ses(hooks, "ses-bounce.json")
    tampered["Message"] = tampered["Message"].replace("jane@example.com", "mary@example.com")
    refused = hooks.post("/webhooks/ses", tampered)
    assert refused.status_code == 401 and "bad signature" in refused.text
    other_key = make_authority().sign(
        ses_notification(sample("sns-notification.json"), sample("ses-bounce.json"), TOPIC)
    )
    assert hooks.post("/webhooks/ses", other_key).status_code == 401
    unknown_version = _ses(hooks, "ses-bounce.json")
    unknown_version["SignatureVersion"] = "3"
    assert hooks.post("/webhooks/ses", unknown_version).status_code == 401
    assert hooks.post("/webhooks/ses", b"not json").status_code == 401
    foreign = hooks.post("/webhooks/ses", _ses(hooks, "ses-bounce.json", TopicArn="arn:aws:sns:us-west-2:999:theirs"))
    assert foreign.status_code == 403  # correctly signed by SNS, but not our topic
    assert hooks.status("jane@example.com") == {"active"} and hooks.status("mary@example.com") == {"active"}


def test_subscription_confirmation_visits_only_sns_urls(hooks: Hooks) -> None:
    documented = sample("sns-subscription-confirmation.json")
    confirmation = hooks.authority.sign({k: v for k, v in documented.items() if k != "Signature"}, "1")
    response = hooks.post("/webhooks/ses", confirmation)
    assert response.status_code == 200, response.text
    assert hooks.confirmed == [documented["SubscribeURL"]]

    elsewhere = hooks.authority.sign({**confirmation, "SubscribeURL": "https://evil.example/?Action=Confirm"}, "2")
    assert hooks.post("/webhooks/ses", elsewhere).status_code == 400
    local = hooks.authority.sign({**confirmation, "SubscribeURL": "https://127.0.0.1/?Action=Confirm"}, "2")
    assert hooks.post("/webhooks/ses", local).status_code == 400
    assert hooks.post("/webhooks/ses", documented).status_code == 401  # the doc's placeholder signature
    assert hooks.confirmed == [documented["SubscribeURL"]]  # nothing else was visited


# ------------------------------------------------------------------ Mailgun


def _mailgun(name: str, key: str = MAILGUN_KEY, timestamp: int | None = None) -> dict[str, Any]:
    payload = sample(name)
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    token = payload["signature"]["token"]
    digest = hmac.new(key.encode(), (stamp + token).encode(), hashlib.sha256).hexdigest()
    payload["signature"] = {"timestamp": stamp, "token": token, "signature": digest}
    return payload


def test_mailgun_events_signed_fresh_and_once(hooks: Hooks) -> None:
    failed = hooks.post("/webhooks/mailgun", _mailgun("mailgun-failed-permanent.json"))
    assert failed.status_code == 200, failed.text
    assert failed.json()["suppressed"] == ["alice@example.com"]
    assert hooks.status("alice@example.com") == {"bounced"}

    temporary = hooks.post("/webhooks/mailgun", _mailgun("mailgun-failed-temporary.json"))
    assert temporary.status_code == 200 and temporary.json()["soft"] == 0  # Mailgun retries it itself

    complained = hooks.post("/webhooks/mailgun", _mailgun("mailgun-complained.json"))
    assert complained.status_code == 200 and complained.json()["suppressed"] == ["carol@example.com"]
    assert hooks.status("carol@example.com") == {"complained"}

    replayed = hooks.post("/webhooks/mailgun", _mailgun("mailgun-complained.json"))
    assert replayed.status_code == 401 and "replayed" in replayed.text


def test_mailgun_refuses_bad_stale_and_unsigned_calls(hooks: Hooks) -> None:
    as_documented = sample("mailgun-failed-permanent.json")  # signed with Mailgun's example key
    assert hooks.post("/webhooks/mailgun", as_documented).status_code == 401
    wrong_key = hooks.post("/webhooks/mailgun", _mailgun("mailgun-failed-permanent.json", key="another-key"))
    assert wrong_key.status_code == 401 and "bad signature" in wrong_key.text
    stale = _mailgun("mailgun-failed-permanent.json", timestamp=int(time.time()) - 3600)
    response = hooks.post("/webhooks/mailgun", stale)
    assert response.status_code == 401 and "stale" in response.text
    unsigned = {k: v for k, v in sample("mailgun-failed-permanent.json").items() if k != "signature"}
    assert hooks.post("/webhooks/mailgun", unsigned).status_code == 401
    assert hooks.status("alice@example.com") == {"active"}


def test_mailgun_without_a_signing_key_refuses_everything(monkeypatch: pytest.MonkeyPatch) -> None:
    for hooks in _start(monkeypatch):
        response = hooks.post("/webhooks/mailgun", _mailgun("mailgun-failed-permanent.json"))
        assert response.status_code == 401 and "DIGEST_MAILGUN_SIGNING_KEY" in response.text
        assert hooks.post("/webhooks/postmark", sample("postmark-bounce.json")).status_code == 401


# ------------------------------------------------------------------ Postmark


def _basic(user: str, password: str) -> dict[str, str]:
    return {"authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def test_postmark_needs_its_credentials(hooks: Hooks) -> None:
    bounce = sample("postmark-bounce.json")
    anonymous = hooks.post("/webhooks/postmark", bounce)
    assert anonymous.status_code == 401 and anonymous.headers["www-authenticate"].startswith("Basic")
    assert hooks.post("/webhooks/postmark", bounce, headers=_basic(POSTMARK[0], "wrong")).status_code == 401
    assert hooks.post("/webhooks/postmark", bounce, headers=_basic("wrong", POSTMARK[1])).status_code == 401
    assert hooks.status("john@example.com") == {"active"}

    ok = hooks.post("/webhooks/postmark", bounce, headers=_basic(*POSTMARK))
    assert ok.status_code == 200 and ok.json()["suppressed"] == ["john@example.com"]
    spam = hooks.post("/webhooks/postmark", sample("postmark-spam-complaint.json"), headers=_basic(*POSTMARK))
    assert spam.status_code == 200 and spam.json()["complaints"] == 1
    assert hooks.status("john@example.com") == {"bounced"}
    assert hooks.status("zaphod@example.com") == {"complained"}


# ------------------------------------------------------------------ limits


def test_webhooks_keep_the_body_cap_and_a_rate_limit(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DIGEST_POSTMARK_WEBHOOK_USER", POSTMARK[0])
    monkeypatch.setenv("DIGEST_POSTMARK_WEBHOOK_PASSWORD", POSTMARK[1])
    for hooks in _start(monkeypatch, DIGEST_WEB__WEBHOOKS_PER_IP="4/minute", DIGEST_WEB__MAX_BODY_BYTES="2048"):
        big = {**sample("postmark-bounce.json"), "Content": "x" * 4096}
        assert hooks.post("/webhooks/postmark", big, headers=_basic(*POSTMARK)).status_code == 413
        codes = [hooks.post("/webhooks/postmark", {}, headers=_basic(*POSTMARK)).status_code for _ in range(5)]
        assert codes == [200, 200, 200, 200, 429]  # the 413 was refused before it counted
        assert hooks.post("/webhooks/ses", {}).status_code == 429  # the limit is per IP, for every webhook
