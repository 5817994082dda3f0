"""One HTTP/1.1 connection on the event loop: framing, keep-alive, timeouts, answers.

Requests on a connection are served one at a time, in order (pipelining is allowed);
every malformed request is answered with the documented JSON error body and a request id,
never a 5xx for something the client sent, and the connection is then closed because the
next request on it could not be found reliably.
"""

from __future__ import annotations

import asyncio
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
        self.transport: asyncio.Transport | None = None
        self.peer = "-"

    # --- asyncio callbacks ---

    def connection_made(self, transport) -> None:
        self.transport = transport
        peer = transport.get_extra_info("peername")
        self.peer = peer[0] if peer else "-"
        self.server.connections.add(self)
        self._arm()

    def connection_lost(self, exc) -> None:
        self.server.connections.discard(self)
        self._disarm()

    def pause_writing(self) -> None:  # a client that sends but does not read
        self.transport.pause_reading()

    def resume_writing(self) -> None:
        self.transport.resume_reading()

    def data_received(self, data: bytes) -> None:
        if self.lingering:
            self.drained += len(data)
            if self.drained >= LINGER_BYTES:
                self.transport.close()
            return
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
            self.transport.close()
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
            resp = self.app.handle(Request(head.method, head.target, head.headers, body,
                                           self.server.url))
            self._answer(head, resp)

    def _read_head(self) -> bool:
        """Parse a head off the buffer when it holds a whole one; False if not yet."""
        while self.buf[:2] == b"\r\n" or self.buf[:1] == b"\n":  # stray empty lines
            del self.buf[:2 if self.buf[:1] == b"\r" else 1]
        try:
            ends = head_end(self.buf)
            if ends is None:
                return False
            head = parse_head(bytes(self.buf[:ends[0]]))
        except HeadError as exc:
            status = exc.status if 400 <= exc.status < 500 else 400  # never a 5xx (505)
            self._refuse(error(status, INVALID_PARAMETER, str(exc)), None, exc.method,
                         exc.target)
            return False
        del self.buf[:ends[1]]
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
        resp = self.app.finish(resp, method, self.app.faults_for(target))
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
            self.transport.resume_reading()
            self._arm()
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
            self.transport.close()
            return
        self.transport.write_eof()
        self.transport.resume_reading()
        self.timer = asyncio.get_running_loop().call_later(LINGER_SECONDS, self.transport.close)

    # --- read timeout: bounds both a stalled request and an idle keep-alive connection ---

    def _arm(self) -> None:
        # one timer per connection, pushed back lazily: re-arming a loop timer for every
        # request cost more than parsing its head
        timeout = self.app.options.read_timeout
        if not timeout or timeout <= 0:
            return
        loop = asyncio.get_running_loop()
        self.deadline = loop.time() + timeout
        if self.timer is None:
            self.timer = loop.call_at(self.deadline, self._timed_out)

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
            self._refuse(BodyError("request body could not be read: TimeoutError").response)
        else:
            self.transport.close()

