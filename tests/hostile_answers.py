"""Hostile answers in the middle of an exchange, for `tests/hostile_servers.py`'s listeners:
a trickled body, an endless chunked body, and decompression bombs made as they are sent
(a compressor fed zero blocks), so the server never holds more than one block."""

from __future__ import annotations

import importlib
import zlib
from collections.abc import Callable, Iterator

from tests.hostile_servers import read_request

BOMB_SIZE = 4 << 30  # what a bomb inflates to: 4 GiB of zeros, never made whole
ZERO_BLOCK = bytes(1 << 20)
TRICKLE_INTERVAL = 0.1


def _zlib_bomb(wbits: int) -> Iterator[bytes]:
    compressor = zlib.compressobj(9, zlib.DEFLATED, wbits)
    for _ in range(BOMB_SIZE // len(ZERO_BLOCK)):
        if piece := compressor.compress(ZERO_BLOCK):
            yield piece
    yield compressor.flush()


def _brotli_bomb() -> Iterator[bytes]:
    compressor = importlib.import_module("brotli").Compressor()
    for _ in range(BOMB_SIZE // len(ZERO_BLOCK)):
        yield compressor.process(ZERO_BLOCK)
    yield compressor.finish()


def _zstd_module():
    for name in ("compression.zstd", "backports.zstd"):
        try:
            return importlib.import_module(name)
        except ImportError:
            continue
    raise ImportError("no zstd module")


def _zstd_bomb() -> Iterator[bytes]:
    compressor = _zstd_module().ZstdCompressor()
    for _ in range(BOMB_SIZE // len(ZERO_BLOCK)):
        yield compressor.compress(ZERO_BLOCK)
    yield compressor.flush()


# Content-Encoding -> the module it needs (None: the standard library's), the bomb.
BOMBS: dict[str, tuple[str | None, Callable[[], Iterator[bytes]]]] = {
    "gzip": (None, lambda: _zlib_bomb(16 + zlib.MAX_WBITS)),
    "deflate": (None, lambda: _zlib_bomb(zlib.MAX_WBITS)),
    "br": ("brotli", _brotli_bomb),
    "zstd": ("zstd", _zstd_bomb),
}


def encoder_available(encoding: str) -> bool:
    module = BOMBS[encoding][0]
    try:
        if module == "zstd":
            _zstd_module()
        elif module:
            importlib.import_module(module)
    except ImportError:
        return False
    return True


def _head(*fields: str) -> bytes:
    lines = ["HTTP/1.1 200 OK", "Content-Type: application/json", "X-Request-Id: r", *fields]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _chunk(piece: bytes) -> bytes:
    return f"{len(piece):x}\r\n".encode() + piece + b"\r\n"


def bomb(encoding: str, chunked: bool):
    """`respond(conn, listener, request)` with a bomb in `encoding`, chunked or ended by
    closing the connection (`hostile_servers.handler` makes it a handler)."""
    framing = "Transfer-Encoding: chunked" if chunked else "Connection: close"

    def respond(conn, listener, request) -> None:
        conn.sendall(_head(f"Content-Encoding: {encoding}", framing))
        for piece in BOMBS[encoding][1]():
            if listener.stop_event.is_set():
                return
            if piece:
                conn.sendall(_chunk(piece) if chunked else piece)
        if chunked:
            conn.sendall(b"0\r\n\r\n")
    return respond


def endless_chunks(conn, listener, request) -> None:
    """A chunked body that never ends, as fast as the client takes it."""
    conn.sendall(_head("Transfer-Encoding: chunked"))
    piece = _chunk(b"x" * 65536)
    while not listener.stop_event.is_set():
        conn.sendall(piece)


def trickled_body(conn, listener, request) -> None:
    """Status line and headers at once, then a 1000-byte body one byte at a time."""
    conn.sendall(_head("Content-Length: 1000"))
    while not listener.stop_event.wait(TRICKLE_INTERVAL):
        conn.sendall(b" ")


def keeps_alive_then_trickles(conn, listener) -> None:
    """A handler: a good kept-alive answer, then `trickled_body` on the same connection."""
    read_request(conn, listener)
    conn.sendall(_head("Content-Length: 2") + b"{}")
    trickled_body(conn, listener, read_request(conn, listener))
