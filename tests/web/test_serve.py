"""`digest serve` as a reader meets it: a real uvicorn process, a real SMTP server, real HTTP."""

from __future__ import annotations

import base64
import email.message
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, select, update
from tests.support.smtp import RecordingHandler, start_smtp
from tests.support.web import KEY, Service, csrf_form, digest_cli, link_in, service_env, start

from digest.mailing.tokens import UnsubscribeSigner
from digest.storage.schema import consents, subscribers

GENEROUS = {
    "DIGEST_WEB__SUBSCRIBE_PER_IP": "1000/minute",
    "DIGEST_WEB__SUBSCRIBE_PER_ADDRESS": "1000/minute",
    "DIGEST_WEB__CONFIRM_MAILS_PER_ADDRESS": "1000/day",
    "DIGEST_WEB__FORMS_PER_IP": "1000/minute",
    "DIGEST_WEB__PUBLIC_LISTS": "default,weekly",
}


class Site:
    def __init__(self, service: Service, handler: RecordingHandler, data: Path) -> None:
        self.service = service
        self.handler = handler
        self.engine = create_engine(f"sqlite:///{data / 'digest.sqlite3'}")

    def rows(self) -> list[Any]:
        with self.engine.connect() as conn:
            return list(conn.execute(select(subscribers).order_by(subscribers.c.id)).all())

    def consents(self) -> list[Any]:
        with self.engine.connect() as conn:
            return list(conn.execute(select(consents).order_by(consents.c.id)).all())

    def row(self, address: str, list_name: str = "default") -> Any:
        for r in self.rows():
            if r.email == address and r.list == list_name:
                return r
        return None

    def mails_to(self, address: str) -> list[email.message.EmailMessage]:
        with self.handler.lock:
            return [m.message for m in self.handler.messages if address in m.rcpt_tos]

    def subscribe(self, address: str, name: str = "", list_name: str = "default") -> httpx.Response:
        with self.service.client() as c:
            token = csrf_form(c, "/subscribe")
            return c.post("/subscribe", data={"csrf": token, "email": address, "name": name, "list": list_name})

    def confirm_link(self, address: str) -> str:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            mails = self.mails_to(address)
            if mails:
                return link_in(mails[-1], self.service.url + "confirm/")
            time.sleep(0.05)
        raise AssertionError(f"no confirmation mail to {address}")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    tmp = tmp_path_factory.mktemp("serve")
    controller, handler = start_smtp()
    service = start(service_env(tmp, controller.port, **GENEROUS))
    try:
        yield Site(service, handler, tmp / "data")
    finally:
        code, err = service.stop()
        controller.stop()
        assert code == 0, err
        assert "Traceback" not in err


def test_subscribe_confirm_and_the_gets_change_nothing(site: Site) -> None:
    address = "ada@readers.example.org"
    answer = site.subscribe(address, "Ada")
    assert answer.status_code == 200 and "Check your inbox" in answer.text
    row = site.row(address)
    assert row.status == "pending" and row.name == "Ada"
    (mail,) = site.mails_to(address)
    assert mail["Subject"].startswith("Confirm your subscription")
    assert mail.get_body(("plain",)) is not None and mail.get_body(("html",)) is not None
    link = site.confirm_link(address)
    before = (site.rows(), site.consents())
    with site.service.client() as c:
        for _ in range(2):  # a mail scanner, then the reader: neither GET changes anything
            page = c.get(link)
            assert page.status_code == 200 and "Yes, subscribe me" in page.text
        assert (site.rows(), site.consents()) == before
        token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        done = c.post(link, data={"csrf": token})
        assert done.status_code == 200 and "You are subscribed" in done.text
        again = c.post(link, data={"csrf": token})  # pressing twice is fine
        assert again.status_code == 200
    assert site.row(address).status == "active"
    actions = [(c.action, c.list) for c in site.consents() if c.email == address]
    assert actions == [("subscribe", "default"), ("confirm", "default")]
    record = [c for c in site.consents() if c.email == address][0]
    assert record.form_url == site.service.url + "subscribe"
    assert record.ip.startswith("sha256:") and "127.0.0.1" not in record.ip  # hashed by default
    assert record.user_agent.startswith("sha256:")


def test_the_answer_is_the_same_for_new_pending_and_subscribed_addresses(site: Site) -> None:
    address = "enum@readers.example.org"
    first = site.subscribe(address)
    second = site.subscribe(address)  # pending now
    with site.engine.begin() as conn:
        conn.execute(update(subscribers).where(subscribers.c.email == address).values(status="active"))
    third = site.subscribe(address)  # subscribed
    assert first.status_code == second.status_code == third.status_code == 200
    assert first.text == second.text == third.text
    assert len(site.mails_to(address)) == 2  # nobody subscribed is mailed a confirmation again


