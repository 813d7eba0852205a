"""A hostile HTTP server on 127.0.0.1: it trickles, stalls, lies and sends decompression bombs.

Each path is one misbehaviour, written by hand on a raw socket (a well-behaved framework would
not let us misbehave). Bombs are built once per session: 5 KB that inflate to 1 GB.
"""

from __future__ import annotations

import functools
import gzip
import socket
import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager, suppress

BOMB_BYTES = 1_000_000_000  # what the gzip bomb inflates to
SMALL_BOMB_BYTES = 200_000_000  # brotli and zstd: still 40 times a 5 MB limit


@functools.cache
def gzip_bomb() -> bytes:
    """1 GB of zeros, gzipped twice: a few kilobytes on the wire."""
    inner = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = b"\0" * 1_000_000
    parts = [inner.compress(block) for _ in range(BOMB_BYTES // len(block))]
    once = b"".join(parts) + inner.flush()
    return gzip.compress(once, 9)


@functools.cache
def brotli_bomb() -> bytes:
    import brotli

    return bytes(brotli.compress(b"\0" * SMALL_BOMB_BYTES, quality=5))


@functools.cache
def zstd_bomb() -> bytes:
    import zstandard

    return bytes(zstandard.ZstdCompressor(level=3).compress(b"\0" * SMALL_BOMB_BYTES))


class HostileServer:
    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.stop = threading.Event()
        self.clients: list[socket.socket] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def close(self) -> None:
        self.stop.set()
        self.sock.close()
        for client in self.clients:
            with suppress(OSError):
                client.close()

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            self.clients.append(client)
            threading.Thread(target=self._handle, args=(client,), daemon=True).start()

    def _handle(self, client: socket.socket) -> None:
        try:
            request = b""
            while b"\r\n\r\n" not in request:
                data = client.recv(4096)
                if not data:
                    return
                request += data
            path = request.split(b" ", 2)[1].decode("ascii", "replace")
            getattr(self, "_" + path.strip("/").split("/")[0].replace("-", "_"), self._not_found)(client, path)
        except OSError:
            pass
        finally:
            with suppress(OSError):
                client.close()

    def _send(self, client: socket.socket, head: str, body: bytes = b"") -> None:
        client.sendall(head.replace("\n", "\r\n").encode("latin-1") + b"\r\n" + body)

    def _sleep(self, seconds: float) -> bool:
        """False once the server is stopping (so its threads end)."""
        return not self.stop.wait(seconds)

    # ---- misbehaviours
    def _not_found(self, client: socket.socket, path: str) -> None:
        self._send(client, "HTTP/1.1 404 Not Found\nContent-Length: 0\nConnection: close\n")

    def _trickle_headers(self, client: socket.socket, path: str) -> None:
        client.sendall(b"HTTP/1.1 200 OK\r\n")
        n = 0
        while self._sleep(0.5):
            client.sendall(f"X-Drip-{n}: {n}\r\n".encode())
            n += 1

    def _trickle_body(self, client: socket.socket, path: str) -> None:
        client.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 100000\r\n\r\n<html>")
        while self._sleep(0.5):
            client.sendall(b"x")

    def _silence(self, client: socket.socket, path: str) -> None:
        while self._sleep(0.5):
            pass

    def _bomb(self, client: socket.socket, body: bytes, encoding: str) -> None:
        head = f"HTTP/1.1 200 OK\nContent-Type: text/html\nContent-Encoding: {encoding}\nContent-Length: {len(body)}\n"
        self._send(client, head + "Connection: close\n", body)

    def _gzip_bomb(self, client: socket.socket, path: str) -> None:
        self._bomb(client, gzip_bomb(), "gzip, gzip")

    def _brotli_bomb(self, client: socket.socket, path: str) -> None:
        self._bomb(client, brotli_bomb(), "br")

    def _zstd_bomb(self, client: socket.socket, path: str) -> None:
        self._bomb(client, zstd_bomb(), "zstd")

    def _deflate_raw(self, client: socket.socket, path: str) -> None:
        packer = zlib.compressobj(9, zlib.DEFLATED, -15)
        body = packer.compress(b"<html><body><p>" + b"Raw deflate body. " * 50 + b"</p></body></html>") + packer.flush()
        self._bomb(client, body, "deflate")

    def _three_layers(self, client: socket.socket, path: str) -> None:
        self._bomb(client, gzip.compress(gzip.compress(gzip.compress(b"<html>hi</html>"))), "gzip, gzip, gzip")

    def _redirect(self, client: socket.socket, path: str) -> None:
        n = int(path.rsplit("/", 1)[1]) if path.count("/") > 1 else 0
        self._send(client, f"HTTP/1.1 302 Found\nLocation: /redirect/{n + 1}\nContent-Length: 0\nConnection: close\n")

    def _big_header(self, client: socket.socket, path: str) -> None:
        self._send(
            client, "HTTP/1.1 200 OK\nX-Big: " + "a" * 1_000_000 + "\nContent-Length: 2\nConnection: close\n", b"ok"
        )

    def _length_lie(self, client: socket.socket, path: str) -> None:
        """Declares 100 bytes, then streams 20 MB with no end: the cap still holds."""
        client.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n\r\n")
        chunk = b"y" * 65536
        for _ in range(320):
            if self.stop.is_set():
                return
            client.sendall(chunk)
        time.sleep(0.1)


@contextmanager
def hostile_server() -> Iterator[HostileServer]:
    server = HostileServer()
    try:
        yield server
    finally:
        server.close()
