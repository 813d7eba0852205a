"""Reviewing a draft in `digest preview --serve`, in real Chromium: edit a lede with the form,
restart the server, approve with the button; the readers get the edited edition once."""

from __future__ import annotations

import email
import email.policy
import json
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import pytest
from tests.support.delivery import UNSUBSCRIBE_KEY, seed
from tests.support.preview import preview_server, write_articles, write_config
from tests.support.smtp import raws, start_smtp

from digest.config import load_settings
from digest.mailing.drafts import draft_edition, get_edition
from digest.storage.engine import open_engine

pytestmark = [pytest.mark.browser, pytest.mark.slow]
EDITION = "review-test"


@pytest.fixture
def draft(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    controller, handler = start_smtp()
    articles = tmp_path / "articles"
    write_articles(articles, paragraphs=2, with_urls=True)
    config = write_config(tmp_path, articles)
    for key, value in {
        "DIGEST_CONFIG": str(config),
        "DIGEST_BACKEND": f"smtp://127.0.0.1:{controller.port}?tls=none",
        "DIGEST_UNSUBSCRIBE_KEY": UNSUBSCRIBE_KEY,
    }.items():
        monkeypatch.setenv(key, value)
    settings = load_settings(config)
    readers = seed(settings, 3)
    made = draft_edition(settings, EDITION, only_new=False, review_by=datetime(2030, 1, 1, tzinfo=UTC))
    assert made is not None and made.status == "draft"
    try:
        yield config, settings, handler, readers
    finally:
        controller.stop()


def test_edit_restart_approve_in_the_browser(browser, artifacts_dir, draft) -> None:  # type: ignore[no-untyped-def]
    config, settings, handler, readers = draft
    with preview_server(config) as server:
        page = browser.new_page(viewport={"width": 1100, "height": 900})
        try:
            page.goto(server.url + "editions")
            page.get_by_role("link", name=EDITION).click()
            assert page.url.endswith(f"/editions/{EDITION}")
            lede = page.get_by_label("Lede").first
            lede.fill("A lede in the editor's own words.")
            page.get_by_role("button", name="Save lede").first.click()
            page.wait_for_load_state("load")
            assert "Saved: lede story 1" in page.get_by_role("status").inner_text()
            assert "edited: lede" in page.locator("#story-1 h2").inner_text()
            frame = page.frame_locator("iframe")
            assert "A lede in the editor" in frame.locator("body").inner_text()
            # a GET changes nothing; a form without the page's token is refused
            req = urllib.request.Request(server.url + f"editions/{EDITION}/approve", data=b"token=x", method="POST")
            req.add_header("Origin", server.url.rstrip("/"))
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(req, timeout=10)
            refused.value.close()  # the error holds the open response: close it, not the GC
            assert refused.value.code == 403
            page.screenshot(path=str(artifacts_dir / "preview-draft-review.png"), full_page=True)
        finally:
            page.close()

    assert not [r for r, _ in raws(handler) if r[0] in readers]  # nothing sent before approval
    with preview_server(config) as server:  # a restart: the edit lives in the database
        page = browser.new_page(viewport={"width": 1100, "height": 900})
        try:
            page.goto(server.url + f"editions/{EDITION}")
            assert page.get_by_label("Lede").first.input_value() == "A lede in the editor's own words."
            page.get_by_role("button", name="Approve and send to list default").click()
            page.wait_for_load_state("load")
            assert "Approved and sent: 3 sent" in page.get_by_role("status").inner_text()
        finally:
            page.close()

    sent = [(r, m) for r, m in raws(handler) if r[0] in readers]
    assert sorted(r[0] for r, _ in sent) == readers
    html = email.message_from_bytes(sent[0][1], policy=email.policy.default).get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "A lede in the editor" in html
    engine = open_engine(settings)
    assert get_edition(engine, EDITION).status == "sent"
    engine.dispose()


def test_the_draft_page_is_read_only_on_a_network_bind(draft) -> None:  # type: ignore[no-untyped-def]
    config, settings, handler, readers = draft
    with preview_server(config, "--host", "0.0.0.0") as server:
        with urllib.request.urlopen(server.url + f"editions/{EDITION}", timeout=10) as resp:
            page = resp.read().decode()
        assert "approve, discard and edit from the command line" in page and "Save lede" not in page
        req = urllib.request.Request(server.url + f"editions/{EDITION}/approve", data=b"token=x", method="POST")
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(req, timeout=10)
        refused.value.close()  # the error holds the open response: close it, not the GC
        assert refused.value.code == 403
    engine = open_engine(settings)
    try:
        assert json.loads(json.dumps(get_edition(engine, EDITION).to_json()))["status"] == "draft"
    finally:
        engine.dispose()
