"""Small helpers for tests that start real servers on 127.0.0.1."""

from __future__ import annotations

import socket


def free_port() -> int:
    """A port free right now on 127.0.0.1 (aiosmtpd's Controller(port=0) fails its self-check)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
