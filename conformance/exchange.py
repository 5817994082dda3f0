"""One exchange's hard bounds: a deadline for all of it, and a cap on the decoded answer.

A socket timeout bounds each read, not the exchange: a server sending its status line a
byte every half second never lets one expire. So every exchange of the run's session has
its own clock (`Exchange`), and one watchdog thread shuts the socket of any exchange still
going at its deadline: a read blocked anywhere (status line, headers, body, TLS) returns
at once. The pools of `PoliteAdapter` make connections that tell the exchange which socket
is theirs and count the bytes that arrive on it.

The body is read here, decoded as a stream in bounded pieces (urllib3 >= 2.6 inflates no
more than asked), and reading stops at `max_answer_bytes`: a decompression bomb is never
inflated whole.

The head is read as HTTP says and within bounds (`wire.BoundedHead`: 1xx answers read past,
thousands of headers accepted, 1 MiB at most). An answer that breaks off (a reset, broken
chunk framing, a close before the end, a head over the bounds) ends as `BrokenHead` or
`BrokenBody`, with a line naming the exchange and the cause. Every one of these errors
carries the exchange (`cut_of`): the request, the head if it arrived, and the first and
last bytes that came off the wire, for the test's evidence (`evidence.cut`).
"""

from __future__ import annotations

import contextlib
import io
import socket
import threading
import time

from requests import exceptions as http_errors
from urllib3 import connection as urllib3_connection
from urllib3 import connectionpool
from urllib3 import exceptions as urllib3_errors

from metastudio_conformance import wire

READ_SIZE = 64 * 1024  # decoded bytes asked for per read: the most one read inflates
DEFAULT_MAX_ANSWER_BYTES = 8 * 1024 * 1024
WIRE_PREVIEW = 512  # bytes kept of what arrived first, for the evidence
WIRE_TAIL = 256  # ... and of what arrived last


class ExchangeTimeout(http_errors.ReadTimeout):
    """The exchange (connecting, sending, the whole answer) outlived its deadline."""

    sent = True  # False when it was cut while connecting: the target never got it
    exchange = None  # the Exchange it cut


class AnswerTooLarge(http_errors.RequestException):
    """The decoded answer is larger than `max_answer_bytes`; the rest was not read."""

    sent = True
    exchange = None


class BrokenHead(http_errors.ConnectionError):
    """The status line and headers broke off, or are not HTTP's, or are over the bounds.
    (requests wraps it in a ConnectionError of the same text.)"""

    sent = True
    exchange = None


class BrokenBody(http_errors.ChunkedEncodingError):
    """The body broke off: a reset, broken chunk framing, a close before its length."""

    sent = True
    exchange = None


class Exchange:
    """One request's clock, the connection it uses and the bytes that arrived on it."""

    def __init__(self, request, deadline: float | None) -> None:
        self.request = request
        self.started = time.monotonic()
        self.deadline = deadline  # time.monotonic() value, or None: no deadline
        self.connection = None
        self.received = 0  # bytes read from the socket: status line, headers, body
        self.first = bytearray()  # the first WIRE_PREVIEW of them ...
        self.last = b""  # ... and the last WIRE_TAIL
        self.answer = None  # http.client's answer: its status and headers, once read
        self.phase = "connecting"
        self.expired = False
        self.reused = False  # sent on a connection that had already carried an answer

    def arrived(self, data) -> None:
        """Count bytes read off the socket, keeping the first and the last few."""
        self.received += len(data)
        if len(self.first) < WIRE_PREVIEW:
            self.first += data[: WIRE_PREVIEW - len(self.first)]
        self.last = (self.last + bytes(data[-WIRE_TAIL:]))[-WIRE_TAIL:]

    def past_deadline(self) -> bool:
        return self.expired or (self.deadline is not None and time.monotonic() >= self.deadline)

    def time_left(self) -> float | None:
        return None if self.deadline is None else max(self.deadline - time.monotonic(), 0.01)

    def expire(self) -> None:
        """Called by the watchdog at the deadline: wake whatever read or write is blocked."""
        self.expired = True
        sock = getattr(self.connection, "sock", None)
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def timeout_error(self, cause: BaseException | None = None) -> ExchangeTimeout:
        limit = self.deadline - self.started if self.deadline is not None else 0.0
        error = ExchangeTimeout(
            f"{self.request.method} {self.request.path_url} did not complete within "
            f"{limit:g} s (the deadline for connecting, sending and the whole answer); cut "
            f"while {self.phase}, after {self.received} byte(s) had arrived",
            request=self.request)
        error.sent = self.phase != "connecting"
        error.exchange = self
        return error

    def broken(self, kind: type, error: BaseException):
        """`kind` (BrokenHead or BrokenBody) for `error`, naming the exchange and the cause."""
        headers = None if self.answer is None else self.answer.headers
        broken = kind(f"the answer to {self.request.method} {self.request.path_url} failed: "
                      f"{wire.cause(error, headers)}; while {self.phase}, after "
                      f"{self.received} byte(s) had arrived", request=self.request)
        broken.sent = self.phase != "connecting"
        broken.exchange = self
        return broken


