"""Bad input gets one clear line naming the file, key or value, exit 1: never "unexpected"."""

from __future__ import annotations

import http.client
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from tests.support.delivery import cli
from tests.support.paths import ROOT
from tests.support.preview import preview_server, write_articles, write_config

from digest.config import load_settings
from digest.errors import ConfigError
from digest.mailing.message import MessageFactory
from digest.mailing.tokens import UnsubscribeSigner
from digest.render.email import RenderedEmail


def _run(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    import os

    return subprocess.run(
        [sys.executable, "-m", "digest", *args],
        cwd=cwd or ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src"), **(env or {})},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _one_line(result: subprocess.CompletedProcess[str], *parts: str) -> str:
    assert result.returncode == 1, (result.returncode, result.stderr)
    lines = result.stderr.strip().splitlines()
    errors = [line for line in lines if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    assert "unexpected" not in errors[0] and "Traceback" not in result.stderr
    for part in parts:
        assert part in errors[0], errors[0]
    return errors[0]


def _config(tmp_path: Path, body: str | bytes) -> Path:
    cfg = tmp_path / "digest.toml"
    (cfg.write_bytes if isinstance(body, bytes) else cfg.write_text)(body)  # type: ignore[operator]
    return cfg


@pytest.mark.parametrize(
    ("body", "parts"),
    [
        ("[fetch]\ntimeout = nan\n", ["[fetch] timeout", "got nan"]),
        ("[delivery]\nretry_backoff = inf\n", ["[delivery] retry_backoff", "got inf"]),
        ("[summary]\nposition_weight = -inf\n", ["[summary] position_weight"]),
        ('[delivery]\nbackend = "smtp://[::1"\n', ["[delivery] backend", "not a valid URL"]),
        ('[digest]\ntitle = "Morning\\r\\nBcc: all@example.org"\n', ["[digest] title", "must be one line"]),
        ('[delivery]\nfrom_name = "Desk\\nX-Evil: 1"\n', ["[delivery] from_name", "must be one line"]),
        (
            '[email]\nsubject = "{title.__class__}"\n',
            ["[email] subject", "{title.__class__}", "only plain placeholders"],
        ),
        ('[email]\nsubject = "{title!r}"\n', ["[email] subject", "only plain"]),
        ('[email]\npreheader = "{stories:>{title}}"\n', ["[email] preheader"]),
        ("[summary]\npionts = 3\n", ["[summary] pionts", "did you mean points?"]),
    ],
)
def test_config_values(tmp_path: Path, body: str, parts: list[str]) -> None:
    _one_line(_run("--config", str(_config(tmp_path, body)), "subscribers", "list"), *parts)


def test_a_config_that_is_not_utf8_names_line_and_column(tmp_path: Path) -> None:
    cfg = _config(tmp_path, '[digest]\ntitle = "caf\xe9"\n'.encode("latin-1"))
    _one_line(_run("--config", str(cfg), "subscribers", "list"), "line 2, column 13", "not UTF-8")


@pytest.mark.parametrize(
    ("variable", "parts"),
    [
        ("DIGEST_SUMARY__POINTS", ["DIGEST_SUMARY__POINTS", "did you mean DIGEST_SUMMARY__POINTS?"]),
        ("DIGEST_SUMMARY__PIONTS", ["DIGEST_SUMMARY__PIONTS", "no such config key", "DIGEST_SUMMARY__POINTS"]),
        ("DIGEST_FETCH__TIMEOUT", ["[fetch] timeout", "got nan"]),
    ],
)
def test_environment_overrides(variable: str, parts: list[str]) -> None:
    value = "nan" if variable == "DIGEST_FETCH__TIMEOUT" else "4"
    _one_line(_run("subscribers", "list", env={variable: value}), *parts)


def test_other_digest_variables_are_not_section_overrides() -> None:
    ok = _run("subscribers", "list", env={"DIGEST_IMAP_PASSWORD": "x", "DIGEST_MASTODON_TOKEN_DESK": "y"})
    assert ok.returncode == 0, ok.stderr


def test_backend_from_the_environment_is_checked_too() -> None:
    _one_line(_run("send", "--dry-run", env={"DIGEST_BACKEND": "smtp://[::1"}), "[delivery] backend")


@pytest.mark.parametrize(
    ("job", "parts"),
    [
        ('job = "digest"\ncron = "0 7 30 2 *"\n', ["cron", "never fires"]),
        ('job = "digest"\nevery = "999999999999d"\n', ["every", "at most 10 years"]),
        ('job = "digest"\ncron = "0 7 * * *"\ntitle = "A\\nB"\n', ["title", "one line"]),
    ],
)
def test_job_files(tmp_path: Path, job: str, parts: list[str]) -> None:
    jobs = tmp_path / "jobs"
    jobs.mkdir()
    (jobs / "bad.toml").write_text(job)
    result = _run("schedule", "run-once", "bad", "--jobs", str(jobs))
    assert result.returncode == 1 and "Traceback" not in result.stderr and "unexpected" not in result.stderr
    assert all(p in result.stderr for p in parts), result.stderr


def test_the_archive_locked_by_another_writer(tmp_path: Path) -> None:
    env = {"DIGEST_DATA_DIR": str(tmp_path / "data"), "DIGEST_ARCHIVE__BUSY_TIMEOUT": "0.2"}
    assert _run("subscribers", "add", "first@example.org", env=env).returncode == 0
    holder = sqlite3.connect(tmp_path / "data" / "digest.sqlite3")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        line = _one_line(_run("subscribers", "add", "second@example.org", env=env), "busy", "try again")
        assert "INSERT" not in line and "SELECT" not in line
    finally:
        holder.rollback()
        holder.close()


def test_a_read_only_database_names_the_file(tmp_path: Path) -> None:
    env = {"DIGEST_DATA_DIR": str(tmp_path / "data")}
    assert _run("subscribers", "add", "first@example.org", env=env).returncode == 0
    db = tmp_path / "data" / "digest.sqlite3"
    ro = {**env, "DIGEST_ARCHIVE__URL": f"sqlite:///file:{db}?mode=ro&uri=true"}
    line = _one_line(_run("subscribers", "add", "second@example.org", env=ro), "read-only")
    assert str(db) in line or "file:" in line


def test_a_full_disk_names_the_path(tmp_path: Path) -> None:
    """Writes fail (a file-size limit stands in for a full disk): the line says where and why."""
    import os
    import resource
    import signal

    data = tmp_path / "data"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "DIGEST_DATA_DIR": str(data)}
    assert cli("subscribers", "add", "reader@example.org", env={"DIGEST_DATA_DIR": str(data)}).returncode == 0

    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))

    result = subprocess.run(
        [sys.executable, "-m", "digest", "send", "--now"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        preexec_fn=limit,
        timeout=120,
    )
    line = _one_line(result, str(data))  # the database file or the outbox, whichever hit the limit first
    assert "File too large" in line or "disk" in line, line


def test_length_with_bytes_that_are_not_utf8() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "digest", "length", "--platform", "bluesky", b"a\xff b"],  # type: ignore[list-item]
        cwd=ROOT,
        env={**__import__("os").environ, "PYTHONPATH": str(ROOT / "src")},
        capture_output=True,
        text=True,
    )
    _one_line(result, "TEXT", "not valid text at character 2")