def test_an_unsubscribed_address_is_not_put_back_by_someone_typing_it(site: Site) -> None:
    address = "left@readers.example.org"
    site.subscribe(address)
    with site.engine.begin() as conn:
        conn.execute(update(subscribers).where(subscribers.c.email == address).values(status="unsubscribed"))
    site.subscribe(address)
    assert site.row(address).status == "unsubscribed"  # until the owner presses the new link's button
    link = site.confirm_link(address)
    with site.service.client() as c:
        token = csrf_form(c, link)
        c.post(link, data={"csrf": token})
    assert site.row(address).status == "active"


def test_the_honeypot_drops_bots_silently(site: Site) -> None:
    with site.service.client() as c:
        token = csrf_form(c, "/subscribe")
        answer = c.post(
            "/subscribe", data={"csrf": token, "email": "bot@readers.example.org", "website": "http://spam"}
        )
    assert answer.status_code == 200 and "Check your inbox" in answer.text
    assert site.row("bot@readers.example.org") is None and site.mails_to("bot@readers.example.org") == []


def test_forms_need_their_csrf_token_and_this_sites_origin(site: Site) -> None:
    with site.service.client() as c:
        assert c.post("/subscribe", data={"email": "x@readers.example.org"}).status_code == 403  # no cookie, no field
        token = csrf_form(c, "/subscribe")
        assert c.post("/subscribe", data={"csrf": "0" * 64, "email": "x@readers.example.org"}).status_code == 403
        other = c.post(
            "/subscribe",
            data={"csrf": token, "email": "x@readers.example.org"},
            headers={"Origin": "https://evil.test"},
        )
        assert other.status_code == 403
        null = c.post("/subscribe", data={"csrf": token, "email": "x@readers.example.org"}, headers={"Origin": "null"})
        assert null.status_code == 403
    with site.service.client() as fresh:  # another browser's field with no cookie of its own
        assert fresh.post("/subscribe", data={"csrf": token, "email": "x@readers.example.org"}).status_code == 403
    assert site.row("x@readers.example.org") is None


def test_bad_input_gets_a_page_and_a_4xx(site: Site) -> None:
    with site.service.client() as c:
        token = csrf_form(c, "/subscribe")
        bad = c.post("/subscribe", data={"csrf": token, "email": "not an address"})
        assert bad.status_code == 400 and "<form" in bad.text
        private = c.post("/subscribe", data={"csrf": token, "email": "y@readers.example.org", "list": "staff"})
        assert private.status_code == 400
        assert c.get("/subscribe?list=staff").status_code == 404
        huge = c.post("/subscribe", content=b"email=" + b"a" * 100_000, headers={"content-type": "text/plain"})
        assert huge.status_code == 413
        assert c.post("/subscribe", content=b"\x00\xff", headers={"content-type": "text/plain"}).status_code == 400
        for path in ("/unsubscribe/AAAA", "/unsubscribe/" + "a" * 50, "/preferences/x.y.z", "/confirm/zz"):
            page = c.get(path)
            assert page.status_code == 404 and "This link does not work" in page.text
        assert c.post("/unsubscribe/" + "b" * 50, data={"List-Unsubscribe": "One-Click"}).status_code == 404
        assert c.get("/nothing-here").status_code == 404
        assert c.request("DELETE", "/subscribe").status_code == 405
    assert site.row("y@readers.example.org") is None


def test_every_page_carries_the_security_headers(site: Site) -> None:
    with site.service.client() as c:
        for path in ("/subscribe", "/unsubscribe/AAAA", "/archive/", "/healthz", "/static/site.css"):
            answer = c.get(path)
            csp = answer.headers["content-security-policy"]
            assert "script-src" not in csp and "default-src 'none'" in csp, path
            assert "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
            assert answer.headers["x-content-type-options"] == "nosniff"
            assert answer.headers["referrer-policy"] == "same-origin"
        home = c.get("/")
        assert home.status_code == 303 and home.headers["location"] == "/archive/"  # a path, never elsewhere
    with site.service.client() as fresh:
        cookie = fresh.get("/subscribe").headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie


