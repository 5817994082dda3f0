"""The reference server as a target for others: no client holds it, fills its memory or
shuts others out (README, "Limits"). Each case runs against a real server on loopback."""

from __future__ import annotations

import contextlib
import http.client
import itertools
import json
import socket
import threading
import time
import tracemalloc

import pytest

from metastudio_conformance.reference_server import start_server, stop_server
from tests.reference_helpers import OPTIONS, TOKEN, Api

COMMAND = "/v1/" + "0" * 31 + "1" + "/digital-human-training-manage/user/jobs/x/command"


@pytest.fixture
def serve():
    """Start a server with the given limits; every one started is stopped afterwards."""
    started = []

    def start(**limits):
        srv, thread = start_server(**{**OPTIONS, **limits})
        started.append((srv, thread))
        return srv

    yield start
    for srv, thread in started:
        stop_server(srv, thread)


def connect(srv, timeout: float = 5) -> socket.socket:
    return socket.create_connection(srv.server_address[:2], timeout=timeout)


def head(extra: str = "", method: str = "POST") -> bytes:
    return (f"{method} {COMMAND} HTTP/1.1\r\nHost: x\r\nX-Auth-Token: {TOKEN}\r\n"
            f"{extra}\r\n").encode()


def answer(sock: socket.socket) -> tuple[http.client.HTTPResponse, bytes]:
    resp = http.client.HTTPResponse(sock, method="POST")
    resp.begin()
    return resp, resp.read()


def assert_refused(resp, body: bytes, status: int = 400, says: str = "") -> None:
    """The documented error body and a request id, and the connection closed after it."""
    assert resp.status == status, body
    assert resp.getheader("X-Request-Id") and resp.getheader("Connection") == "close"
    parsed = json.loads(body)
    assert set(parsed) == {"error_code", "error_msg"} and says in parsed["error_msg"]


def closed_by_server(sock: socket.socket) -> bool:
    """True when the server closed (EOF or reset) before the socket's timeout."""
    try:
        while sock.recv(65536):
            pass
    except ConnectionResetError:
        pass
    except TimeoutError:
        return False
    return True


def trickle(sock: socket.socket, pieces, every: float) -> threading.Thread:
    """Send one piece every `every` seconds in the background until the server closes."""
    def send():
        try:
            for piece in pieces:
                sock.sendall(piece)
                time.sleep(every)
        except OSError:
            pass

    thread = threading.Thread(target=send, daemon=True)
    thread.start()
    return thread


def forever(first: bytes, then: bytes):
    """`first`, then `then` again and again (lazily: it never ends)."""
    return itertools.chain([first], itertools.repeat(then))


