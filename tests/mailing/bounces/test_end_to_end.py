"""The whole loop with real parts: an edition goes out through a real SMTP server (aiosmtpd)
with a VERP envelope sender per message; bounces and a complaint for some readers come back
into a real Dovecot mailbox (real DSN and ARF messages with the readers put in); `digest
bounces process imap://...` applies them; the next edition skips those readers. And a
SIGTERM in the middle of a long IMAP run ends it within seconds, keeping what was done."""

from __future__ import annotations

import email
import email.policy
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
from imapclient import IMAPClient  # type: ignore[import-untyped]
from tests.support.bounce_mail import COMPLAINT, HARD, LABELS, SOFT, bounce_for
from tests.support.delivery import cli, configure, seed
from tests.support.dovecot import Dovecot, available, run_dovecot
from tests.support.paths import ROOT
from tests.support.smtp import RecordingHandler, start_smtp

from digest.mailing import subscribers
from digest.mailing.bounces.sources import PASSWORD_ENV
from digest.storage.engine import open_engine

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not available(), reason="needs Dovecot: apt-get install dovecot-imapd"),
]

RETURN_PATH = "bounces+{token}@news.example.org"


@pytest.fixture(scope="module")
def dovecot() -> Iterator[Dovecot]:
    with run_dovecot() as server:
        yield server


def _sent(handler: RecordingHandler) -> dict[str, tuple[str, str]]:
    """recipient -> (envelope sender, Message-ID) of each message the server accepted."""
    out = {}
    for m in handler.messages:
        parsed = email.message_from_bytes(m.raw, policy=email.policy.default)
        out[m.rcpt_tos[0]] = (m.mail_from, str(parsed["Message-ID"]))
    return out


def _returned_to(raw: bytes, original_envelope: str, verp: str) -> bytes:
    """The bounce as it arrives at the VERP address (its To/Delivered-To name that address)."""
    return raw.replace(original_envelope.encode(), verp.encode())


def _for_imap(raw: bytes) -> bytes:
    if raw.startswith(b"From "):
        raw = raw.split(b"\n", 1)[1]  # the mbox separator line is not part of the message
    return raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def test_bounces_from_a_send_come_back_and_the_next_edition_skips_them(
    monkeypatch: pytest.MonkeyPatch, dovecot: Dovecot
) -> None:
    controller, handler = start_smtp()
    try:
        settings = configure(
            monkeypatch,
            f"smtp://127.0.0.1:{controller.port}?tls=none",
            DIGEST_DELIVERY__RETURN_PATH=RETURN_PATH,
            DIGEST_BOUNCES__SOFT_LIMIT="2",
        )
        readers = seed(settings, 6)
        first = cli("send", "--now", "--json")
        assert first.returncode == 0, first.stderr
        assert json.loads(first.stdout)["sent"] == 6
        sent = _sent(handler)
        assert set(sent) == set(readers)

        # Reader 0: a Postfix "user unknown" naming the address. Reader 1: the same report, but
        # the failed address is an old alias the reader forwarded from, so only the VERP
        # address the bounce came back to says who it is. Reader 2: an ARF complaint. Reader 3:
        # two "mailbox full" reports (soft_limit 2). Reader 4: one "mailbox full": still mailed.
        hard_envelope = str(LABELS[HARD][0]["recipient"])
        postfix_rcpt = "sironeko@libsisimai.org"  # where the template bounce was delivered
        messages = [
            bounce_for(HARD, readers[0]),
            _returned_to(bounce_for(HARD, "old-alias@forwarder.example.net"), postfix_rcpt, sent[readers[1]][0]),
            bounce_for(COMPLAINT, readers[2]),
            b"X-Sequence: 1\n" + bounce_for(SOFT, readers[3]),
            b"X-Sequence: 2\n" + bounce_for(SOFT, readers[3]),
            bounce_for(SOFT, readers[4]),
        ]
        assert hard_envelope != "old-alias@forwarder.example.net"
        admin = IMAPClient(dovecot.host, port=dovecot.port, ssl=False, timeout=10)
        admin.login(dovecot.user, dovecot.password)
        try:
            admin.create_folder("Bounces")
            for raw in messages:
                admin.append("Bounces", _for_imap(raw))

            url = f"imap://{dovecot.user}@{dovecot.host}:{dovecot.port}/Bounces"
            env = {PASSWORD_ENV: dovecot.password}
            dry = cli("bounces", "process", url, "--dry-run", "--json", env=env)
            assert dry.returncode == 0, dry.stderr
            assert sorted(json.loads(dry.stdout)["suppressed"]) == sorted(readers[:4])
            done = cli("bounces", "process", url, "--json", env=env)
            assert done.returncode == 0, done.stderr
            report = json.loads(done.stdout)
            assert (report["processed"], report["hard"], report["soft"], report["complaints"]) == (6, 2, 3, 1)
            assert (report["unmatched"], report["not_bounces"]) == (0, 0)
            assert sorted(report["suppressed"]) == sorted(readers[:4])

            admin.select_folder("Bounces", readonly=True)
            assert admin.search("ALL") == []  # each message moved to [bounces] processed_folder
            admin.select_folder("Processed", readonly=True)
            assert len(admin.search("ALL")) == 6
            again = cli("bounces", "process", url, "--json", env=env)
            assert json.loads(again.stdout)["processed"] == 0
        finally:
            admin.logout()

        engine = open_engine(settings)
        statuses = {r: {s.status for s in subscribers.get_all(engine, r)} for r in readers}
        engine.dispose()
        assert statuses == {
            readers[0]: {"bounced"},
            readers[1]: {"bounced"},
            readers[2]: {"complained"},
            readers[3]: {"bounced"},
            readers[4]: {"active"},
            readers[5]: {"active"},
        }

        handler.messages.clear()
        second = cli("send", "--now", "--edition", "evening", "--json")
        assert second.returncode == 0, second.stderr
        assert sorted(r for m in handler.messages for r in m.rcpt_tos) == [readers[4], readers[5]]
    finally:
        controller.stop()


