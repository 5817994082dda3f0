"""Framing a request body, with a size cap, for Content-Length and chunked.

Anything whose length cannot be trusted (bad Content-Length, broken chunks, a body over
the cap, a client that stops sending) is answered with 400 and the connection is closed,
because the next request on it could not be found reliably.
"""

from __future__ import annotations

import re

from .responses import INVALID_BODY, Response, error

MAX_BODY = 1024 * 1024  # 1 MiB
_MAX_CHUNK_LINE = 1024
_MAX_TRAILERS = 64


class BodyError(Exception):
    def __init__(self, msg: str):
        super().__init__(msg)
        self.response: Response = error(400, INVALID_BODY, msg, close=True)


def declared_length(headers, max_body: int = MAX_BODY) -> int | None:
    """Content-Length as a number, None when absent; BodyError when unusable or too big."""
    values = headers.get_all("Content-Length") or []
    if not values:
        return None
    distinct = {v.strip() for v in values}
    if len(distinct) != 1 or not re.fullmatch(r"[0-9]{1,18}", next(iter(distinct))):
        raise BodyError("invalid Content-Length")
    length = int(next(iter(distinct)))
    if length > max_body:
        raise BodyError(f"request body larger than {max_body} bytes")
    return length


def is_chunked(headers) -> bool:
    codings = ",".join(headers.get_all("Transfer-Encoding") or [])
    tokens = [t.strip().lower() for t in codings.split(",") if t.strip()]
    if not tokens:
        return False
    if tokens[-1] != "chunked":
        raise BodyError("unsupported Transfer-Encoding")
    return True


class ChunkedReader:
    """Decodes a chunked body incrementally: `feed` consumes what it can of the buffer
    (so a body sent a byte at a time costs no re-parsing) and `body` is set at the end."""

    def __init__(self, max_body: int = MAX_BODY):
        self.max_body = max_body
        self.out = bytearray()
        self.body: bytes | None = None
        self._left = -1  # data bytes still due in the current chunk; -1: a size line is due
        self._trailers = 0

    def feed(self, buf: bytearray) -> int:
        """Consume from the start of buf; return how many bytes were used."""
        pos = 0
        while self.body is None:
            if self._left > 0:
                take = min(self._left, len(buf) - pos)
                self.out += buf[pos:pos + take]
                pos, self._left = pos + take, self._left - take
                if self._left:
                    return pos
            elif self._left == 0:  # the CRLF after a chunk's data
                if len(buf) - pos < 2:
                    return pos
                if buf[pos:pos + 2] != b"\r\n":
                    raise BodyError("chunk not terminated by CRLF")
                pos, self._left = pos + 2, -1
            else:
                line, pos = self._line(buf, pos)
                if line is None:
                    return pos
                if self._left == -2:  # trailers, up to an empty line
                    self._trailer(line)
                else:
                    self._size(line)
        return pos

    def _line(self, buf: bytearray, pos: int) -> tuple[bytes | None, int]:
        end = buf.find(b"\n", pos, pos + _MAX_CHUNK_LINE + 1)
        if end < 0:
            if len(buf) - pos > _MAX_CHUNK_LINE:
                raise BodyError("malformed chunk size line")
            return None, pos
        return bytes(buf[pos:end + 1]), end + 1

    def _size(self, line: bytes) -> None:
        size_text = line.split(b";", 1)[0].strip()
        if not re.fullmatch(rb"[0-9A-Fa-f]{1,16}", size_text):
            raise BodyError("malformed chunk size")
        size = int(size_text, 16)
        if len(self.out) + size > self.max_body:
            raise BodyError(f"request body larger than {self.max_body} bytes")
        self._left = size if size else -2

    def _trailer(self, line: bytes) -> None:
        if line in (b"\r\n", b"\n"):
            self.body = bytes(self.out)
            return
        self._trailers += 1
        if self._trailers >= _MAX_TRAILERS:
            raise BodyError("malformed chunked trailer")


def body_framing(headers, max_body: int = MAX_BODY) -> ChunkedReader | int:
    """How the body is framed: a ChunkedReader, or its length (0 when there is none).
    BodyError when the framing cannot be trusted or announces too much."""
    if is_chunked(headers):
        return ChunkedReader(max_body)
    return declared_length(headers, max_body) or 0
