"""`digest preview --serve`: a real server process, a real headless Chromium."""

from __future__ import annotations

import http.client
import re
import urllib.parse
from pathlib import Path
from typing import Any

import pytest
from tests.support.paths import ROOT
from tests.support.preview import preview_server, write_articles, write_config

pytestmark = pytest.mark.browser

XSS_TITLE = "<script>alert(1)</script> & <img src=x onerror=alert(2)>"
LITERAL_TITLE = 'Rates: 2 < 3 & "quotes" stay <3 literal'


@pytest.fixture
def page_factory(browser: Any):
    contexts = []

    def make(**kwargs: Any) -> Any:
        ctx = browser.new_context(viewport={"width": 1280, "height": 900}, **kwargs)
        contexts.append(ctx)
        page = ctx.new_page()
        page.set_default_timeout(10_000)
        page.dialogs = []  # type: ignore[attr-defined]
        page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))  # type: ignore[attr-defined]
        return page

    yield make
    for ctx in contexts:
        ctx.close()


# perceived brightness 0-255 of an element's background colour
BRIGHTNESS = """e => { const [r, g, b] = getComputedStyle(e).backgroundColor.match(/[0-9.]+/g).map(Number);
    return 0.299 * r + 0.587 * g + 0.114 * b; }"""


def frame_text(page: Any, frame_id: str) -> str:
    frame = page.frame_locator(f"#{frame_id}")
    return frame.locator("body").inner_text()


def test_page_shows_every_story_in_both_frames_and_escapes_everything(
    tmp_path: Path, page_factory: Any, artifacts_dir: Path
) -> None:
    titles = [
        "City council approves harbour flood barrier after a decade of delays",
        XSS_TITLE,
        LITERAL_TITLE,
        "Hospital trial cuts emergency waiting times with a new triage rota",
    ]
    write_articles(tmp_path / "articles", titles)
    config = write_config(tmp_path, tmp_path / "articles")
    with preview_server(config) as server:
        page = page_factory()
        page.goto(server.url, wait_until="load")
        page.wait_for_function(
            "() => [...document.querySelectorAll('iframe[data-email-frame]')]"
            ".every(f => f.contentDocument && f.contentDocument.readyState === 'complete'"
            " && f.contentDocument.body && f.contentDocument.body.innerText.length > 0)"
        )
        # both frames, at their widths, show every story title as readers see it
        widths = page.eval_on_selector_all("iframe[data-email-frame]", "fs => fs.map(f => f.clientWidth)")
        assert widths == [600, 375]
        for frame_id in ("frame-desktop", "frame-phone"):
            frame = page.frame_locator(f"#{frame_id}")
            shown = frame.locator("body").inner_text()
            for title in (titles[0], LITERAL_TITLE, titles[3]):
                assert title in shown, f"{title!r} missing from {frame_id}"
                assert frame.get_by_text(title, exact=True).first.is_visible()
            # the markup in the source title never became markup in the email
            assert frame.locator("script, [onerror]").count() == 0
        # the page lists every story with its title as the source gave it, as literal text
        story_titles = page.locator("#stories article h3").all_inner_texts()
        assert len(story_titles) == len(titles)
        assert any(XSS_TITLE in t for t in story_titles) and any(LITERAL_TITLE in t for t in story_titles)
        assert page.locator("#stories img, #stories script, body [onerror]").count() == 0
        assert LITERAL_TITLE in page.locator("#text-part pre").inner_text()
        # and warns that readers will see something else for the title holding markup
        markup = page.locator("#warnings li[data-kind=markup]").all_inner_texts()
        assert len(markup) == 1 and XSS_TITLE in markup[0]
        # the inbox row shows subject and preheader
        assert "Preview Test Digest" in page.locator("[data-inbox=desktop] .subject").inner_text()
        assert page.locator("[data-inbox=desktop] .preheader").inner_text().strip(" –")
        page.screenshot(path=str(artifacts_dir / "preview-app-1280.png"), full_page=True)
        page.wait_for_timeout(200)
        assert page.dialogs == []  # type: ignore[attr-defined]
        # the email frame runs no script at all, whatever the email contains
        resp = page.request.get(server.url + "email.html")
        assert "script-src 'none'" in resp.headers["content-security-policy"]


