"""Content-Encoding undone layer by layer, never producing more than the caller asks for.

A server can send 5 KB that inflate to a gigabyte ("gzip, gzip" doubles the trick), and a
decoder that inflates a whole network chunk at once (httpx's) has the gigabyte in memory
before any size check runs. Here every layer is a reader that returns at most ``n`` bytes per
``read(n)``, pulling only as much input from the layer below as that needs; the caller counts
decoded bytes as they arrive and stops at its limit.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from typing import Protocol

from digest.errors import FetchError

MAX_LAYERS = 2  # "gzip, gzip" is legitimate at a stretch; three is an attack
_CHUNK = 64 * 1024


class Reader(Protocol):
    def read(self, n: int) -> bytes: ...


class RawReader:
    """The body as it came off the wire, from an iterator of chunks."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._buffer = b""

    def read(self, n: int) -> bytes:
        while not self._buffer:
            chunk = next(self._chunks, None)
            if chunk is None:
                return b""
            self._buffer = chunk
        out, self._buffer = self._buffer[:n], self._buffer[n:]
        return out


class ZlibReader:
    """gzip (wbits 31), zlib-wrapped deflate (15) or raw deflate (-15), detected for deflate."""

    def __init__(self, upstream: Reader, encoding: str) -> None:
        self._up = upstream
        self._gzip = encoding in ("gzip", "x-gzip")
        self._d: zlib._Decompress | None = zlib.decompressobj(31) if self._gzip else None
        self._pending = b""
        self._done = False

    def _start_deflate(self, first: bytes) -> zlib._Decompress:
        # "deflate" should be zlib-wrapped; some servers send raw deflate: the header tells.
        wrapped = len(first) >= 2 and (first[0] & 0x0F) == 8 and ((first[0] << 8) | first[1]) % 31 == 0
        return zlib.decompressobj(15 if wrapped else -15)

    def read(self, n: int) -> bytes:
        while not self._done:
            if self._pending:
                data, self._pending = self._pending, b""
            else:
                data = self._up.read(_CHUNK)
                if not data:
                    self._done = True
                    break
            if self._d is None:
                self._d = self._start_deflate(data)
            try:
                out = self._d.decompress(data, n)
            except zlib.error as exc:
                raise FetchError(
                    f"the response is not valid {'gzip' if self._gzip else 'deflate'} data ({exc})"
                ) from None
            self._pending = self._d.unconsumed_tail
            if self._d.eof:
                if self._d.unused_data.strip(b"\x00"):
                    # another gzip member follows (allowed by RFC 1952): continue with a new one
                    rest = self._d.unused_data
                    self._d = zlib.decompressobj(31) if self._gzip else None
                    self._pending = rest + self._pending
                elif not self._pending:
                    self._done = True
            if out:
                return out
        return b""


class BrotliReader:
    def __init__(self, upstream: Reader) -> None:
        import brotli

        self._up = upstream
        self._d = brotli.Decompressor()
        self._error = brotli.error
        self._eof = False

    def read(self, n: int) -> bytes:
        while True:
            out: bytes
            try:
                if not self._d.can_accept_more_data():
                    out = self._d.process(b"", output_buffer_limit=n)
                else:
                    data = self._up.read(_CHUNK)
                    if not data:
                        if not self._d.is_finished() and not self._eof:
                            self._eof = True
                            raise FetchError("the response ends in the middle of its brotli data")
                        return b""
                    out = self._d.process(data, output_buffer_limit=n)
            except self._error as exc:
                raise FetchError(f"the response is not valid brotli data ({exc})") from None
            if out:
                return out
            if self._d.is_finished() and self._d.can_accept_more_data():
                return b""


class ZstdReader:
    def __init__(self, upstream: Reader) -> None:
        import zstandard

        self._reader = zstandard.ZstdDecompressor().stream_reader(upstream, read_across_frames=True)  # type: ignore[arg-type]
        self._error = zstandard.ZstdError

    def read(self, n: int) -> bytes:
        try:
            data: bytes = self._reader.read(n)
            return data
        except self._error as exc:
            raise FetchError(f"the response is not valid zstd data ({exc})") from None


SUPPORTED = ("gzip", "x-gzip", "deflate", "br", "zstd")
ACCEPT_ENCODING = "gzip, deflate, br, zstd"


def layers(header: str | None) -> list[str]:
    """The encodings in the order they were applied; FetchError past MAX_LAYERS or unknown ones."""
    names = [p.strip().lower() for p in (header or "").split(",") if p.strip() and p.strip().lower() != "identity"]
    if len(names) > MAX_LAYERS:
        raise FetchError(f"refused: {len(names)} stacked content encodings ({', '.join(names)}); at most {MAX_LAYERS}")
    unknown = [n for n in names if n not in SUPPORTED]
    if unknown:
        raise FetchError(f"unsupported content encoding {unknown[0]!r}")
    return names


def decoder(chunks: Iterator[bytes], content_encoding: str | None) -> Reader:
    """A reader of the decoded body: the last encoding applied is undone first."""
    reader: Reader = RawReader(chunks)
    for name in reversed(layers(content_encoding)):
        if name in ("gzip", "x-gzip", "deflate"):
            reader = ZlibReader(reader, name)
        elif name == "br":
            reader = BrotliReader(reader)
        else:
            reader = ZstdReader(reader)
    return reader
