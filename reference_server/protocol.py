"""One HTTP/1.1 connection on the event loop: framing, keep-alive, timeouts, answers.

Every connection is bounded in time and memory (README, "Limits"): a stall or an idle
keep-alive ends after read_timeout, a request trickled in after request_timeout, an
answer the client does not take after send_timeout; the head and body are capped.

Requests on a connection are served one at a time, in order (pipelining is allowed);
every malformed request is answered with the documented JSON error body and a request id,
never a 5xx for something the client sent, and the connection is then closed because the
next request on it could not be found reliably.
"""

from __future__ import annotations

import asyncio
import math
import sys
import time
from email.utils import formatdate
from http import HTTPStatus

from .app import Request
from .framing import BodyError, ChunkedReader, body_framing
from .responses import INVALID_PARAMETER, Response, error
from .wire import Head, HeadError, head_end, parse_head

SERVER = "MetaStudioReference/0.1"
LINGER_SECONDS = 0.5
LINGER_BYTES = 1024 * 1024
_PAUSE_ABOVE = 4 * 1024 * 1024  # unread input held while an answer waits
_REASONS = {s.value: s.phrase for s in HTTPStatus}
_date_cache: list = [0, ""]


def _date() -> str:
    now = int(time.time())
    if now != _date_cache[0]:  # formatting a date costs more than the rest of the head
        _date_cache[:] = [now, formatdate(now, usegmt=True)]
    return _date_cache[1]


