"""What is held about a reader: `digest subscribers show` (a data access request) and
`digest subscribers export` (the whole list, to move it elsewhere)."""

from __future__ import annotations

import csv
import io
import json

import pytest
from tests.support.delivery import cli, configure

from digest.mailing import optin
from digest.mailing.consents import Visitor
from digest.mailing.subscribers import add
from digest.mailing.tokens import signer_for
from digest.storage.engine import open_engine

pytestmark = pytest.mark.usefixtures("database")  # on SQLite and on PostgreSQL


def test_show_returns_lists_statuses_consents_and_sends(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = configure(monkeypatch, "outbox://outbox", DIGEST_WEB__PUBLIC_LISTS="default,weekly")
    engine = open_engine(settings)
    add(engine, "ann@example.org", "Ann")
    visitor = Visitor(ip="203.0.113.7", user_agent="Mozilla/5.0", form_url="https://news.example.org/subscribe")
    optin.request(
        engine, settings, signer_for(settings), email="ann@example.org", name=None, list_name="weekly", visitor=visitor
    )
    engine.dispose()
    assert cli("send", "--now", "--edition", "e1").returncode == 0

    result = cli("subscribers", "show", "ANN@example.org", "--json")
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)
    assert record["email"] == "ann@example.org"
    assert {(s["list"], s["status"]) for s in record["subscriptions"]} == {("default", "active"), ("weekly", "pending")}
    (consent,) = record["consents"]
    assert (consent["list"], consent["action"], consent["form_url"]) == (
        "weekly",
        "subscribe",
        "https://news.example.org/subscribe",
    )
    assert consent["ip"].startswith("sha256:") and "203.0.113.7" not in result.stdout  # hashed by default
    assert [(s["edition"], s["list"], s["status"]) for s in record["sends"]] == [("e1", "default", "sent")]
    assert record["bounces"] == []
    assert "token" not in json.dumps(record["subscriptions"])  # the link selector is never shown

    unknown = cli("subscribers", "show", "nobody@example.org")
    assert unknown.returncode == 1 and unknown.stderr.strip().count("\n") == 0
    assert "nothing is held" in unknown.stderr


def test_consent_ip_is_kept_as_is_only_when_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = configure(monkeypatch, "outbox://outbox", DIGEST_WEB__STORE_CONSENT_IP="true")
    engine = open_engine(settings)
    optin.request(
        engine,
        settings,
        signer_for(settings),
        email="bo@example.org",
        name=None,
        list_name="default",
        visitor=Visitor(ip="203.0.113.7", user_agent="Mozilla/5.0"),
    )
    engine.dispose()
    (consent,) = json.loads(cli("subscribers", "show", "bo@example.org", "--json").stdout)["consents"]
    assert (consent["ip"], consent["user_agent"]) == ("203.0.113.7", "Mozilla/5.0")


def test_export_every_subscription_as_csv_and_json(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = configure(monkeypatch, "outbox://outbox")
    engine = open_engine(settings)
    add(engine, "ann@example.org", "Ann, the first")
    add(engine, "vic@example.org", None, list_name="vip")
    engine.dispose()
    assert cli("subscribers", "unsubscribe", "ann@example.org").returncode == 0

    as_csv = cli("subscribers", "export", "--format", "csv")
    assert as_csv.returncode == 0, as_csv.stderr
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert [(r["email"], r["list"], r["status"], r["name"]) for r in rows] == [
        ("ann@example.org", "default", "unsubscribed", "Ann, the first"),
        ("vic@example.org", "vip", "active", ""),
    ]
    as_json = json.loads(cli("subscribers", "export", "--format", "json").stdout)
    assert [(r["email"], r["status"]) for r in as_json] == [
        ("ann@example.org", "unsubscribed"),
        ("vic@example.org", "active"),
    ]
    assert set(as_json[0]) == {"email", "name", "list", "status", "created_at", "unsubscribed_at"}
