"""The whole loop a reader goes through, in Debian's Chromium against `digest serve`: sign up,
confirm from the mail, receive an edition, leave with the message's one-click link the way a
mail provider does it, and be left out of the next edition. Then the archive and its feeds."""

from __future__ import annotations

import email.message
import json
import re
import time
from datetime import datetime
from pathlib import Path

import feedparser
import httpx
import jsonschema
import pytest
from sqlalchemy import create_engine, select
from tests.support.paths import ROOT
from tests.support.smtp import RecordingHandler, start_smtp
from tests.support.web import digest_cli, link_in, service_env, start

from digest.storage.schema import subscribers

pytestmark = pytest.mark.slow

SCHEMA = json.loads((ROOT / "tests/data/schemas/jsonfeed-1.1.schema.json").read_text(encoding="utf-8"))


def _mails(handler: RecordingHandler, address: str) -> list[email.message.EmailMessage]:
    with handler.lock:
        return [m.message for m in handler.messages if address in m.rcpt_tos]


def _wait_mail(handler: RecordingHandler, address: str, count: int = 1) -> list[email.message.EmailMessage]:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        found = _mails(handler, address)
        if len(found) >= count:
            return found
        time.sleep(0.05)
    raise AssertionError(f"no mail to {address}")


def _status(data: Path, address: str) -> str:
    engine = create_engine(f"sqlite:///{data / 'digest.sqlite3'}")
    with engine.connect() as conn:
        value = conn.execute(select(subscribers.c.status).where(subscribers.c.email == address)).scalar_one()
    engine.dispose()
    return str(value)


def test_sign_up_confirm_receive_one_click_leave(tmp_path: Path, browser) -> None:  # type: ignore[no-untyped-def]
    controller, handler = start_smtp()
    service = start(service_env(tmp_path, controller.port))
    data = tmp_path / "data"
    reader, other = "zoe@readers.example.org", "old.hand@readers.example.org"
    try:
        assert digest_cli(service.env, "subscribers", "add", other).returncode == 0
        page = browser.new_page()
        try:
            page.goto(service.url + "subscribe")
            page.get_by_label("E-mail address").fill(reader)
            page.get_by_label("Name").fill("Zoë")
            page.get_by_role("button", name="Subscribe").click()
            page.wait_for_selector("text=Check your inbox")
            assert _status(data, reader) == "pending"

            (confirmation,) = _wait_mail(handler, reader)
            link = link_in(confirmation, service.url + "confirm/")
            html_part = confirmation.get_body(("html",))
            assert html_part is not None and link in html_part.get_content()
            page.goto(link)
            page.wait_for_selector("text=Yes, subscribe me")
            assert _status(data, reader) == "pending"  # opening the link changed nothing
            page.get_by_role("button", name="Yes, subscribe me").click()
            page.wait_for_selector("text=You are subscribed")
            assert _status(data, reader) == "active"
        finally:
            page.close()

        first = digest_cli(service.env, "send", "--now", "--edition", "e1", "--json")
        assert first.returncode == 0, first.stderr
        assert json.loads(first.stdout)["sent"] == 2
        edition = _wait_mail(handler, reader, 2)[-1]
        assert "Zoë" in (edition.get_body(("plain",)).get_content())  # type: ignore[union-attr]
        (url,) = re.findall(r"<(https?://[^>]+)>", str(edition["List-Unsubscribe"]))
        assert url.startswith(service.url + "unsubscribe/")
        token = url.rsplit("/", 1)[1]
        assert re.fullmatch(r"[a-z0-9]{50}", token) and "zoe" not in token
        assert edition["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

        # What Gmail or Yahoo do: a POST of exactly this body, no cookies, no CSRF token.
        with httpx.Client(timeout=10) as provider:
            answer = provider.post(
                url,
                content=b"List-Unsubscribe=One-Click",
                headers={"content-type": "application/x-www-form-urlencoded"},
            )
        assert answer.status_code == 200
        assert _status(data, reader) == "unsubscribed"

        second = digest_cli(service.env, "send", "--now", "--edition", "e2", "--json")
        assert second.returncode == 0, second.stderr
        assert json.loads(second.stdout)["sent"] == 1
        assert len(_mails(handler, reader)) == 2  # the confirmation and e1, nothing of e2
        assert len(_mails(handler, other)) == 2

        # The archive: both editions, the web version with nobody's name or link in it.
        page = browser.new_page()
        try:
            page.goto(service.url + "archive/")
            assert page.locator("ol.editions li").count() == 2
            page.locator("ol.editions a").first.click()
            page.wait_for_load_state()
            assert page.url.startswith(service.url + "archive/e")
            body = page.content()
        finally:
            page.close()
        assert "Zoë" not in body and token not in body and "Hi," in body
        with httpx.Client(base_url=service.url, timeout=10) as c:
            atom = c.get("/feed.xml")
            feed_json = c.get("/feed.json")
        assert atom.headers["content-type"].startswith("application/atom+xml")
        parsed = feedparser.parse(atom.content)
        assert not parsed.bozo, parsed.get("bozo_exception")
        assert [e.link for e in parsed.entries] == [service.url + "archive/e2/", service.url + "archive/e1/"]
        assert parsed.entries[0].content[0].value.count("<li>") >= 1
        doc = feed_json.json()
        jsonschema.validate(doc, SCHEMA)
        assert [i["id"] for i in doc["items"]] == [e.link for e in parsed.entries]
        for item in doc["items"]:
            datetime.fromisoformat(item["date_published"])
            assert item["_digest"]["stories"] and all(s["title"] for s in item["_digest"]["stories"])
    finally:
        code, err = service.stop()
        controller.stop()
    assert code == 0 and "Traceback" not in err
