"""Message building: headers, MIME structure, encodings, header injection, unsubscribe tokens."""

from __future__ import annotations

import email
import email.policy
import logging
import os
import stat
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update
from tests.support.delivery import UNSUBSCRIBE_KEY, check_all, check_message, cli, configure, seed

from digest.deliver.memory import MemoryBackend
from digest.errors import ConfigError, InputError
from digest.mailing.message import HeaderInjectionError, MessageFactory
from digest.mailing.send import send_digest
from digest.mailing.subscribers import unsubscribe
from digest.mailing.tokens import UnsubscribeSigner, load_key, signer_for
from digest.render.email import GREETING_MARKER, UNSUBSCRIBE_MARKER, RenderedEmail
from digest.storage.engine import open_engine
from digest.storage.schema import sends, subscribers


@pytest.fixture(autouse=True)
def _empty_memory_outbox() -> None:
    MemoryBackend.clear()


def _memory_raws() -> list[tuple[list[str], bytes]]:
    return [([m.recipient], m.data) for m in MemoryBackend.outbox]


def test_every_message_follows_the_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = configure(monkeypatch, "memory://", DIGEST_DELIVERY__UNSUBSCRIBE_MAILTO="leave@example.com")
    emails = seed(settings, 12)
    report = send_digest(settings)
    assert (report.sent, report.failed, report.skipped) == (12, 0, 0)
    check_all(_memory_raws(), emails)
    first = email.message_from_bytes(MemoryBackend.outbox[0].data, policy=email.policy.default)
    assert "<mailto:leave@example.com?subject=unsubscribe>" in str(first["List-Unsubscribe"])
    ids = {m.message_id for m in MemoryBackend.outbox}
    assert len(ids) == 12  # unique Message-IDs
    named = [m for m in MemoryBackend.outbox if m.recipient == "reader001@example.org"][0]
    parsed = email.message_from_bytes(named.data, policy=email.policy.default)
    assert parsed["To"].addresses[0].display_name == "Zoë Reader 1"
    assert "Hi Zoë Reader 1," in parsed.get_body(("plain",)).get_content()