def test_dark_mode_toggle_switches_the_frames(tmp_path: Path, page_factory: Any, artifacts_dir: Path) -> None:
    write_articles(tmp_path / "articles", paragraphs=3)
    config = write_config(tmp_path, tmp_path / "articles")
    with preview_server(config) as server:
        page = page_factory()
        page.goto(server.url)
        light = page.frame_locator("#frame-desktop").locator("html")
        assert light.evaluate("e => getComputedStyle(e).colorScheme") in ("normal", "light", "light dark")
        light_bg = page.frame_locator("#frame-desktop").locator("body").evaluate(BRIGHTNESS)
        page.click("[data-dark-toggle]")
        page.wait_for_function(
            "() => [...document.querySelectorAll('iframe[data-email-frame]')].every(f => f.src.includes('dark=1')"
            " && f.contentDocument && f.contentDocument.readyState === 'complete'"
            " && f.contentDocument.querySelector('meta[name=color-scheme][content=dark]'))"
        )
        assert page.get_attribute("[data-dark-toggle]", "aria-pressed") == "true"
        for frame_id in ("frame-desktop", "frame-phone"):
            root = page.frame_locator(f"#{frame_id}").locator("html")
            assert root.evaluate("e => getComputedStyle(e).colorScheme") == "dark"
            # the email's own dark-mode styles apply (the bundled template has them)
            dark_bg = page.frame_locator(f"#{frame_id}").locator("body").evaluate(BRIGHTNESS)
            assert dark_bg < 60 < light_bg
        assert "dark=1" in page.url  # a reload keeps dark mode
        page.screenshot(path=str(artifacts_dir / "preview-app-1280-dark.png"), full_page=True)
        page.click("[data-dark-toggle]")
        page.wait_for_function(
            "() => [...document.querySelectorAll('iframe[data-email-frame]')].every(f => !f.src.includes('dark=1'))"
        )


def test_warnings_list_size_failed_sources_and_plain_http_links(tmp_path: Path, page_factory: Any) -> None:
    articles = tmp_path / "articles"
    write_articles(articles, paragraphs=30)
    (articles / "07-insecure.md").write_text(
        "---\ntitle: Old site story\nurl: http://insecure.example.com/story\n---\n\n# Old site story\n\n"
        "The old site still serves its pages without encryption. Readers who follow the link are warned.\n",
        encoding="utf-8",
    )
    extra = '[email]\nmax_html_bytes = 10000\n\n[[sources]]\ntype = "path"\npath = "no-such-folder"\n'
    config = write_config(tmp_path, articles, extra)
    with preview_server(config) as server:
        page = page_factory()
        page.goto(server.url)
        # the deliberately oversized digest: its size against the clipping limit
        size = page.locator("#warnings li[data-kind=size]")
        assert size.count() >= 1
        assert "10,000" in " ".join(size.all_inner_texts())
        assert size.first.is_visible()
        # the source that failed, the others still built
        failed = page.locator("#warnings li[data-kind=source]").all_inner_texts()
        assert len(failed) == 1 and "no-such-folder" in failed[0]
        assert page.locator("#stories article").count() == 7
        # the story linking to a plain http:// page
        links = " ".join(page.locator("#warnings li[data-kind=link]").all_inner_texts())
        assert "http://insecure.example.com/story (in the" in links
        # the warnings come first on the page, above the frames, errors first
        top = page.eval_on_selector("#warnings", "e => e.getBoundingClientRect().top")
        frames = page.eval_on_selector("#email", "e => e.getBoundingClientRect().top")
        assert top < frames
        levels = page.eval_on_selector_all("#warnings li", "ls => ls.map(l => l.classList.contains('error'))")
        assert levels == sorted(levels, reverse=True)


def test_edits_to_templates_and_config_show_on_reload(tmp_path: Path, page_factory: Any) -> None:
    write_articles(tmp_path / "articles", paragraphs=3)
    templates = tmp_path / "my-templates"
    (templates / "preview").mkdir(parents=True)
    bundled = ROOT / "templates" / "preview" / "page.html.j2"
    page_template = templates / "preview" / "page.html.j2"
    page_template.write_text(bundled.read_text(encoding="utf-8"), encoding="utf-8")
    (templates / "social").mkdir()
    x_template = templates / "social" / "x.txt.j2"
    x_template.write_text((bundled.parent.parent / "social" / "x.txt.j2").read_text(encoding="utf-8"), encoding="utf-8")
    (templates / "email").mkdir()
    footer = templates / "email" / "_footer.mjml.j2"
    footer.write_text(
        (bundled.parent.parent / "email" / "_footer.mjml.j2").read_text(encoding="utf-8"), encoding="utf-8"
    )
    config = write_config(tmp_path, tmp_path / "articles", f'[email]\ntemplates_dir = "{templates.as_posix()}"\n')
    with preview_server(config) as server:
        page = page_factory()
        page.goto(server.url)
        assert page.locator("h1").inner_text().startswith("Preview Test Digest")
        assert "Footer edited" not in frame_text(page, "frame-desktop")
        assert page.locator("#override-marker").count() == 0
        assert not page.input_value("#post-1-x textarea").startswith("EDITED")
        page_template.write_text(
            page_template.read_text(encoding="utf-8").replace(
                '<header class="top">', '<header class="top"><p id="override-marker">Edited template</p>'
            ),
            encoding="utf-8",
        )
        config.write_text(
            config.read_text(encoding="utf-8").replace("Preview Test Digest", "Renamed Digest"), encoding="utf-8"
        )
        x_template.write_text("EDITED " + x_template.read_text(encoding="utf-8"), encoding="utf-8")
        page.reload()
        assert page.locator("#override-marker").inner_text() == "Edited template"
        assert page.input_value("#post-1-x textarea").startswith("EDITED")  # social templates too
        assert page.locator("h1").inner_text().startswith("Renamed Digest")
        assert "Renamed Digest" in frame_text(page, "frame-desktop")
        # a broken config shows the error on the page; fixing it brings the page back
        good = config.read_text(encoding="utf-8")
        config.write_text(good.replace("[digest]", "[digest]\nmax_stories = 'many'"), encoding="utf-8")
        page.reload()
        assert "max_stories" in page.locator(".error-line").inner_text()
        config.write_text(good, encoding="utf-8")
        page.reload()
        assert page.locator("#stories article").count() == 6
        # the email's own templates too, with the config unchanged since an earlier load
        footer.write_text(
            footer.read_text(encoding="utf-8").replace(
                '<p style="margin:0">', '<p style="margin:0">Footer edited. ', 1
            ),
            encoding="utf-8",
        )
        page.reload()
        assert "Footer edited" in frame_text(page, "frame-desktop")