def sent_unanswered(error: BaseException) -> bool:
    """Whether `error` cut an exchange whose request had reached the target (one that
    broke while connecting had not), also when requests wrapped it."""
    for candidate in (error, *error.args[:1]):
        if isinstance(candidate, (ExchangeTimeout, AnswerTooLarge, BrokenHead, BrokenBody)):
            return candidate.sent
    return False


def cut_of(error: BaseException) -> Exchange | None:
    """The exchange a bounded-exchange error cut, also when requests wrapped the error."""
    for candidate in (error, *error.args[:1], error.__cause__, error.__context__):
        exchange = getattr(candidate, "exchange", None)
        if isinstance(exchange, Exchange):
            return exchange
    return None


class _Watchdog:
    """One daemon thread that expires every watched exchange at its deadline."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._watched: set[Exchange] = set()
        self._thread: threading.Thread | None = None

    def watch(self, exchange: Exchange) -> None:
        with self._changed:
            self._watched.add(exchange)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="exchange-deadlines",
                                                daemon=True)
                self._thread.start()
            self._changed.notify()

    def forget(self, exchange: Exchange) -> None:
        with self._changed:
            self._watched.discard(exchange)

    def _run(self) -> None:
        with self._changed:
            while True:
                now = time.monotonic()
                for exchange in [e for e in self._watched if e.deadline <= now]:
                    self._watched.discard(exchange)
                    exchange.expire()
                nearest = min((e.deadline for e in self._watched), default=None)
                self._changed.wait(None if nearest is None else nearest - now)


WATCHDOG = _Watchdog()
_current = threading.local()  # the exchange this thread is sending, for its connection


@contextlib.contextmanager
def watched(exchange: Exchange):
    """Make `exchange` this thread's current one, expired by the watchdog at its deadline."""
    _current.exchange = exchange
    if exchange.deadline is not None:
        WATCHDOG.watch(exchange)
    try:
        yield exchange
    finally:
        WATCHDOG.forget(exchange)
        _current.exchange = None


def _exchange() -> Exchange | None:
    return getattr(_current, "exchange", None)


class _CountingReader(io.RawIOBase):
    """The socket's reader, counting into the current exchange what arrives."""

    def __init__(self, raw, exchange: Exchange | None) -> None:
        self._raw, self._exchange = raw, exchange

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int | None:
        count = self._raw.readinto(buffer)
        if count and self._exchange is not None:
            self._exchange.arrived(memoryview(buffer)[:count])
        return count

    def close(self) -> None:
        self._raw.close()
        super().close()


class _CountedResponse(wire.BoundedHead):
    def __init__(self, sock, *args, **kwargs) -> None:
        super().__init__(sock, *args, **kwargs)
        exchange = _exchange()
        self.fp.close()  # http.client's own reader, unused: ours counts
        self.fp = io.BufferedReader(_CountingReader(sock.makefile("rb", buffering=0),
                                                    exchange))
        if exchange is not None:
            exchange.answer = self