class Connection(asyncio.Protocol):
    def __init__(self, server):
        self.server = server
        self.app = server.app
        self.buf = bytearray()
        self.head: Head | None = None
        self.framing: ChunkedReader | int = 0
        self.busy = False  # an answer is being held back (--delay-ms, random-slow)
        self.lingering = False  # answered with close: draining until the client closes
        self.drained = 0
        self.eof = False
        self.timer: asyncio.TimerHandle | None = None
        self.deadline = 0.0
        self.started: float | None = None  # when the request being read began to arrive
        self.last_active = 0.0  # for choosing the longest idle connection to close
        self.scanned = 0  # bytes of buf already searched for the head's end
        self.send_timer: asyncio.TimerHandle | None = None
        self.transport: asyncio.Transport | None = None
        self.peer = "-"

    # --- asyncio callbacks ---

    def connection_made(self, transport) -> None:
        self.transport = transport
        peer = transport.get_extra_info("peername")
        self.peer = peer[0] if peer else "-"
        self.last_active = asyncio.get_running_loop().time()
        if not self.server.admit(self):  # too many connections and none of them idle
            transport.abort()
            return
        self._arm()

    def connection_lost(self, exc) -> None:
        self.server.connections.discard(self)
        self._disarm()
        if self.send_timer is not None:
            self.send_timer.cancel()

    def pause_writing(self) -> None:  # a client that sends but does not read
        self.transport.pause_reading()
        timeout = self.app.options.send_timeout
        if timeout and self.send_timer is None:
            loop = asyncio.get_running_loop()
            self.send_timer = loop.call_later(timeout, self.transport.abort)

    def resume_writing(self) -> None:
        if self.send_timer is not None:
            self.send_timer.cancel()
            self.send_timer = None
        self.transport.resume_reading()

    def is_idle(self) -> bool:
        """Between requests with nothing unsent: closing it loses nobody an answer."""
        return (self.head is None and not self.buf and not self.busy and not self.lingering
                and self.transport is not None and not self.transport.is_closing()
                and not self.transport.get_write_buffer_size())

    def close(self) -> None:
        """Close once the answers are sent, but wait at most send_timeout for a client
        that stopped reading (transport.close alone would wait for it forever)."""
        if self.transport.is_closing():
            return
        unsent = self.transport.get_write_buffer_size()
        self.transport.close()
        timeout = self.app.options.send_timeout
        if unsent and timeout:
            asyncio.get_running_loop().call_later(timeout, self.transport.abort)

    def data_received(self, data: bytes) -> None:
        if self.lingering:
            self.drained += len(data)
            if self.drained >= LINGER_BYTES:
                self.close()
            return
        if self.started is None:  # the first byte of a request: its deadline starts
            self.started = asyncio.get_running_loop().time()
        self.buf += data
        if self.busy:
            if len(self.buf) > _PAUSE_ABOVE:
                self.transport.pause_reading()
            return
        self._arm()
        self._serve()

    def eof_received(self) -> bool:
        self.eof = True
        if self.lingering or not (self.head or self.busy):
            self.close()
        elif self.head is not None and not self.busy:  # the body was cut off
            self._refuse(BodyError("request body shorter than declared").response)
        return True  # keep the transport open to write the answer still due

    # --- serving ---

    def _serve(self) -> None:
        while not self.busy and not self.lingering and self.transport is not None:
            if self.head is None and not self._read_head():
                return
            body = self._read_body()
            if body is None:
                return
            head, self.head = self.head, None
            self._request_read()
            resp = self.app.handle(Request(head.method, head.target, head.headers, body,
                                           self.server.url))
            self._answer(head, resp)

    def _read_head(self) -> bool:
        """Parse a head off the buffer when it holds a whole one; False if not yet."""
        while self.buf[:2] == b"\r\n" or self.buf[:1] == b"\n":  # stray empty lines
            del self.buf[:2 if self.buf[:1] == b"\r" else 1]
            self.scanned = 0
        try:
            ends = head_end(self.buf, self.scanned)
            if ends is None:  # next time search only the new bytes: a trickled head is cheap
                self.scanned = max(0, len(self.buf) - 3)
                return False
            head = parse_head(bytes(self.buf[:ends[0]]))
        except HeadError as exc:
            status = exc.status if 400 <= exc.status < 500 else 400  # never a 5xx (505)
            self._refuse(error(status, INVALID_PARAMETER, str(exc)), None, exc.method,
                         exc.target)
            return False
        del self.buf[:ends[1]]
        self.scanned = 0
        try:
            self.framing = body_framing(head.headers, self.app.options.max_body)
        except BodyError as exc:
            self._refuse(exc.response, head)
            return False
        self.head = head
        if head.expects_continue and self.framing:
            self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        return True

    def _read_body(self) -> bytes | None:
        """The body once the buffer holds all of it; None until then (or when refused)."""
        framing = self.framing
        if isinstance(framing, ChunkedReader):
            try:
                del self.buf[:framing.feed(self.buf)]
            except BodyError as exc:
                self._refuse(exc.response)
                return None
            body = framing.body
        elif len(self.buf) >= framing:
            body = bytes(self.buf[:framing])
            del self.buf[:framing]
        else:
            body = None
        if body is None and self.eof:
            self._refuse(BodyError("request body shorter than declared").response)
        return body

    def _refuse(self, resp: Response, head: Head | None = None, method: str = "",
                target: str = "") -> None:
        """Answer a request that cannot be served (its head or framing is broken), then
        close: the next request on the connection could not be found reliably."""
        head = head or self.head
        if head is not None:
            method, target = head.method, head.target
        resp = self.app.finish(resp, method, self.app.faults_for(target), target)
        resp.close = True
        self.head = None
        self._answer(head, resp, method)

    def _answer(self, head: Head | None, resp: Response, method: str = "") -> None:
        delay = self.app.options.delay_ms / 1000 + resp.delay
        if delay > 0:
            self.busy = True
            self._disarm()
            asyncio.get_running_loop().call_later(delay, self._send_later, head, resp, method)
        else:
            self._send(head, resp, method)

    def _send_later(self, head: Head | None, resp: Response, method: str) -> None:
        self.busy = False
        if self.transport is None or self.transport.is_closing():
            return
        self._send(head, resp, method)
        if not self.lingering:
            self._request_read()  # a request sent during the delay is not charged for it
            self.transport.resume_reading()
            self._serve()

    def _send(self, head: Head | None, resp: Response, method: str = "") -> None:
        method = head.method if head else method
        if head is None or head.version < (1, 0) or self.eof:
            resp.close = True  # an HTTP/0.9 request gets a status line and headers anyway
        body = resp.encode()
        lines = [f"HTTP/1.1 {resp.status} {_REASONS.get(resp.status, '')}",
                 f"Server: {SERVER}", f"Date: {_date()}"]
        lines += [f"{name}: {value}" for name, value in resp.headers.items()]
        if resp.has_body:
            lines.append(f"Content-Type: {resp.content_type}")
        if resp.status != 204:
            lines.append(f"Content-Length: {len(body)}")
        if resp.close:
            lines.append("Connection: close")
        out = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", errors="replace")
        self.transport.write(out + body if body and method != "HEAD" else out)
        self.last_active = asyncio.get_running_loop().time()
        if self.app.options.access_log:
            line = head.request_line if head else method
            sys.stderr.write(f'{self.peer} "{line}" {resp.status} -\n')
        if resp.close or head is None or not head.keep_alive:
            self._linger()

    def _linger(self) -> None:
        """Closing with unread input makes the kernel send RST, which can destroy the
        answer before the client reads it (a refused huge body, a 414): send FIN first,
        then drain a bounded amount for a short while so the answer survives."""
        self.lingering = True
        self._disarm()
        self.buf.clear()
        if self.eof or not self.transport.can_write_eof():
            self.close()
            return
        self.transport.write_eof()
        self.transport.resume_reading()
        self.timer = asyncio.get_running_loop().call_later(LINGER_SECONDS, self.close)

    # --- timeouts: a stalled or trickled request and an idle keep-alive connection ---

    def _request_read(self) -> None:
        """The current request is read: the next one's deadline starts with its first byte."""
        self.started = asyncio.get_running_loop().time() if self.buf else None
        self._arm()  # the deadline may have been this request's own: move it on

    def _arm(self) -> None:
        # one timer per connection, pushed back lazily: re-arming a loop timer for every
        # request cost more than parsing its head
        options = self.app.options
        loop = asyncio.get_running_loop()
        deadline = loop.time() + options.read_timeout if options.read_timeout else math.inf
        if self.started is not None and options.request_timeout:
            deadline = min(deadline, self.started + options.request_timeout)
        if deadline == math.inf:
            return
        self.deadline = deadline
        if self.timer is not None and deadline < self.timer.when():  # the deadline came closer
            self._disarm()
        if self.timer is None:
            self.timer = loop.call_at(deadline, self._timed_out)

    def _disarm(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None

    def _timed_out(self) -> None:
        self.timer = None
        loop = asyncio.get_running_loop()
        if self.busy or self.lingering:
            return
        if loop.time() < self.deadline:  # there was activity since: wait for the rest
            self.timer = loop.call_at(self.deadline, self._timed_out)
        elif self.head is not None:  # mid-body: answer, as for a cut-off body
            self._refuse(BodyError(self._timeout_reason(loop.time())).response)
        else:  # idle, or a head that never ended: no request to answer
            self.close()

    def _timeout_reason(self, now: float) -> str:
        limit = self.app.options.request_timeout
        if self.started is not None and limit and now >= self.started + limit:
            return f"request not complete within {limit:g} seconds (request_timeout)"
        return "request body could not be read: TimeoutError"