def test_sigterm_during_an_imap_run_stops_within_seconds_and_keeps_what_is_done(
    monkeypatch: pytest.MonkeyPatch, dovecot: Dovecot
) -> None:
    settings = configure(monkeypatch, "memory://")
    readers = seed(settings, 2)
    admin = IMAPClient(dovecot.host, port=dovecot.port, ssl=False, timeout=30)
    admin.login(dovecot.user, dovecot.password)
    try:
        admin.create_folder("Many")
        admin.append("Many", _for_imap(bounce_for(HARD, readers[0])))
        filler = _for_imap(bounce_for(SOFT, "gone@example.net"))
        for _ in range(1500):
            admin.append("Many", filler)
        url = f"imap://{dovecot.user}@{dovecot.host}:{dovecot.port}/Many?processed=ManyDone"
        env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), PASSWORD_ENV: dovecot.password}
        proc = subprocess.Popen(
            [sys.executable, "-m", "digest", "bounces", "process", url, "--json"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                if admin.folder_exists("ManyDone") and admin.folder_status("ManyDone", ["MESSAGES"])[b"MESSAGES"] >= 20:
                    break
                time.sleep(0.1)
            assert proc.poll() is None
            proc.send_signal(signal.SIGTERM)
            sent_at = time.monotonic()
            out, err = proc.communicate(timeout=15)
            took = time.monotonic() - sent_at
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        assert took < 5, took
        assert proc.returncode == 143, err
        report = json.loads(out)
        assert report["cancelled"] is True and 20 <= report["processed"] < 1501
        moved = admin.folder_status("ManyDone", ["MESSAGES"])[b"MESSAGES"]
        left = admin.folder_status("Many", ["MESSAGES"])[b"MESSAGES"]
        assert moved == report["processed"] and moved + left == 1501  # nothing lost, nothing doubled
    finally:
        admin.logout()
    engine = open_engine(settings)
    assert {s.status for s in subscribers.get_all(engine, readers[0])} == {"bounced"}
    engine.dispose()