def test_one_click_unsubscribe_as_mail_providers_send_it(site: Site) -> None:
    signer = UnsubscribeSigner(KEY)
    for i, kind in enumerate(("form", "multipart")):
        address = f"oneclick{i}@readers.example.org"
        digest_cli(site.service.env, "subscribers", "add", address)
        row = site.row(address)
        token = signer.reader_token(row.token)
        assert re.fullmatch(r"[a-z0-9]{50}", token)
        with httpx.Client(base_url=site.service.url, timeout=10) as bare:  # no cookie, no CSRF field
            for _ in range(2):  # idempotent
                if kind == "form":
                    answer = bare.post(f"/unsubscribe/{token}", data={"List-Unsubscribe": "One-Click"})
                else:
                    answer = bare.post(f"/unsubscribe/{token}", files={"List-Unsubscribe": (None, "One-Click")})
                assert answer.status_code == 200, answer.text
        assert site.row(address).status == "unsubscribed"
        assert [c.action for c in site.consents() if c.email == address] == ["one-click"]


def test_a_post_without_the_one_click_body_needs_the_pages_button(site: Site) -> None:
    address = "button@readers.example.org"
    digest_cli(site.service.env, "subscribers", "add", address)
    token = UnsubscribeSigner(KEY).reader_token(site.row(address).token)
    with httpx.Client(base_url=site.service.url, timeout=10) as bare:
        assert bare.post(f"/unsubscribe/{token}", data={"anything": "x"}).status_code == 403
    assert site.row(address).status == "active"
    with site.service.client() as c:
        page = c.get(f"/unsubscribe/{token}")
        assert page.status_code == 200 and address in page.text and f"/preferences/{token}" in page.text
        assert site.row(address).status == "active"  # the GET changed nothing
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        done = c.post(f"/unsubscribe/{token}", data={"csrf": csrf})
        assert done.status_code == 200 and "You are unsubscribed" in done.text
    assert site.row(address).status == "unsubscribed"


def test_tokens_already_in_mailboxes_keep_working(site: Site) -> None:
    address = "old.token@readers.example.org"
    digest_cli(site.service.env, "subscribers", "add", address)
    old = UnsubscribeSigner(KEY).token(address)  # version 1: the address inside, in base64
    assert base64.urlsafe_b64decode(old.split(".")[0] + "==").decode() == address
    with site.service.client() as c:
        assert address in c.get(f"/unsubscribe/{old}").text
    with httpx.Client(base_url=site.service.url, timeout=10) as bare:
        assert bare.post(f"/unsubscribe/{old}", data={"List-Unsubscribe": "One-Click"}).status_code == 200
    assert site.row(address).status == "unsubscribed"
    forged = UnsubscribeSigner("another-key-0123456789abcdef").token("someone@readers.example.org")
    with httpx.Client(base_url=site.service.url, timeout=10) as bare:
        assert bare.post(f"/unsubscribe/{forged}", data={"List-Unsubscribe": "One-Click"}).status_code == 404


def test_an_expired_confirmation_link_says_so(site: Site) -> None:
    address = "late@readers.example.org"
    site.subscribe(address)
    row = site.row(address)
    expired = UnsubscribeSigner(KEY).confirm_token(row.token, time.time() - 1)
    with site.service.client() as c:
        page = c.get(f"/confirm/{expired}")
        assert page.status_code == 410 and "expired" in page.text
        token = csrf_form(c, "/subscribe")
        assert c.post(f"/confirm/{expired}", data={"csrf": token}).status_code == 410
    assert site.row(address).status == "pending"
    link = site.confirm_link(address)
    stamp = int(link.rsplit("/", 1)[1][26:34], 16)
    assert 6.9 * 86400 < stamp - time.time() <= 7 * 86400  # [web] confirm_days = 7


def test_preferences_join_and_leave_without_another_confirmation(site: Site) -> None:
    address = "prefs@readers.example.org"
    digest_cli(site.service.env, "subscribers", "add", address)
    token = UnsubscribeSigner(KEY).reader_token(site.row(address).token)
    with site.service.client() as c:
        page = c.get(f"/preferences/{token}")
        assert page.status_code == 200 and 'value="weekly"' in page.text
        assert site.row(address, "weekly") is None
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        saved = c.post(f"/preferences/{token}", data={"csrf": csrf, "list": ["weekly"]})
        assert saved.status_code == 200 and "Saved." in saved.text
    assert site.row(address, "weekly").status == "active"
    assert site.row(address).status == "unsubscribed"
    assert sorted((c.action, c.list) for c in site.consents() if c.email == address) == [
        ("join", "weekly"),
        ("leave", "default"),
    ]
    assert site.mails_to(address) == []


def test_healthz_checks_the_database(site: Site) -> None:
    with site.service.client() as c:
        answer = c.get("/healthz")
    assert answer.status_code == 200 and answer.text == "ok\n"
