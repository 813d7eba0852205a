"""Bounce and complaint classification on real messages (tests/data/bounces) and edge cases."""

from __future__ import annotations

import json
from email.message import EmailMessage
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from digest.errors import InputError
from digest.mailing.bounces import BounceReport, classify_bytes, classify_file, smtp_reply_is_unknown_user

DATA = Path(__file__).resolve().parents[2] / "data" / "bounces"
EMAILS = DATA / "emails"
LABELS = [json.loads(line) for line in (DATA / "labels.jsonl").read_text().splitlines() if line.strip()]


def _raw(name: str) -> bytes:
    return (EMAILS / name).read_bytes()


# ------------------------------------------------------------------ the labelled set


def test_dev_set_recipients_and_kinds_agree_with_the_reference_labels() -> None:
    exact = 0
    kinds_ok = 0
    kinds_total = 0
    for lab in LABELS:
        got = {b.recipient: b.kind for b in classify_file(EMAILS / lab["file"]).bounces}
        expected = {b["recipient"]: b["kind"] for b in lab["bounces"]}
        exact += set(got) == set(expected)
        for recipient, kind in expected.items():
            kinds_total += 1
            kinds_ok += got.get(recipient) == kind
    assert len(LABELS) == 157
    assert exact / len(LABELS) >= 0.95
    assert kinds_ok / kinds_total >= 0.95


def test_reason_and_status_are_reported_as_the_labels_name_them() -> None:
    report = classify_bytes(_raw("lhost-sendmail-03.eml"))
    assert [b.as_dict() for b in report.bounces] == [
        {"recipient": "bounce0@example.org", "kind": "hard", "reason": "userunknown", "status": "5.1.1"}
    ]


# ------------------------------------------------------------------ not bounces


def test_arf_feedback_report_is_a_complaint() -> None:
    report = classify_bytes(_raw("arf-01.eml"))
    assert [(b.recipient, b.kind, b.reason, b.status) for b in report.bounces] == [
        ("redacted@example.net", "complaint", "feedback", None)
    ]
    assert report.original_return_path == "support@example.ed.jp"


def _dsn(action: str, status: str, diagnostic: str) -> bytes:
    """A multipart/report delivery status notification as an MTA writes it."""
    return f"""\
From: Mail Delivery System <MAILER-DAEMON@mx.example.net>
To: bounces+tok3n@news.example.org
Date: Tue, 02 Jan 2024 10:00:00 +0000
Subject: Delivery Status Notification
Message-ID: <dsn.1@mx.example.net>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="==b=="

--==b==
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.example.net.

--==b==
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.net

Final-Recipient: rfc822; reader@example.com
Action: {action}
Status: {status}
Diagnostic-Code: smtp; {diagnostic}

--==b==
Content-Type: text/rfc822-headers

Return-Path: <bounces+tok3n@news.example.org>
From: News <news@example.org>
To: reader@example.com
Date: Tue, 02 Jan 2024 09:59:00 +0000
Subject: Morning edition
Message-ID: <edition-7.reader-42@news.example.org>

--==b==--
""".encode()


def test_failure_dsn_reports_the_recipient_and_what_the_original_was() -> None:
    report = classify_bytes(_dsn("failed", "5.1.1", "550 5.1.1 <reader@example.com>: User unknown"))
    assert [(b.recipient, b.kind, b.reason, b.status) for b in report.bounces] == [
        ("reader@example.com", "hard", "userunknown", "5.1.1")
    ]
    assert report.original_message_id == "edition-7.reader-42@news.example.org"
    assert report.original_return_path == "bounces+tok3n@news.example.org"
    assert "bounces+tok3n@news.example.org" in report.envelope_to


def test_success_dsn_gives_no_bounces() -> None:
    assert classify_bytes(_dsn("delivered", "2.0.0", "250 2.0.0 Ok: queued as 1234")).bounces == ()


def test_ses_delivery_notification_gives_no_bounces() -> None:
    assert classify_bytes(_raw("lhost-amazonses-12.eml")).bounces == ()


@pytest.mark.parametrize("name", ["rfc3834-01.eml", "rfc3834-02.eml"])
def test_vacation_reply_gives_no_bounces(name: str) -> None:
    report = classify_bytes(_raw(name))
    assert report.bounces == ()
    assert not report.is_bounce


def test_ordinary_message_gives_no_bounces() -> None:
    msg = EmailMessage()
    msg["From"] = "Ann <ann@example.com>"
    msg["To"] = "news@example.org"
    msg["Subject"] = "Re: Morning edition"
    msg.set_content("Thanks for the newsletter, the user unknown story was fun.\n")
    assert classify_bytes(msg.as_bytes()) == BounceReport(envelope_to=("news@example.org",))