def test_long_lines_non_ascii_and_exact_round_trip(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = configure(monkeypatch, "memory://")
    long_line = "<p>" + ("Ünïcödé “quoted” text, 12 € & more " * 200) + "</p>"  # one 7 KB line
    html = f'<html><body><p>{GREETING_MARKER}</p>{long_line}\n<a href="{UNSUBSCRIBE_MARKER}">x</a>  \n</body></html>'
    text = f"{GREETING_MARKER}\r\n\r\n{'Straße ' * 400}\n.\nFrom here\ttabs  \nUnsubscribe: {UNSUBSCRIBE_MARKER}\n"
    rendered = RenderedEmail(subject="Café news — “quotes” " + "long " * 40, html=html, text=text)
    factory = MessageFactory(settings, rendered, signer_for(settings))
    out = factory.build("ann@example.net", "Ann Ünal", ref=1)
    msg = check_message(out.data, "ann@example.net")
    assert msg["Subject"] == " ".join(rendered.subject.split())
    want_html, want_text = rendered.personalize(factory.unsubscribe_url("ann@example.net"), "Ann Ünal")
    got_text = msg.get_body(("plain",)).get_content()
    got_html = msg.get_body(("html",)).get_content()
    assert got_text.replace("\r\n", "\n") == want_text.replace("\r\n", "\n")
    assert got_html.replace("\r\n", "\n") == want_html.rstrip("\n") + "\n"


def test_header_injection_in_config_is_refused_before_anything_is_sent(monkeypatch: pytest.MonkeyPatch) -> None:
    # Loading the config refuses it, naming the key...
    with pytest.raises(ConfigError, match=r"\[delivery\] from_name: .*line break"):
        configure(monkeypatch, "memory://", DIGEST_DELIVERY__FROM_NAME="Digest\r\nBcc: victim@example.net")
    monkeypatch.delenv("DIGEST_DELIVERY__FROM_NAME")
    settings = configure(monkeypatch, "memory://")
    seed(settings, 3)
    # ...and settings made in code, past the loader, are refused again before anything is sent.
    bad = replace(settings, delivery=replace(settings.delivery, from_name="Digest\r\nBcc: victim@example.net"))
    with pytest.raises(HeaderInjectionError, match="line break"):
        send_digest(bad)
    assert MemoryBackend.outbox == []
    engine = open_engine(settings)
    with engine.connect() as conn:
        assert conn.execute(select(sends)).all() == []
    # The CLI says so in one line and exits 1.
    env = {"DIGEST_BACKEND": "outbox://outbox", "DIGEST_DELIVERY__FROM_NAME": "Digest\r\nBcc: victim@example.net"}
    result = cli("send", "--now", env=env)
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0 and "line break" in result.stderr
    assert not (settings.data_dir / "outbox" / "new").exists() or not list((settings.data_dir / "outbox/new").iterdir())


def test_subject_with_a_line_break_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = configure(monkeypatch, "memory://")
    rendered = RenderedEmail(subject="News\nBcc: x@example.net", html="<p>x</p>", text="x")
    with pytest.raises(HeaderInjectionError):
        MessageFactory(settings, rendered, signer_for(settings))


def test_a_name_with_a_line_break_fails_that_recipient_only(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = configure(monkeypatch, "memory://")
    emails = seed(settings, 4)
    engine = open_engine(settings)
    with engine.begin() as conn:  # as if written by another tool, bypassing our checks
        conn.execute(
            update(subscribers).where(subscribers.c.email == emails[1]).values(name="Eve\r\nBcc: all@example.net")
        )
    report = send_digest(settings)
    assert (report.sent, report.failed) == (3, 1)
    assert report.failures[0]["email"] == emails[1] and "line break" in report.failures[0]["reason"]
    check_all(_memory_raws(), [e for e in emails if e != emails[1]])
    assert all(b"Bcc" not in m.data for m in MemoryBackend.outbox)
    with engine.connect() as conn:
        row = conn.execute(
            select(sends.c.status, sends.c.reply).join(subscribers).where(subscribers.c.email == emails[1])
        ).one()
    assert row.status == "failed" and "line break" in row.reply


def test_tokens_are_signed_and_checked() -> None:
    signer = UnsubscribeSigner(UNSUBSCRIBE_KEY)
    token = signer.token("Ann@Example.org")
    assert signer.verify(token) == "ann@example.org"
    head, _, mac = token.partition(".")
    forged = UnsubscribeSigner("another-key-0123456789abcdef").token("bob@example.org")
    with pytest.raises(InputError, match="signature"):
        signer.verify(forged.partition(".")[0] + "." + mac)
    with pytest.raises(InputError, match="malformed"):
        signer.verify("not-a-token")


def test_generated_key_is_private_and_announced(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    settings = configure(monkeypatch, "memory://")
    settings = type(settings)(**{**settings.__dict__, "unsubscribe_key": None})
    with caplog.at_level(logging.WARNING):
        key = load_key(settings)
    path = settings.data_dir / "unsubscribe.key"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert "DIGEST_UNSUBSCRIBE_KEY" in caplog.text and key not in caplog.text
    assert load_key(settings) == key  # kept: old links stay valid


def test_unsubscribe_by_token_from_a_real_message(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = configure(monkeypatch, "memory://")
    emails = seed(settings, 3)
    send_digest(settings)
    msg = email.message_from_bytes(MemoryBackend.outbox[2].data, policy=email.policy.default)
    token = str(msg["List-Unsubscribe"]).split("token=")[1].split(">")[0]
    result = cli("subscribers", "unsubscribe", token, "--json")
    assert result.returncode == 0, result.stderr
    assert f'"email": "{MemoryBackend.outbox[2].recipient}"' in result.stdout
    engine = open_engine(settings)
    sub, changed = unsubscribe(engine, settings, MemoryBackend.outbox[2].recipient)
    assert sub.status == "unsubscribed" and not changed
    MemoryBackend.clear()
    report = send_digest(settings, edition="evening")
    assert report.sent == 2 and MemoryBackend.outbox[2:] == []
    assert {m.recipient for m in MemoryBackend.outbox} == set(emails) - {sub.email}


def _qp_decode(encoded: bytes) -> str:
    import quopri

    return quopri.decodestring(encoded).decode("utf-8")


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.text(min_size=0, max_size=300),
            st.sampled_from(["<div>", "<table role=x>", "<tr>", " ", "=", "\t", "é", "€", "=3D", "  "]),
        ),
        max_size=120,
    ),
    st.integers(min_value=0, max_value=5),
)
def test_quoted_printable_round_trips_with_short_lines(chunks: list[str], copies: int) -> None:
    from digest.mailing.message import _lines, _QuotedPrintable

    body = "".join(chunks) * (1 + copies * 3)  # some inputs become one line of several KB
    sample = body.replace("<div>", "<div class=other>", 1)
    encoded = _QuotedPrintable(sample).encode(body)
    assert all(len(line) <= 76 for line in encoded.split(b"\r\n"))
    assert b"\n" not in encoded.replace(b"\r\n", b"")
    assert _qp_decode(encoded).split("\r\n")[:-1] == _lines(body)


def test_mjml_style_long_lines_reuse_encoded_pieces(monkeypatch: pytest.MonkeyPatch) -> None:
    settings_ = configure(monkeypatch, "memory://")
    section = '<div style="margin:0 auto"><table role="presentation"><tr><td>Story — “text” = more</td></tr></table>'
    html = (
        "<html>\n<body>"
        + section * 200
        + f'<a href="{UNSUBSCRIBE_MARKER}">u</a>'
        + section * 200
        + "</body>\n</html>\n"
    )
    rendered = RenderedEmail(subject="S", html=html, text=f"{GREETING_MARKER}\n{UNSUBSCRIBE_MARKER}\n")
    factory = MessageFactory(settings_, rendered, signer_for(settings_))
    out = factory.build("ann@example.net", "Ann", ref=1)
    msg = check_message(out.data, "ann@example.net")
    want_html, _ = rendered.personalize(factory.unsubscribe_url("ann@example.net"), "Ann")
    assert msg.get_body(("html",)).get_content().replace("\r\n", "\n") == want_html
    assert all(len(line) <= 76 for line in out.data.split(b"\r\n\r\n", 1)[1].split(b"\r\n"))
    assert factory._html._pieces and len(html) > 30_000  # the long line was cut into shared pieces


def test_list_unsubscribe_stays_within_the_line_limit_for_the_longest_address_and_list(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """RFC 5322 2.1.1: no line over 998 octets, whatever the address, list and URL template."""
    from digest.mailing.message import _MAX_URL

    url = "https://example.com/u?t={token}&" + "x" * (_MAX_URL - 32)
    assert len(url) == _MAX_URL
    cfg = configure(monkeypatch, "memory://", DIGEST_DELIVERY__UNSUBSCRIBE_URL=url)
    rendered = RenderedEmail(subject="S", html="<p>x</p>", text="x")
    address = "a" * 64 + "@" + ".".join(["b" * 63, "b" * 63, "b" * 58]) + ".cd"  # 254 characters, the most SMTP allows
    assert len(address) == 254
    data = MessageFactory(cfg, rendered, signer_for(cfg), list_name="l" * 64).build(address).data
    assert max(len(line) for line in data.split(b"\r\n")) <= 998
    longer = configure(monkeypatch, "memory://", DIGEST_DELIVERY__UNSUBSCRIBE_URL=url + "x")
    with pytest.raises(ConfigError, match=f"at most {_MAX_URL} characters"):
        MessageFactory(longer, rendered, signer_for(longer))