class _Watched:
    """A connection that tells the current exchange it carries it, and what phase it is in."""

    response_class = _CountedResponse
    answered = 0  # answers read on the current socket (reset by connect)

    def connect(self):
        self.answered = 0
        return super().connect()

    def request(self, *args, **kwargs):
        exchange = _exchange()
        if exchange is not None:
            exchange.connection, exchange.phase = self, "sending the request"
            exchange.reused = self.sock is not None and self.answered > 0
        return super().request(*args, **kwargs)

    def getresponse(self, *args, **kwargs):
        exchange = _exchange()
        if exchange is not None:
            exchange.phase = "waiting for the status line and headers"
        _ack_at_once(self.sock)
        self.answered += 1
        return super().getresponse(*args, **kwargs)


def _ack_at_once(sock) -> None:
    """Acknowledge the answer's first segment at once (Linux TCP_QUICKACK; not sticky, so
    set before every answer): a server with Nagle's algorithm on holds the body until the
    head is acknowledged, and a delayed ACK costs about 40 ms per answer
    (docs/performance.md, "Latency against common HTTP stacks")."""
    if sock is not None and _QUICKACK is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, _QUICKACK, 1)


_QUICKACK = getattr(socket, "TCP_QUICKACK", None)  # Linux only


class _WatchedHTTP(_Watched, urllib3_connection.HTTPConnection):
    pass


class _WatchedHTTPS(_Watched, urllib3_connection.HTTPSConnection):
    pass


class _Telling:
    """A pool whose broken answers say what broke (urllib3 says "Connection aborted.")."""

    def urlopen(self, *args, **kwargs):
        try:
            return super().urlopen(*args, **kwargs)
        except urllib3_errors.ProtocolError as error:
            exchange = _exchange()
            if exchange is None or exchange.past_deadline():
                raise  # the deadline's: the adapter says so
            raise exchange.broken(BrokenHead, error) from error


class _HTTPPool(_Telling, connectionpool.HTTPConnectionPool):
    ConnectionCls = _WatchedHTTP


class _HTTPSPool(_Telling, connectionpool.HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPS


WATCHED_POOLS = {"http": _HTTPPool, "https": _HTTPSPool}


def read_body(response, exchange: Exchange, max_bytes: int) -> bytes:
    """The decoded body, read in bounded pieces; past the deadline `ExchangeTimeout`, past
    `max_bytes` `AnswerTooLarge`, broken off `BrokenBody`. Each way the connection is
    closed."""
    exchange.phase = "reading the body"
    raw = response.raw
    body = bytearray()
    try:
        while chunk := raw.read1(READ_SIZE, decode_content=True):
            body += chunk
            if len(body) > max_bytes:
                raise _too_large(exchange, raw, response, max_bytes)
            if exchange.past_deadline():
                raise exchange.timeout_error()
        if exchange.expired:  # the watchdog's shutdown can look like a body's end
            raise exchange.timeout_error()
    except http_errors.RequestException:  # ours: an OSError too, so caught first
        response.close()
        body.clear()  # a failing test keeps its traceback, and with it this frame
        raise
    except (urllib3_errors.HTTPError, OSError) as error:
        response.close()
        body.clear()
        if exchange.past_deadline() or isinstance(error, urllib3_errors.ReadTimeoutError):
            raise exchange.timeout_error() from error
        if isinstance(error, urllib3_errors.DecodeError):
            raise http_errors.ContentDecodingError(error, request=exchange.request) from error
        raise exchange.broken(BrokenBody, error) from error
    except BaseException:  # the cap, the deadline, the end of the test: free the socket
        response.close()
        body.clear()
        raise
    return bytes(body)


def _too_large(exchange: Exchange, raw, response, max_bytes: int) -> AnswerTooLarge:
    encoding = response.headers.get("Content-Encoding") or "identity"
    error = AnswerTooLarge(
        f"the answer to {exchange.request.method} {exchange.request.path_url} is over "
        f"max_answer_bytes ({max_bytes} bytes) decoded (Content-Encoding: {encoding}; "
        f"{raw.tell()} byte(s) of body received on the wire); the rest was not read",
        request=exchange.request)
    error.exchange = exchange
    return error