# ------------------------------------------------------------------ line endings


@pytest.mark.parametrize("name", ["lhost-postfix-10.eml", "lhost-exim-01.eml", "lhost-gmail-05.eml", "arf-01.eml"])
def test_crlf_and_cr_only_line_endings_read_like_lf(name: str) -> None:
    lf = _raw(name).replace(b"\r\n", b"\n")
    expected = classify_bytes(lf)
    assert expected.bounces
    assert classify_bytes(lf.replace(b"\n", b"\r\n")) == expected
    assert classify_bytes(lf.replace(b"\n", b"\r")) == expected


# ------------------------------------------------------------------ attribution


def test_verp_address_the_bounce_was_delivered_to_is_exposed() -> None:
    raw = _raw("lhost-postfix-10.eml").replace(
        b"X-Original-To: root@vagrant-centos65.vagrantup.com",
        b"X-Original-To: Bounces+AbC123@News.Example.org",
    )
    report = classify_bytes(raw)
    assert report.bounces[0].recipient == "kijitora@example.jp"
    assert "bounces+abc123@news.example.org" in report.envelope_to
    assert report.original_message_id == "20150213024544.6666920BF0@vagrant-centos65.vagrantup.com"


# ------------------------------------------------------------------ bad input


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty message"),
        (b"\r\n \n", "empty message"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not an email message"),
        (b"Subject: x\x00y\n\nbody\n", "binary data"),
        (b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\n", "not an email message"),
    ],
)
def test_input_that_is_not_a_mail_message_is_a_clear_error(data: bytes, message: str) -> None:
    with pytest.raises(InputError, match=message):
        classify_bytes(data)


def test_unreadable_file_names_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.eml"
    with pytest.raises(InputError, match="nope.eml: cannot read"):
        classify_file(missing)
    binary = tmp_path / "image.eml"
    binary.write_bytes(b"\x00\x01\x02\x03" * 100)
    with pytest.raises(InputError, match="image.eml: not an email message"):
        classify_file(binary)


def test_header_only_message_is_not_a_bounce() -> None:
    assert classify_bytes(b"From: a@example.com\nSubject: hi\n").bounces == ()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=4000))
def test_any_bytes_give_a_report_or_an_input_error(data: bytes) -> None:
    try:
        report = classify_bytes(data)
    except InputError as exc:
        assert str(exc)
    else:
        assert isinstance(report, BounceReport)


_SAMPLES = [_raw(name) for name in ("lhost-postfix-10.eml", "arf-01.eml", "lhost-exim-01.eml", "rfc3464-35.eml")]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(_SAMPLES),
    st.lists(st.tuples(st.integers(min_value=0), st.binary(min_size=0, max_size=40)), max_size=8),
)
def test_damaged_real_bounces_give_a_report_or_an_input_error(base: bytes, edits: list[tuple[int, bytes]]) -> None:
    data = bytearray(base)
    for position, chunk in edits:
        at = position % (len(data) + 1)
        data[at : at + len(chunk)] = chunk
    try:
        report = classify_bytes(bytes(data))
    except InputError:
        return
    assert all(b.kind in ("hard", "soft", "complaint") for b in report.bounces)


# ------------------------------------------------------------------ replies during a send


@pytest.mark.parametrize(
    ("code", "reply"),
    [
        (550, "5.1.1 <reader@example.com>: Recipient address rejected: User unknown in local recipient table"),
        (550, "5.1.1 The email account that you tried to reach does not exist."),
        (550, "No such user here"),
        (550, "5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup"),
        (553, "sorry, no mailbox here by that name. (#5.1.1)"),
        (550, "<reader@example.com>... User unknown"),
        (554, "delivery error: dd This user doesn't have a example.com account"),
    ],
)
def test_unknown_user_replies_are_recognised(code: int, reply: str) -> None:
    assert smtp_reply_is_unknown_user(code, reply)


@pytest.mark.parametrize(
    ("code", "reply"),
    [
        (450, "4.1.1 <reader@example.com>: Recipient address rejected: User unknown"),
        (452, "4.2.2 Mailbox full"),
        (552, "5.2.2 Mailbox full, user unknown quota"),
        (550, "5.7.1 Message rejected as spam by Content Filtering"),
        (554, "5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org"),
        (550, "5.1.1 ... user unknown: blocked using spamhaus"),
        (550, "5.7.1 Relaying denied"),
        (250, "2.0.0 Ok: queued as 1234"),
        (550, "Message rejected: your IP is listed"),
    ],
)
def test_other_replies_are_not_unknown_users(code: int, reply: str) -> None:
    assert not smtp_reply_is_unknown_user(code, reply)
