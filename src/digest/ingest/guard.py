"""Where and how long `digest` may talk to a server it does not control.

Addresses: every connection is checked at connect time against private, loopback, link-local,
multicast and reserved addresses, including IPv6 forms that carry an IPv4 address (mapped,
NAT64, 6to4, Teredo), and the address checked is the one connected to (DNS rebinding cannot
swap it). Time: httpx's timeouts are per operation, so a server that sends a byte a second
never trips them; here one wall-clock deadline covers the whole request (DNS, connect, TLS,
headers, body, every redirect): each socket read and write may wait only for what is left of it.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
import threading
import time
import weakref
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from typing import Any

import httpcore

from digest.errors import FetchError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_6TO4 = ipaddress.ip_network("2002::/16")
_TEREDO = ipaddress.ip_network("2001::/32")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class AddressRefused(FetchError):
    """The host resolves to an address we must not connect to (SSRF guard)."""


class DeadlinePassed(FetchError):
    """The request's wall-clock deadline passed (the caller words the message)."""


def embedded_ipv4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, NAT64, 6to4, Teredo client), if any."""
    if isinstance(ip, ipaddress.IPv4Address):
        return None
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip in _6TO4:
        return ip.sixtofour
    if ip in _TEREDO and ip.teredo is not None:
        return ip.teredo[1]  # (server, client): the client address is where packets end up
    return None


def address_problem(ip: IPAddress) -> str | None:
    """Why an address is off limits for fetching by default (None: public, fine)."""
    inner = embedded_ipv4(ip)
    if inner is not None:
        problem = address_problem(inner)
        if problem is not None:
            return problem
        if isinstance(ip, ipaddress.IPv6Address) and ip in _TEREDO and ip.teredo is not None:
            server = address_problem(ip.teredo[0])
            if server is not None:
                return server
        return None
    if ip.is_loopback:
        return "a loopback"
    if ip.is_link_local:
        return "a link-local"
    if ip.is_multicast:
        return "a multicast"
    if ip.is_unspecified:
        return "an unspecified"
    if ip.is_private:
        return "a private"
    if ip.is_reserved:
        return "a reserved"
    if not ip.is_global:
        return "a non-public"
    return None


# ---------------------------------------------------------------- the deadline

_local = threading.local()


def remaining() -> float | None:
    """Seconds left before the current request's deadline (None: no deadline in force)."""
    at: float | None = getattr(_local, "deadline", None)
    return None if at is None else at - time.monotonic()


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Every network step in this block (this thread) must finish within ``seconds`` in all."""
    previous = getattr(_local, "deadline", None)
    _local.deadline = time.monotonic() + seconds
    try:
        yield
    finally:
        _local.deadline = previous


def _bounded(timeout: float | None) -> float | None:
    """The per-operation timeout cut to what is left of the deadline; DeadlinePassed if nothing is."""
    left = remaining()
    if left is None:
        return timeout
    if left <= 0:
        raise DeadlinePassed("deadline passed")
    return left if timeout is None else min(timeout, left)


def _lookup(host: str, port: int) -> list[Any]:
    """getaddrinfo within the deadline. It cannot be interrupted, so it runs in a daemon thread
    that is left behind when the deadline passes (a stopped run never waits for it at exit)."""
    wait = _bounded(None)
    if wait is None:
        try:
            return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            raise FetchError(f"cannot resolve host {host}: {exc.strerror or exc}") from None
    done = threading.Event()
    box: dict[str, Any] = {}

    def look() -> None:
        try:
            box["infos"] = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            box["error"] = exc
        done.set()

    threading.Thread(target=look, name="digest-dns", daemon=True).start()
    if not done.wait(wait):
        raise DeadlinePassed(f"looking up {host} took too long")
    error = box.get("error")
    if error is not None:
        reason = error.strerror if isinstance(error, socket.gaierror) else str(error)
        raise FetchError(f"cannot resolve host {host}: {reason or error}")
    infos: list[Any] = box["infos"]
    return infos


def resolve_checked(host: str, port: int, allow_private: bool) -> list[str]:
    """Resolve ``host`` and return addresses safe to connect to; refuse if any is private.

    One bad address among several is enough to refuse: an attacker controlling DNS could
    otherwise make us try the private one. The lookup is bounded by the request's deadline.
    """
    bare = host.strip("[]")
    infos = _lookup(bare, port)
    addresses: list[str] = []
    for _family, _type, _proto, _canon, sockaddr in infos:
        addr = str(sockaddr[0]).split("%", 1)[0]
        if addr not in addresses:
            addresses.append(addr)
    if not allow_private:
        for addr in addresses:
            problem = address_problem(ipaddress.ip_address(addr))
            if problem:
                raise AddressRefused(
                    f"refused: resolves to {problem} address ({addr}); "
                    "set [fetch] allow_private_addresses = true to allow"
                )
    if not addresses:
        raise FetchError(f"cannot resolve host {bare}")
    return addresses


class DeadlineStream(httpcore.NetworkStream):
    """A network stream whose every read and write waits at most until the deadline, and that
    its backend can cut from another thread (a run stopped by a signal)."""

    def __init__(self, stream: httpcore.NetworkStream, backend: GuardedBackend) -> None:
        self._stream = stream
        self._backend = backend
        backend.streams.add(self)

    def _timeout(self, timeout: float | None) -> float | None:
        if self._backend.aborted.is_set():
            raise DeadlinePassed("stopped")
        return _bounded(timeout)

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        try:
            return self._stream.read(max_bytes, self._timeout(timeout))
        except DeadlinePassed:
            raise httpcore.ReadTimeout("deadline passed") from None

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        try:
            self._stream.write(buffer, self._timeout(timeout))
        except DeadlinePassed:
            raise httpcore.WriteTimeout("deadline passed") from None

    def close(self) -> None:
        self._backend.streams.discard(self)
        self._stream.close()

    def cut(self) -> None:
        sock = self._stream.get_extra_info("socket")
        if sock is not None:
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        try:
            inner = self._stream.start_tls(ssl_context, server_hostname, self._timeout(timeout))
        except DeadlinePassed:
            raise httpcore.ConnectTimeout("deadline passed") from None
        self._backend.streams.discard(self)
        return DeadlineStream(inner, self._backend)

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class GuardedBackend(httpcore.SyncBackend):
    """httpcore's socket backend, connecting only to addresses it has just checked, with the
    request's deadline on every step."""

    def __init__(self, allow_private: bool) -> None:
        self.allow_private = allow_private
        self.streams: weakref.WeakSet[DeadlineStream] = weakref.WeakSet()
        self.aborted = threading.Event()

    def abort(self) -> None:
        """Cut every open connection and refuse new ones: fetches in flight end at once."""
        self.aborted.set()
        for stream in list(self.streams):
            stream.cut()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        last: Exception | None = None
        if self.aborted.is_set():
            raise httpcore.ConnectError("stopped")
        for addr in resolve_checked(host, port, self.allow_private):
            try:
                stream = super().connect_tcp(addr, port, _bounded(timeout), local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
                continue
            except DeadlinePassed:
                raise httpcore.ConnectTimeout("deadline passed") from None
            return DeadlineStream(stream, self)
        assert last is not None
        raise last
