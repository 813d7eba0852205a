"""Backend selection by URL, entry-point plugins, URL checks, outbox layout."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from tests.support.delivery import ROOT, check_message, cli, configure, seed

from digest.deliver.base import OutgoingMessage, redact_url
from digest.deliver.outbox import OutboxBackend
from digest.deliver.registry import backend_from_url
from digest.deliver.smtp import SMTPBackend
from digest.errors import ConfigError


def test_unknown_scheme_lists_the_known_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = configure(monkeypatch, "memory://")
    with pytest.raises(ConfigError) as err:
        backend_from_url("carrier-pigeon://x", settings)
    message = str(err.value)
    for scheme in ("console", "memory", "outbox", "smtp", "smtps"):
        assert scheme in message
    result = cli("send", "--now", env={"DIGEST_BACKEND": "fax://555"})
    assert result.returncode == 1 and "unknown scheme 'fax'" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_smtp_urls_are_checked_and_never_show_a_password(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = configure(monkeypatch, "memory://", DIGEST_SMTP_PASSWORD="pw-from-env")
    with pytest.raises(ConfigError) as err:
        backend_from_url("smtp://me:hunter22@mail.example.com", settings)
    assert "hunter22" not in str(err.value) and "DIGEST_SMTP_PASSWORD" in str(err.value)
    assert redact_url("smtp://me:hunter22@mail.example.com:587") == "smtp://me:***@mail.example.com:587"
    with pytest.raises(ConfigError, match="unencrypted"):
        backend_from_url("smtp://me@mail.example.com?tls=none", settings)
    with pytest.raises(ConfigError, match="tls"):
        backend_from_url("smtp://mail.example.com?tls=maybe", settings)
    with pytest.raises(ConfigError, match="unknown option"):
        backend_from_url("smtp://mail.example.com?pasword=x", settings)
    with pytest.raises(ConfigError, match="connections"):
        backend_from_url("smtp://mail.example.com?connections=0", settings)
    smtp = backend_from_url("smtp://me@mail.example.com", settings)
    assert isinstance(smtp, SMTPBackend) and (smtp.opts.port, smtp.opts.tls) == (587, "starttls")
    smtps = backend_from_url("smtps://mail.example.com", settings)
    assert isinstance(smtps, SMTPBackend) and (smtps.opts.port, smtps.opts.implicit_tls) == (465, True)
    plain = backend_from_url("smtp://127.0.0.1?tls=none", settings)
    assert isinstance(plain, SMTPBackend) and plain.opts.port == 25
    no_password = configure(monkeypatch, "memory://")
    no_password = type(no_password)(**{**no_password.__dict__, "smtp_password": None})
    with pytest.raises(ConfigError, match="needs a password"):
        backend_from_url("smtp://me@mail.example.com", no_password)


def test_outbox_writes_complete_files_only(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    settings = configure(monkeypatch, "memory://")
    relative = backend_from_url("outbox://mail/out", settings)
    assert isinstance(relative, OutboxBackend) and relative.path == settings.data_dir / "mail" / "out"
    absolute = backend_from_url(f"outbox://{tmp_path}/abs", settings)
    assert isinstance(absolute, OutboxBackend) and absolute.path == tmp_path / "abs"
    data = b"Subject: x\r\n\r\nbody\r\n"
    with absolute:
        count = absolute.send_messages(
            [OutgoingMessage("a@example.com", f"r{i}@example.org", data, "<x>") for i in range(3)]
        )
    assert count == 3
    files = list((tmp_path / "abs" / "new").iterdir())
    assert len(files) == 3 and all(f.suffix == ".eml" and f.read_bytes() == data for f in files)
    assert list((tmp_path / "abs" / "tmp").iterdir()) == []


def test_entry_point_plugin(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A backend from another package, found through a real entry point (a dist-info on sys.path)."""
    site = tmp_path / "site"
    shutil.copytree(ROOT / "tests" / "plugins" / "digest_pigeon", site / "digest_pigeon")
    dist = site / "digest_pigeon-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: digest-pigeon\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[digest.backends]\npigeon = digest_pigeon:PigeonBackend\n")
    settings = configure(monkeypatch, "pigeon://loft/messages.txt")
    emails = seed(settings, 3)
    without = cli("send", "--now", "--json")
    assert without.returncode == 1 and "unknown scheme 'pigeon'" in without.stderr  # not on the path: unknown
    run = cli("send", "--now", "--json", env={"PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{site}"})
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["sent"] == 3 and json.loads(run.stdout)["backend"] == "pigeon://loft/messages.txt"
    carried = (settings.data_dir / "loft" / "messages.txt").read_bytes().split(b"=== to ")[1:]
    assert len(carried) == 3
    for chunk in carried:
        recipient, _, raw = chunk.partition(b"\n")
        check_message(raw[:-1], recipient.decode())
    assert sorted(c.split(b"\n")[0].decode() for c in carried) == emails