def _request(url: str, method: str = "GET", body: str | None = None, headers: dict[str, str] | None = None):
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.request(method, parts.path or "/", body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, resp.read().decode("utf-8", "replace")
    finally:
        conn.close()


def test_server_refuses_foreign_hosts_and_forged_forms(tmp_path: Path) -> None:
    write_articles(tmp_path / "articles", paragraphs=2)
    config = write_config(tmp_path, tmp_path / "articles")
    with preview_server(config) as server:
        status, page = _request(server.url)
        assert status == 200
        token = re.search(r'name="token" value="([^"]+)"', page).group(1)
        port = urllib.parse.urlsplit(server.url).port
        # DNS rebinding: a page on another host name must not read the preview
        status, _ = _request(server.url, headers={"Host": f"attacker.example:{port}"})
        assert status == 421
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        # no token, or a cross-site origin: refused
        status, _ = _request(
            server.url + "send-test", "POST", "to=a%40example.com", {**form, "Origin": server.url.rstrip("/")}
        )
        assert status == 403
        status, _ = _request(
            server.url + "send-test",
            "POST",
            f"to=a%40example.com&token={token}",
            {**form, "Origin": "http://attacker.example"},
        )
        assert status == 403
        status, _ = _request(server.url + "send-test", "POST", f"to=a%40example.com&token={token}", form)
        assert status == 403  # neither Origin nor Referer: not provably same-origin
        status, _ = _request(server.url + "static/../server.py")
        assert status == 404


def test_non_loopback_host_needs_an_explicit_host_and_warns(tmp_path: Path) -> None:
    from digest.config import load_settings
    from digest.errors import ConfigError
    from digest.preview.server import make_server

    write_articles(tmp_path / "articles", paragraphs=2)
    config = write_config(tmp_path, tmp_path / "articles")
    with pytest.raises(ConfigError, match="not a loopback address"):
        make_server(load_settings(config), host="0.0.0.0", port=0)
    server = make_server(load_settings(config), host="localhost", port=0)  # loopback by name: fine
    server.server_close()
    with preview_server(config, "--host", "0.0.0.0") as server:
        assert "non-loopback" in server.stderr()
        status, _ = _request(server.url)
        assert status == 200


def test_a_port_in_use_is_one_clear_line_and_exit_1(tmp_path: Path) -> None:
    import os
    import socket
    import subprocess
    import sys

    write_articles(tmp_path / "articles", paragraphs=2)
    config = write_config(tmp_path, tmp_path / "articles")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = subprocess.run(
            [sys.executable, "-m", "digest", "--config", str(config), "preview", "--serve", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
            env=os.environ.copy(),
            check=False,
        )
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [
        f"error: cannot serve the preview on 127.0.0.1:{port}: Address already in use"
    ]
    assert proc.stdout == ""


def test_json_prints_where_it_listens_with_port_0(tmp_path: Path) -> None:
    import json
    import os
    import subprocess
    import sys

    write_articles(tmp_path / "articles", paragraphs=2)
    config = write_config(tmp_path, tmp_path / "articles")
    proc = subprocess.Popen(
        [sys.executable, "-m", "digest", "--config", str(config), "preview", "--serve", "--port", "0", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )
    try:
        where = json.loads(proc.stdout.readline())
        assert where["host"] == "127.0.0.1" and where["port"] > 0
        assert where["url"] == f"http://127.0.0.1:{where['port']}/"
        status, page = _request(where["url"])
        assert status == 200 and "Preview Test Digest" in page
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    rest = proc.stdout.read()
    proc.stdout.close()
    proc.stderr.close()
    assert rest == ""  # one JSON document, nothing else on stdout
