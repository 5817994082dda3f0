"""An answer's status line and headers read within bounds, and what broke an answer, told.

http.client reads an answer's head with limits of its own that are not HTTP's: over 100
header lines is an error (RFC 9110 section 5.4 sets no such limit), and an interim answer
other than 100 Continue (102 Processing, 103 Early Hints) is taken for the final one,
with the real answer left unread on the connection, although a client MUST parse any
number of 1xx answers before the final one (RFC 9110 section 15.2). `BoundedHead` reads
the head as HTTP says, within bounds that keep it small: a line of at most 64 KiB
(http.client's own), at most 10,000 header lines and 1 MiB in all, 1xx answers counted.

`cause` says in words what a failed read met: a reset, a close before the end, chunk
framing that is not RFC 9112's, a head over those bounds.
"""

from __future__ import annotations

import email.parser
import http.client

from urllib3 import exceptions as urllib3_errors

MAX_HEAD_LINE = 64 * 1024  # bytes in one status or header line
MAX_HEAD_LINES = 10_000  # header lines of an answer, its 1xx answers' included
MAX_HEAD_BYTES = 1 << 20  # bytes of the status lines and headers, 1xx answers included
SWITCHING_PROTOCOLS = 101  # final: it ends HTTP/1.1 on the connection (never asked for here)


class HeadTooLarge(http.client.HTTPException):
    """The answer's status lines and headers are over the bounds above."""


class BoundedHead(http.client.HTTPResponse):
    """http.client's answer with `begin` bounded and interim (1xx) answers read past."""

    head_bytes = 0  # bytes of status lines and headers read so far
    head_lines = 0
    informational = 0  # 1xx answers read past

    def begin(self) -> None:  # http.client's, but for the head's reading
        if self.headers is not None:
            return
        while True:
            version, status, reason = self._read_status()
            if not 100 <= status < 200 or status == SWITCHING_PROTOCOLS:
                break
            self._read_fields()  # an interim answer's: read, then dropped
            self.informational += 1
        self.code = self.status = status
        self.reason = reason.strip()
        if version in ("HTTP/1.0", "HTTP/0.9"):
            self.version = 10
        elif version.startswith("HTTP/1."):
            self.version = 11
        else:
            raise http.client.UnknownProtocol(version)
        fields = b"".join(self._read_fields()).decode("iso-8859-1")
        self.headers = self.msg = email.parser.Parser(
            _class=http.client.HTTPMessage).parsestr(fields)
        self._framing(status)

    def _framing(self, status: int) -> None:
        """How the body ends: chunks, a length, or the close (http.client's rules)."""
        encoding = self.headers.get("transfer-encoding")
        self.chunked = bool(encoding) and encoding.lower() == "chunked"
        self.chunk_left = None
        self.will_close = self._check_close()
        self.length = None
        length = self.headers.get("content-length")
        if length and not self.chunked:
            try:
                self.length = int(length)
            except ValueError:
                self.length = None
            if self.length is not None and self.length < 0:
                self.length = None
        if status in (204, 304) or 100 <= status < 200 or self._method == "HEAD":
            self.length = 0
        if not self.will_close and not self.chunked and self.length is None:
            self.will_close = True

    def _read_status(self) -> tuple[str, int, str]:
        line = self._head_line().decode("iso-8859-1")
        if not line:
            raise http.client.RemoteDisconnected("Remote end closed connection without "
                                                 "response")
        version, status, reason = (line.split(None, 2) + ["", ""])[:3]
        if not version.startswith("HTTP/") or not (status.isdigit() and len(status) == 3):
            self._close_conn()
            raise http.client.BadStatusLine(line)
        return version, int(status), reason

    def _read_fields(self) -> list[bytes]:
        """Header lines up to the empty line that ends them (or the connection's end)."""
        lines = []
        while (line := self._head_line()) not in (b"\r\n", b"\n", b""):
            lines.append(line)
            self.head_lines += 1
            if self.head_lines > MAX_HEAD_LINES:
                raise self._too_large(f"over {MAX_HEAD_LINES} header lines")
        return [*lines, b"\r\n"]

    def _head_line(self) -> bytes:
        line = self.fp.readline(MAX_HEAD_LINE + 1)
        if len(line) > MAX_HEAD_LINE:
            raise self._too_large(f"a line of its head over {MAX_HEAD_LINE} bytes")
        self.head_bytes += len(line)
        if self.head_bytes > MAX_HEAD_BYTES:
            raise self._too_large(f"status lines and headers over {MAX_HEAD_BYTES} bytes")
        return line

    def _too_large(self, what: str) -> HeadTooLarge:
        return HeadTooLarge(f"{what}, after {self.informational} interim 1xx answer(s)")


def cause(error: BaseException, headers=None) -> str:
    """What a failed read met, in words: the innermost known cause of `error`.
    `headers`: the answer's, when they had arrived (they tell its framing)."""
    found = _innermost(error)
    if isinstance(found, HeadTooLarge):
        return f"its head is too large ({found})"
    if isinstance(found, ConnectionResetError):
        return "the target reset the connection (TCP RST)"
    if isinstance(found, http.client.RemoteDisconnected):
        return "the target closed the connection without an answer"
    if isinstance(found, http.client.BadStatusLine):
        return f"its first line is not an HTTP status line: {str(found)[:60]!r}"
    if isinstance(found, http.client.UnknownProtocol):
        return f"it speaks an unknown protocol version {str(found)[:30]!r}"
    if isinstance(found, urllib3_errors.InvalidChunkLength) or (
            _chunked(headers) and isinstance(found, http.client.IncompleteRead)):
        return ("its chunked framing is broken (a chunk size line that is not hex, a chunk "
                "without its CRLF, or a chunk cut short by the close; RFC 9112 section 7.1)")
    if isinstance(found, http.client.IncompleteRead):
        return (f"the connection closed before the end of the body "
                f"({found.partial if isinstance(found.partial, int) else len(found.partial)}"
                f" byte(s) of it read, {found.expected} more announced by Content-Length)")
    if isinstance(found, BrokenPipeError):
        return "the target closed the connection while the request was being sent"
    return f"{type(found).__name__}: {found}"[:200]


def _chunked(headers) -> bool:
    return headers is not None and "chunked" in str(headers.get("Transfer-Encoding", "")).lower()


def _innermost(error: BaseException) -> BaseException:
    """The deepest cause behind urllib3's and requests' wrappers (their args and causes)."""
    seen = set()
    while id(error) not in seen:
        seen.add(id(error))
        inner = next((arg for arg in error.args if isinstance(arg, BaseException)), None)
        inner = inner or error.__cause__ or getattr(error, "reason", None)
        if not isinstance(inner, BaseException):
            return error
        error = inner
    return error