def test_an_empty_source_argument(tmp_path: Path) -> None:
    _one_line(_run("extract", "", cwd=tmp_path), "an empty source")
    _one_line(_run("summarize", "", cwd=tmp_path), "an empty source")


def test_json_nested_100000_deep(tmp_path: Path) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    (tmp_path / "deep.json").write_text(deep)
    _one_line(_run("extract", str(tmp_path / "deep.json")), "deep.json", "nested too deeply")
    _one_line(_run("summarize", str(tmp_path / "deep.json")), "nested too deeply")
    lines = _run("summarize", "--jsonl", stdin='{"id": 1, "text": ' + "[" * 100_000 + "}\n")
    assert '"error": "line 1: JSON nested too deeply' in lines.stdout and "unexpected" not in lines.stdout


def test_bidi_controls_are_stripped_from_names_and_subject(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIGEST_DELIVERY__FROM_NAME", "Bank\u202e moc.knab \u202c")
    settings = load_settings(ROOT / "config" / "digest.toml")
    rendered = RenderedEmail(subject="Daily \u2066news\u2069 \u200bdigest", html="<p>x</p>", text="x")
    raw = (
        MessageFactory(settings, rendered, UnsubscribeSigner("k" * 32))
        .build("a@example.org", "Ann\ufeff \u202eevil")
        .data
    )
    import email
    import email.policy

    msg = email.message_from_bytes(raw, policy=email.policy.default)
    for header in ("From", "To", "Subject"):
        value = str(msg[header])
        assert not any(ch in value for ch in "\u202e\u202c\u2066\u2069\u200b\ufeff"), (header, value)
    assert str(msg["Subject"]) == "Daily news digest"


def test_the_subject_template_allows_plain_names_only() -> None:
    with pytest.raises(ConfigError, match=r"\{title\.__class__\}: only plain placeholders"):
        from digest.config import with_overrides

        with_overrides(load_settings(ROOT / "config" / "digest.toml"), "email", subject="{title.__class__}")


def _raw_post(url: str, path: str, headers: dict[str, str], body: bytes = b"") -> int:
    host, port = url.removeprefix("http://").rstrip("/").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        conn.putrequest("POST", path)
        for name, value in headers.items():
            conn.putheader(name, value)
        conn.endheaders()
        if body:
            conn.send(body)
        return conn.getresponse().status
    finally:
        conn.close()


def test_the_preview_server_refuses_a_bad_body_without_reading_it(tmp_path: Path) -> None:
    write_articles(tmp_path / "articles", paragraphs=2)
    config = write_config(tmp_path, tmp_path / "articles")
    with preview_server(config) as server:
        origin = {"Origin": server.url.rstrip("/"), "Content-Type": "application/x-www-form-urlencoded"}
        # declares 50 MB and sends nothing: refused at once, not waited for
        assert _raw_post(server.url, "/send-test", {**origin, "Content-Length": str(50_000_000)}) == 413
        assert _raw_post(server.url, "/send-test", {**origin, "Content-Length": "-1"}) == 400
        assert _raw_post(server.url, "/send-test", {**origin, "Content-Length": "ten"}) == 400
        assert _raw_post(server.url, "/send-test", origin) == 400  # no length at all
        assert _raw_post(server.url, "/send-test?token=forged", {**origin, "Content-Length": "5000"}) == 403
        # the server still answers afterwards
        assert _raw_post(server.url, "/send-test", {**origin, "Content-Length": "9"}, b"to=x&tok=") == 403
