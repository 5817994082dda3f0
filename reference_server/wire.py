"""Parsing a request head (request line and header fields) from bytes, as http.server did.

The limits and refusals are http.server's (414 for a request line over 64 KiB, 431 for a
header line over 64 KiB or more than 100 header fields, 400 for a bad version), so the
server's answers to broken requests did not change when it left http.server.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_LINE = 65536
MAX_HEADERS = 100
MAX_HEAD = 256 * 1024  # a whole head this big without its end is refused (431)
HEAD_END = re.compile(rb"\r?\n\r?\n")


class HeadError(Exception):
    """A head that cannot be served: answered with `status` and the connection closed."""

    def __init__(self, status: int, message: str, method: str = "", target: str = ""):
        super().__init__(message)
        self.status, self.method, self.target = status, method, target


class Headers:
    """Header fields in arrival order; lookups are case-insensitive and give the first
    occurrence (the subset of email.message.Message the app uses)."""

    __slots__ = ("_fields", "_first")

    def __init__(self, fields: list[tuple[str, str]]):
        self._fields = fields
        self._first: dict[str, str] = {}
        for name, value in fields:
            self._first.setdefault(name.lower(), value)

    def get(self, name: str, default=None):
        return self._first.get(name.lower(), default)

    def get_all(self, name: str, default=None):
        key = name.lower()
        found = [v for n, v in self._fields if n.lower() == key]
        return found or default

    def items(self) -> list[tuple[str, str]]:
        return list(self._fields)

    def __contains__(self, name: str) -> bool:
        return name.lower() in self._first

    def __len__(self) -> int:
        return len(self._fields)


@dataclass
class Head:
    method: str
    target: str  # raw request-target, still percent-encoded
    version: tuple[int, int]  # (0, 9) for a request line without a version
    request_line: str
    headers: Headers
    keep_alive: bool  # HTTP/1.1 unless `Connection: close`; HTTP/1.0 only if asked
    expects_continue: bool


def _version(text: str, method: str, target: str) -> tuple[int, int]:
    try:
        if not text.startswith("HTTP/"):
            raise ValueError
        major, minor = text[5:].split(".")
        if not (major.isdigit() and minor.isdigit() and major.isascii() and minor.isascii()):
            raise ValueError
        if len(major) > 10 or len(minor) > 10:
            raise ValueError
        number = (int(major), int(minor))
    except ValueError:
        raise HeadError(400, f"Bad request version ({text!r})", method, target) from None
    if number >= (2, 0):
        raise HeadError(505, f"Invalid HTTP version ({text})", method, target)
    return number


def _request_line(line: str) -> tuple[str, str, tuple[int, int]]:
    words = line.split()
    method = words[0] if words else ""
    target = words[1] if len(words) > 1 else ""
    if len(words) >= 3:
        version = _version(words[-1], method, target)
        if len(words) > 3:
            raise HeadError(400, f"Bad request syntax ({line!r})", method, target)
        return method, target, version
    if len(words) == 2:
        if method != "GET":
            raise HeadError(400, f"Bad HTTP/0.9 request type ({method!r})", method, target)
        return method, target, (0, 9)
    raise HeadError(400, f"Bad request syntax ({line!r})", method, target)


def _fields(lines: list[str], method: str, target: str) -> list[tuple[str, str]]:
    if len(lines) > MAX_HEADERS:
        raise HeadError(431, "Too many headers", method, target)
    fields: list[tuple[str, str]] = []
    for line in lines:
        if len(line) > MAX_LINE:
            raise HeadError(431, "Line too long", method, target)
        if line[:1] in (" ", "\t"):  # obsolete line folding: continues the previous value
            if fields:
                name, value = fields[-1]
                fields[-1] = (name, f"{value} {line.strip()}")
            continue
        name, colon, value = line.partition(":")
        if colon and name:  # a line without a name is skipped, as the email parser did
            fields.append((name.rstrip(" \t"), value.lstrip(" \t")))
    return fields


def head_end(buf: bytearray, start: int = 0) -> tuple[int, int] | None:
    """(end of the head, start of the body) when buf holds a whole head, else None;
    HeadError when it is already too big to be one. The search begins at `start`."""
    found = buf.find(b"\r\n\r\n", start)
    if found >= 0:
        return found, found + 4
    match = HEAD_END.search(buf, start)
    if match is not None:
        return match.start(), match.end()
    first = buf.find(b"\n", 0, MAX_LINE + 2)
    if (first < 0 and len(buf) > MAX_LINE) or first > MAX_LINE:
        raise HeadError(414, "Request-URI Too Long")
    if len(buf) > MAX_HEAD:
        raise HeadError(431, "Request header fields too large")
    return None


def parse_head(raw: bytes) -> Head:
    """The head (without its final empty line) as a Head; HeadError when unusable."""
    lines = raw.decode("iso-8859-1").split("\n")
    if lines[-1].endswith("\r") or len(lines) > 1:
        lines = [line.removesuffix("\r") for line in lines]
    request_line = lines[0]
    if len(request_line) > MAX_LINE:
        raise HeadError(414, "Request-URI Too Long")
    method, target, version = _request_line(request_line)
    headers = Headers(_fields(lines[1:], method, target))
    connection = headers.get("Connection", "").lower()
    keep_alive = (version >= (1, 1) or connection == "keep-alive") and connection != "close"
    keep_alive = keep_alive and version >= (1, 0)
    expects = version >= (1, 1) and headers.get("Expect", "").lower() == "100-continue"
    return Head(method, target, version, request_line, headers, keep_alive, expects)
