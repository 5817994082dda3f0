"""The polite transport: a client-side rate limit, and 429 with Retry-After honoured."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from metastudio_conformance.transport import PoliteAdapter, RunSession


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


def test_the_run_session_reads_the_environment_once_per_host(monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.test:3128")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ca.pem")
    reads = []
    real = requests.sessions.get_environ_proxies
    monkeypatch.setattr(requests.sessions, "get_environ_proxies",
                        lambda *a, **k: reads.append(a[0]) or real(*a, **k))
    session = RunSession()
    for _ in range(3):
        staging = session.merge_environment_settings("https://staging.test/v1/x", {}, None,
                                                      True, None)
        loopback = session.merge_environment_settings("https://127.0.0.1:8443/v1/y", {},
                                                      None, True, None)
    # what requests itself decides: the proxy, no_proxy honoured, the CA bundle
    assert staging["proxies"]["https"] == "http://proxy.test:3128"
    assert "https" not in loopback["proxies"]
    assert staging["verify"] == loopback["verify"] == "/etc/ca.pem"
    assert reads == ["https://staging.test/v1/x", "https://127.0.0.1:8443/v1/y"]
    staging["proxies"]["https"] = "changed"  # a caller's change stays its own
    again = session.merge_environment_settings("https://staging.test/v1/z", {}, None, True, None)
    assert again["proxies"]["https"] == "http://proxy.test:3128"
