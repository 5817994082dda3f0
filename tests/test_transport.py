"""The polite transport: a client-side rate limit, and 429 with Retry-After honoured."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from metastudio_conformance.transport import PoliteAdapter


class _Throttling(BaseHTTPRequestHandler):
    answers: list[int] = []
    seen: list[float] = []

    def do_GET(self):  # noqa: N802 - http.server's naming
        self.seen.append(time.monotonic())
        status = self.answers.pop(0) if self.answers else 200
        self.send_response(status)
        if status == 429:
            self.send_header("Retry-After", "1")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def throttling_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Throttling)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _Throttling.answers, _Throttling.seen = [], []
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def _session(adapter: PoliteAdapter) -> requests.Session:
    session = requests.Session()
    session.mount("http://", adapter)
    return session


def test_rate_limit_spaces_requests(throttling_server):
    session = _session(PoliteAdapter(per_second=10))
    for _ in range(6):
        session.get(throttling_server, timeout=5)
    gaps = [b - a for a, b in zip(_Throttling.seen, _Throttling.seen[1:], strict=False)]
    assert min(gaps) >= 0.08  # 10/s, with a little clock slack


def test_429_is_retried_after_the_servers_delay(throttling_server):
    _Throttling.answers = [429, 200]
    adapter = PoliteAdapter(per_second=None)
    response = _session(adapter).get(throttling_server, timeout=5)
    assert response.status_code == 200
    assert adapter.throttled == 1
    assert _Throttling.seen[1] - _Throttling.seen[0] >= 0.95


def test_429_is_not_waited_out_past_the_deadline(throttling_server):
    _Throttling.answers = [429, 200]
    adapter = PoliteAdapter(per_second=None, deadline=time.monotonic() + 0.2)
    response = _session(adapter).get(throttling_server, timeout=5)
    assert response.status_code == 429
    assert len(_Throttling.seen) == 1


class _Dripping(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        self.send_response(200)
        self.send_header("Content-Length", "1000")
        self.end_headers()
        for _ in range(1000):  # one byte every 0.05 s: every read is quick, the answer is not
            self.wfile.write(b"x")
            self.wfile.flush()
            time.sleep(0.05)

    def log_message(self, *args):
        pass


def test_a_dripping_answer_is_bounded_as_a_whole():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Dripping)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    session = _session(PoliteAdapter(per_second=None, answer_time=0.5))
    started = time.monotonic()
    with pytest.raises(requests.exceptions.ReadTimeout, match="did not complete within"):
        session.get(f"http://127.0.0.1:{server.server_address[1]}/", timeout=5)
    assert time.monotonic() - started < 3
    server.shutdown()


def test_answers_are_read_whole_when_in_time(throttling_server):
    response = _session(PoliteAdapter(per_second=None, answer_time=5)).get(
        throttling_server, timeout=5)
    assert response.status_code == 200 and response.content == b""
