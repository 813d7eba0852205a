"""Readers must be able to leave: real mail does not go out with the example unsubscribe link."""

from __future__ import annotations

import json

import pytest
from tests.support.delivery import cli, configure, seed

from digest.mailing.send import send_digest


def test_a_real_send_with_the_example_link_is_refused(monkeypatch: pytest.MonkeyPatch, smtp_server) -> None:  # type: ignore[no-untyped-def]
    host, port, handler = smtp_server
    settings = configure(monkeypatch, f"smtp://{host}:{port}?tls=none")
    monkeypatch.delenv("DIGEST_DELIVERY__UNSUBSCRIBE_URL")  # the shipped example, as a new user has it
    seed(settings, 2)
    result = cli("send", "--now")
    assert result.returncode == 1 and result.stderr.strip().count("\n") == 0
    assert "[web] base_url" in result.stderr and "unsubscribe_url" in result.stderr
    assert handler.count() == 0
    assert cli("send", "--dry-run").returncode == 0  # looking is fine

    # With the service's address set, the links point at it and the send goes out.
    done = cli("send", "--now", "--json", env={"DIGEST_WEB__BASE_URL": "https://letters.newsroom.test"})
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["sent"] == 2
    for received in handler.messages:
        assert str(received.message["List-Unsubscribe"]).startswith("<https://letters.newsroom.test/unsubscribe/")


def test_the_outbox_needs_no_real_link(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = configure(monkeypatch, "outbox://outbox")
    monkeypatch.delenv("DIGEST_DELIVERY__UNSUBSCRIBE_URL")
    seed(settings, 2)
    assert send_digest(settings).sent == 2  # the README's first command: the outbox reaches nobody
