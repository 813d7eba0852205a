"""The preview's "send test to…" form: the same delivery as `digest send --to`, to a real SMTP server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.support.preview import preview_server, write_articles, write_config

pytestmark = pytest.mark.browser


def smtp_config(tmp_path: Path, port: int, editors: str = "[]") -> Path:
    write_articles(tmp_path / "articles", ["Night trains return to the northern line"], paragraphs=3)
    delivery = (
        f'[delivery]\nbackend = "smtp://127.0.0.1:{port}?tls=none"\nfrom_address = "desk@news.example.com"\n'
        f"editors = {editors}\n"
    )
    return write_config(tmp_path, tmp_path / "articles", delivery)


def test_send_test_form_delivers_to_a_real_smtp_server(
    tmp_path: Path, browser: Any, smtp_server: tuple[str, int, Any]
) -> None:
    _, port, handler = smtp_server
    config = smtp_config(tmp_path, port)
    with preview_server(config) as server:
        ctx = browser.new_context(viewport={"width": 1280, "height": 900})
        try:
            page = ctx.new_page()
            page.set_default_timeout(20_000)
            page.goto(server.url)
            page.fill("#send-to", "editor@example.com")
            with page.expect_navigation():
                page.click("#send-test button[type=submit]")
            status = page.locator("#send-test .sent")
            assert "Test sent to editor@example.com" in status.inner_text()
            assert "1 sent, 0 failed" in status.inner_text()
            assert len(handler.messages) == 1
            received = handler.messages[0]
            assert received.rcpt_tos == ["editor@example.com"]
            message = received.message
            assert "Night trains return to the northern line" in message.get_body(("html",)).get_content()
            assert "Night trains return to the northern line" in message.get_body(("plain",)).get_content()
            # reloading the result page shows the result again without sending again
            page.reload()
            assert "Test sent to editor@example.com" in page.locator("#send-test .sent").inner_text()
            assert len(handler.messages) == 1
            # a bad address is refused with one clear line and nothing is sent
            page.fill("#send-to", "not-an-address")
            page.eval_on_selector("#send-to", "e => { e.type = 'text'; }")  # past the browser's own check
            with page.expect_navigation():
                page.click("#send-test button[type=submit]")
            assert "not-an-address" in page.locator("#send-test .send-error").inner_text()
            assert len(handler.messages) == 1
        finally:
            ctx.close()


def test_on_a_network_bind_tests_go_only_to_the_configured_editors(
    tmp_path: Path, browser: Any, smtp_server: tuple[str, int, Any]
) -> None:
    _, port, handler = smtp_server
    config = smtp_config(tmp_path, port, editors='["chief@news.example.com"]')
    with preview_server(config, "--host", "0.0.0.0") as server:
        ctx = browser.new_context()
        try:
            page = ctx.new_page()
            page.set_default_timeout(20_000)
            page.goto(server.url)
            assert page.input_value("#send-to") == "chief@news.example.com"
            page.fill("#send-to", "stranger@example.org")
            with page.expect_navigation():
                page.click("#send-test button[type=submit]")
            assert "not in [delivery] editors" in page.locator("#send-test .send-error").inner_text()
            assert handler.messages == []
            page.fill("#send-to", "chief@news.example.com")
            with page.expect_navigation():
                page.click("#send-test button[type=submit]")
            assert "Test sent to chief@news.example.com" in page.locator("#send-test .sent").inner_text()
            assert [m.rcpt_tos for m in handler.messages] == [["chief@news.example.com"]]
        finally:
            ctx.close()
