"""Reading a request body off the socket, with a size cap, for Content-Length and chunked.

Anything whose length cannot be trusted (bad Content-Length, broken chunks, a body over
the cap, a client that stops sending) is answered with 400 and the connection is closed,
because the next request on it could not be found reliably.
"""

from __future__ import annotations

import re
from email.message import Message

from .responses import INVALID_BODY, Response, error

MAX_BODY = 1024 * 1024  # 1 MiB
_MAX_CHUNK_LINE = 1024
_MAX_TRAILERS = 64


class BodyError(Exception):
    def __init__(self, msg: str):
        super().__init__(msg)
        self.response: Response = error(400, INVALID_BODY, msg, close=True)


def declared_length(headers: Message, max_body: int = MAX_BODY) -> int | None:
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


def _is_chunked(headers: Message) -> bool:
    codings = ",".join(headers.get_all("Transfer-Encoding") or [])
    tokens = [t.strip().lower() for t in codings.split(",") if t.strip()]
    if not tokens:
        return False
    if tokens[-1] != "chunked":
        raise BodyError("unsupported Transfer-Encoding")
    return True


def _read_exact(rfile, n: int) -> bytes:
    data = rfile.read(n)
    if len(data) != n:
        raise BodyError("request body shorter than declared")
    return data


def _read_chunked(rfile, max_body: int) -> bytes:
    out = bytearray()
    while True:
        line = rfile.readline(_MAX_CHUNK_LINE + 1)
        if not line.endswith(b"\n") or len(line) > _MAX_CHUNK_LINE:
            raise BodyError("malformed chunk size line")
        size_text = line.split(b";", 1)[0].strip()
        if not re.fullmatch(rb"[0-9A-Fa-f]{1,16}", size_text):
            raise BodyError("malformed chunk size")
        size = int(size_text, 16)
        if len(out) + size > max_body:
            raise BodyError(f"request body larger than {max_body} bytes")
        if size == 0:
            break
        out += _read_exact(rfile, size)
        if _read_exact(rfile, 2) != b"\r\n":
            raise BodyError("chunk not terminated by CRLF")
    for _ in range(_MAX_TRAILERS):  # trailers end with an empty line
        line = rfile.readline(_MAX_CHUNK_LINE + 1)
        if line in (b"\r\n", b"\n"):
            return bytes(out)
        if not line:
            break
    raise BodyError("malformed chunked trailer")


def read_body(rfile, headers: Message, max_body: int = MAX_BODY) -> bytes:
    """The request body; BodyError on any framing problem. Timeouts surface as BodyError."""
    try:
        if _is_chunked(headers):
            return _read_chunked(rfile, max_body)
        length = declared_length(headers, max_body)
        return _read_exact(rfile, length) if length else b""
    except (TimeoutError, ConnectionError, OSError) as exc:
        raise BodyError(f"request body could not be read: {exc.__class__.__name__}") from None