def wait_until(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


# --- request bodies ---

def test_the_body_cap_is_an_option(serve):
    srv = serve(max_body=1000)
    with connect(srv) as sock:
        sock.sendall(head("Content-Length: 1001\r\n"))
        assert_refused(*answer(sock), says="larger than 1000 bytes")
    with connect(srv) as sock:  # at the cap the body is read, and judged as JSON
        sock.sendall(head("Content-Length: 1000\r\n") + b"{" * 1000)
        resp, body = answer(sock)
        assert resp.status == 400 and json.loads(body)["error_code"] == "MSS.10000002"


def test_an_endless_chunked_body_is_refused_at_the_cap(serve):
    srv = serve(max_body=64 * 1024)
    with connect(srv) as sock:
        started = time.monotonic()
        trickle(sock, forever(head("Transfer-Encoding: chunked\r\n"),
                             b"1000\r\n" + b"x" * 4096 + b"\r\n"), every=0)
        assert_refused(*answer(sock), says="larger than 65536 bytes")
        assert time.monotonic() - started < 2
    assert wait_until(lambda: not srv.connections, 3)


@pytest.mark.parametrize("framing, piece", [("Content-Length: 1000000\r\n", b"{"),
                                            ("Transfer-Encoding: chunked\r\n", b"1\r\nx\r\n")],
                         ids=["content-length", "chunked"])
def test_a_body_trickled_forever_meets_the_request_deadline(serve, framing, piece):
    srv = serve(read_timeout=5, request_timeout=1)
    with connect(srv) as sock:
        started = time.monotonic()
        trickle(sock, forever(head(framing), piece), every=0.1)  # never stalls 5 s
        assert_refused(*answer(sock), says="not complete within 1 seconds")
        assert 0.9 < time.monotonic() - started < 3
    assert wait_until(lambda: not srv.connections, 3)


def test_a_head_trickled_forever_is_closed_at_the_request_deadline(serve):
    srv = serve(read_timeout=5, request_timeout=1)
    with connect(srv) as sock:
        started = time.monotonic()
        trickle(sock, forever(head()[:-2], b"X-Drip: 1\r\n"), every=0.1)
        assert closed_by_server(sock) and time.monotonic() - started < 3


def test_the_request_deadline_does_not_cut_a_kept_alive_connection(serve):
    srv = serve(read_timeout=5, request_timeout=1)
    with connect(srv) as sock:
        for _ in range(3):  # idle longer than request_timeout between requests
            sock.sendall(head("Content-Length: 2\r\n") + b"{}")
            resp, body = answer(sock)
            assert resp.status == 400 and resp.getheader("Connection") is None, body
            time.sleep(1.2)
        sock.sendall(head("Content-Length: 2\r\n") + b"{}")
        assert answer(sock)[0].status == 400


# --- header floods ---

@pytest.mark.parametrize("flood", [
    "".join(f"X-Flood-{n}: {n}\r\n" for n in range(5000)),  # thousands of header lines
    "X-Big: " + "a" * (1024 * 1024) + "\r\n"],  # a header line of a megabyte
    ids=["5000-header-lines", "1-MiB-header-line"])
def test_header_floods_are_refused_quickly(serve, flood):
    srv = serve()
    request = head(flood)
    tracemalloc.start()  # the server runs in this process: its allocations count too
    try:
        with connect(srv) as sock:
            started = time.monotonic()
            trickle(sock, [request], every=0)
            assert_refused(*answer(sock), status=431)
            assert time.monotonic() - started < 2
        assert wait_until(lambda: not srv.connections, 3)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 3 * 1024 * 1024  # the head is cut at 256 KiB, never read whole
    assert Api(srv.url).seed("JOB_FINISH")


# --- slow readers ---

def test_a_client_that_never_reads_is_dropped_after_the_send_timeout(serve):
    srv = serve(send_timeout=1, read_timeout=30)
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # fills fast, never read
    sock.settimeout(0.5)
    sock.connect(srv.server_address[:2])
    with sock:
        started = time.monotonic()
        trickle(sock, forever(b"", b"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n" * 100), every=0)
        assert wait_until(lambda: srv.connections, 2)
        assert wait_until(lambda: not srv.connections, 10)
        assert time.monotonic() - started < 10
        assert Api(srv.url).seed("JOB_FINISH")


# --- many connections ---

def test_500_idle_connections_neither_block_others_nor_stay(serve):
    srv = serve(read_timeout=1.5)
    with idle_connections(srv, 500) as idle:
        assert wait_until(lambda: len(srv.connections) >= 500, 3)
        assert _seeds_at_once(srv)
        assert wait_until(lambda: not srv.connections, 5)  # the idle timeout closed them
        assert all(closed_by_server(sock) for sock in idle[:20])


def test_past_max_connections_the_longest_idle_makes_room(serve):
    srv = serve(max_connections=50)
    with idle_connections(srv, 80) as idle:
        assert wait_until(lambda: len(srv.connections) <= 50, 3)
        assert _seeds_at_once(srv) and len(srv.connections) <= 50
        idle[0].settimeout(2)
        assert closed_by_server(idle[0])  # the oldest went first
        newest = idle[-1]
        newest.sendall(head("Content-Length: 2\r\n") + b"{}")
        assert answer(newest)[0].status == 400


@contextlib.contextmanager
def idle_connections(srv, count: int):
    """`count` open connections that send nothing, closed on the way out."""
    idle = [connect(srv, timeout=5) for _ in range(count)]
    try:
        yield idle
    finally:
        for sock in idle:
            sock.close()


def _seeds_at_once(srv) -> bool:
    """A seed through the control interface answers within a second."""
    started = time.monotonic()
    return bool(Api(srv.url).seed("JOB_FINISH")) and time.monotonic() - started < 1


def test_when_no_connection_is_idle_the_newcomer_is_closed(serve):
    srv = serve(max_connections=5)
    busy = [connect(srv) for _ in range(5)]
    try:
        for sock in busy:  # each mid-request: closing one would lose its answer
            sock.sendall(head("Content-Length: 2\r\n") + b"{")
        assert wait_until(lambda: [c.head is not None for c in list(srv.connections)]
                          == [True] * 5, 3)
        with connect(srv, timeout=2) as newcomer:
            assert closed_by_server(newcomer)
        for sock in busy:  # the five are still served
            sock.sendall(b"}")
            assert answer(sock)[0].status == 400
    finally:
        for sock in busy:
            sock.close()
