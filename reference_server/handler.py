"""The socket side: every method, every malformed request, one JSON error shape.

http.server answers some requests itself (bad request line, unknown method, HTTP/2.0
version with 505, oversized headers) with an HTML page and no X-Request-Id. Those paths
are redirected here so that every answer has the documented error body, a request id,
and never a 5xx status for something the client sent.
"""

from __future__ import annotations

import socket
import sys
import time
from http.server import BaseHTTPRequestHandler

from .app import Request
from .framing import BodyError, declared_length, read_body
from .responses import INVALID_PARAMETER, Response, error


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive; hence every answer has a Content-Length
    server_version = "MetaStudioReference/0.1"

    def version_string(self) -> str:
        return self.server_version

    def setup(self) -> None:
        # bounds both a stalled body and an idle keep-alive connection
        self.timeout = self.server.app.options.read_timeout
        super().setup()
        # headers and body leave in two writes; without this, Nagle plus the client's
        # delayed ACK adds ~40 ms to every answer
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def __getattr__(self, name: str):
        # http.server looks up do_<METHOD>; any method name, even garbage, lands here so it
        # gets the API's own "method not allowed" answer rather than an HTML 501
        if name.startswith("do_"):
            return self._serve
        raise AttributeError(name)

    def _serve(self) -> None:
        app = self.server.app
        try:
            body = read_body(self.rfile, self.headers, app.options.max_body)
        except BodyError as exc:
            self._send(app.finish(exc.response, self.command, app.faults_for(self.path)))
            return
        self._send(app.handle(Request(self.command, self.path, self.headers, body,
                                      self.server.url)))

    def handle_one_request(self) -> None:
        self.path = ""  # an unparseable request line must not inherit the previous path
        super().handle_one_request()

    def handle_expect_100(self) -> bool:
        # do not invite a body we are going to refuse anyway
        try:
            declared_length(self.headers, self.server.app.options.max_body)
        except BodyError:
            return True
        return super().handle_expect_100()

    def send_error(self, code: int, message: str | None = None, explain: str | None = None):
        status = code if 400 <= code < 500 else 400  # a client's bad bytes are never a 5xx
        resp = error(status, INVALID_PARAMETER, message or "malformed request", close=True)
        app = self.server.app
        self._send(app.finish(resp, self.command or "", app.faults_for(self.path)))

    def _send(self, resp: Response) -> None:
        if self.request_version in ("HTTP/0.9", ""):
            # answer with a status line and headers anyway, then close
            self.request_version = "HTTP/1.0"
            resp.close = True
        body = resp.encode()
        delay_ms = self.server.app.options.delay_ms
        if delay_ms:
            time.sleep(delay_ms / 1000)
        try:
            self.send_response(resp.status)
            for name, value in resp.headers.items():
                self.send_header(name, value)
            if resp.has_body:
                self.send_header("Content-Type", resp.content_type)
            if resp.status != 204:
                self.send_header("Content-Length", str(len(body)))
            if resp.close:
                self.send_header("Connection", "close")
            self.end_headers()
            if body and self.command != "HEAD":
                self.wfile.write(body)
            self.wfile.flush()
        except OSError:  # the client went away; nothing left to answer
            self.close_connection = True
        if resp.close:
            self.close_connection = True

    def log_message(self, format: str, *args) -> None:
        # quiet by default: a suite that pipes stderr without reading it must not block us
        if self.server.app.options.access_log:
            sys.stderr.write(f"{self.address_string()} {format % args}\n")
