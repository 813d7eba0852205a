"""`digest serve` as a process: its JSON line, signals, a taken port, rate limits."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from tests.support.paths import ROOT
from tests.support.smtp import start_smtp
from tests.support.web import csrf_form, service_env, start


def test_port_0_json_prints_where_it_listens(tmp_path: Path) -> None:
    env = service_env(tmp_path)
    cmd = [sys.executable, "-m", "digest", "serve", "--port", "0", "--json"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        info = json.loads(proc.stdout.readline())
        assert set(info) == {"url", "host", "port"}
        assert info["host"] == "127.0.0.1" and info["port"] > 0
        assert info["url"] == f"http://127.0.0.1:{info['port']}/"
        assert httpx.get(info["url"] + "healthz", timeout=10).status_code == 200
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0 and out == "" and "Traceback" not in err


def _partial_request(url: str) -> socket.socket:
    """A POST whose body is still arriving: a request in flight."""
    host, port = url.removeprefix("http://").rstrip("/").split(":")
    sock = socket.create_connection((host, int(port)), timeout=10)
    head = (
        f"POST /subscribe HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        "Content-Length: 20\r\n\r\nemail=a"
    )
    sock.sendall(head.encode())
    time.sleep(0.3)  # the app is now waiting for the rest of the body
    return sock


def test_sigterm_lets_the_request_in_flight_finish_and_exits_0(tmp_path: Path) -> None:
    service = start(service_env(tmp_path))
    idle = socket.create_connection(("127.0.0.1", int(service.url.rsplit(":", 1)[1].strip("/"))))  # keep-alive, idle
    sock = _partial_request(service.url)
    started = time.monotonic()
    service.proc.send_signal(signal.SIGTERM)
    time.sleep(0.5)
    sock.sendall(b"@example.org&")  # the last 13 bytes
    reply = sock.recv(4096)
    assert reply.startswith(b"HTTP/1.1 403")  # answered (no CSRF token), not cut off
    code, err = service.stop()
    assert code == 0, err
    assert time.monotonic() - started < 5
    assert "1 request(s) in flight finished" in err and "Traceback" not in err
    sock.close()
    idle.close()


def test_sigterm_with_a_request_that_never_finishes_ends_within_5_s(tmp_path: Path) -> None:
    service = start(service_env(tmp_path))
    sock = _partial_request(service.url)
    started = time.monotonic()
    code, err = service.stop(signal.SIGTERM)
    assert time.monotonic() - started < 5.5
    assert code == 143 and "cut off" in err and "Traceback" not in err, err
    sock.close()


def test_a_taken_port_is_one_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "digest", "serve", "--port", str(port)],
            cwd=ROOT,
            env=service_env(tmp_path),
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0 and f"cannot listen on 127.0.0.1:{port}" in result.stderr


def test_bad_web_settings_stop_the_service_at_start(tmp_path: Path) -> None:
    for key, value, expected in [
        ("DIGEST_WEB__BASE_URL", "http://news.example.org", "plain http only for a loopback host"),
        ("DIGEST_WEB__SUBSCRIBE_PER_IP", "lots", 'expected a rate like "10/hour"'),
        ("DIGEST_WEB__PUBLIC_LISTS", "Default List", "expected list names"),
        ("DIGEST_WEB__ACCENT_COLOR", "blue", 'expected a colour like "#1a56db"'),
    ]:
        env = service_env(tmp_path, **{key: value})
        result = subprocess.run(
            [sys.executable, "-m", "digest", "serve", "--port", "0"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert result.returncode == 1, key
        assert result.stderr.strip().count("\n") == 0 and expected in result.stderr, result.stderr


@pytest.mark.parametrize("limit", ["address", "ip", "mails"])
def test_a_flood_of_sign_ups_gets_429_with_retry_after(tmp_path: Path, limit: str) -> None:
    controller, handler = start_smtp()
    settings = {
        "address": {"DIGEST_WEB__SUBSCRIBE_PER_ADDRESS": "2/minute"},
        "ip": {"DIGEST_WEB__SUBSCRIBE_PER_IP": "3/minute"},
        "mails": {"DIGEST_WEB__CONFIRM_MAILS_PER_ADDRESS": "1/day"},
    }[limit]
    service = start(service_env(tmp_path, controller.port, **settings))
    try:
        codes = []
        with service.client() as c:
            token = csrf_form(c, "/subscribe")
            for i in range(5):
                address = "flood@readers.example.org" if limit != "ip" else f"flood{i}@readers.example.org"
                answer = c.post("/subscribe", data={"csrf": token, "email": address})
                codes.append(answer.status_code)
                if answer.status_code == 429:
                    assert 1 <= int(answer.headers["retry-after"]) <= 86400
                    assert "Too many requests" in answer.text
        allowed = {"address": 2, "ip": 3, "mails": 1}[limit]
        assert codes == [200] * allowed + [429] * (5 - allowed)
        assert handler.count() == {"address": 2, "ip": 3, "mails": 1}[limit]  # one mail per sign-up let through
    finally:
        service.stop()
        controller.stop()
