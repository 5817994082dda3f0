"""Hostile answers at the wire, for `tests/hostile_servers.py`'s listeners: headers
(floods, a megabyte line, no end), chunk framing broken three ways, a reset mid-body, a
body ended by closing, HTTP/1.0, 1xx answers (a few, or no end), and a kept-alive
connection that stalls on its second request.

Each `respond(conn, listener, request)` answers one request (`hostile_servers.handler`
makes it a handler); `stalls_on_second_request` is a handler itself. The good part of
an answer is `good_answer`: what a well-behaved target would send for that request."""

from __future__ import annotations

import json
import socket
import struct

from tests.hostile_servers import CONTROL_PREFIX, read_request

JOB_ID = "0123456789abcdef0123456789abcdef"
FLOOD = 5000  # headers in a flood: thousands, yet within the suite's bounds
INFORMATIONAL = (b"HTTP/1.1 102 Processing\r\n\r\n"
                 b"HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n")


def good_answer(request) -> tuple[str, bytes]:
    """The status and JSON body a target would give `request`: 201 and a job id from the
    control interface, 200 and a body fit for Show, List and Create elsewhere."""
    if request.method == "POST" and request.path.startswith(CONTROL_PREFIX):
        return "201 Created", json.dumps({"job_id": JOB_ID}).encode()
    return "200 OK", json.dumps({"job_id": JOB_ID, "state": "JOB_FINISH", "count": 0,
                                 "jobs": []}).encode()


def _head(status: str, *fields: str, version: str = "HTTP/1.1") -> bytes:
    lines = [f"{version} {status}", "Content-Type: application/json", "X-Request-Id: r",
             *fields]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _sized(request, *fields: str, version: str = "HTTP/1.1") -> bytes:
    status, body = good_answer(request)
    return _head(status, f"Content-Length: {len(body)}", *fields, version=version) + body


def reset_connection(conn: socket.socket) -> None:
    """Make the handler's close() an abort: SO_LINGER 0 sends RST, not FIN."""
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


# Legal HTTP: the suite must read these whole (RFC 9110, RFC 9112).
def header_flood(conn, listener, request) -> None:
    """FLOOD headers before a good body: no limit in RFC 9110 section 5.4."""
    flood = [f"X-Flood-{n}: {n}" for n in range(FLOOD)]
    conn.sendall(_sized(request, *flood, "Connection: close"))


def close_delimited(conn, listener, request) -> None:
    """No Content-Length, no chunks: the body ends when the connection closes (RFC 9112
    section 6.3, rule 8)."""
    status, body = good_answer(request)
    conn.sendall(_head(status, "Connection: close") + body)


def http_10(conn, listener, request) -> None:
    """An HTTP/1.0 answer, its body ended by the close (RFC 9112 section 2.3: a 1.1
    client accepts a 1.0 answer)."""
    status, body = good_answer(request)
    conn.sendall(_head(status, version="HTTP/1.0") + body)


def informational_first(conn, listener, request) -> None:
    """102 and 103 before the answer: a client MUST parse them (RFC 9110 section 15.2)."""
    conn.sendall(INFORMATIONAL * 3 + _sized(request, "Connection: close"))


# Not HTTP, or never ending: the suite must end these with a clear line.
def endless_headers(conn, listener, request) -> None:
    """Header lines with no end: the header section never finishes."""
    conn.sendall(b"HTTP/1.1 200 OK\r\n")
    lines = b"".join(b"X-Flood-%d: %d\r\n" % (n, n) for n in range(1000))
    while not listener.stop_event.is_set():
        conn.sendall(lines)


def megabyte_header_line(conn, listener, request) -> None:
    """One header line of a megabyte before a good body."""
    conn.sendall(_sized(request, "X-Big: " + "a" * (1 << 20), "Connection: close"))


def endless_informational(conn, listener, request) -> None:
    """1xx answers with no final answer after them."""
    while not listener.stop_event.is_set():
        conn.sendall(INFORMATIONAL * 100)


def _chunked_head(request) -> tuple[bytes, bytes]:
    status, body = good_answer(request)
    return _head(status, "Transfer-Encoding: chunked"), body


def bad_chunk_size(conn, listener, request) -> None:
    """A chunk size line that is not hex (RFC 9112 section 7.1: chunk-size = 1*HEXDIG)."""
    head, body = _chunked_head(request)
    conn.sendall(head + b"4\r\n" + body[:4] + b"\r\nzz\r\n" + body[4:] + b"\r\n0\r\n\r\n")


def chunk_without_crlf(conn, listener, request) -> None:
    """Chunk data not followed by its CRLF: the next size line is read out of the data."""
    head, body = _chunked_head(request)
    conn.sendall(head + b"%x\r\n" % 4 + body[:4] + b"%x\r\n" % (len(body) - 4) + body[4:]
                 + b"\r\n0\r\n\r\n")


def short_chunk_then_close(conn, listener, request) -> None:
    """A chunk announced larger than the data sent, then the connection closed."""
    head, body = _chunked_head(request)
    conn.sendall(head + b"%x\r\n" % (len(body) + 4096) + body)


def reset_mid_body(conn, listener, request) -> None:
    """Half of a Content-Length body, then a reset (RST), not a close."""
    status, body = good_answer(request)
    conn.sendall(_head(status, f"Content-Length: {len(body)}") + body[: len(body) // 2])
    listener.stop_event.wait(0.1)  # let the half arrive first
    reset_connection(conn)


def stalls_after_answering(conn, listener, request) -> None:
    """A good kept-alive answer, then the next request on that connection is read and
    never answered."""
    conn.sendall(_sized(request))
    read_request(conn, listener)
    listener.stop_event.wait()


def stalls_on_second_request(conn, listener) -> None:
    """A handler: `stalls_after_answering` from a connection's first request on."""
    stalls_after_answering(conn, listener, read_request(conn, listener))
