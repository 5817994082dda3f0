"""The hostile catalogue against every operation the suite sends, mid-run (issue 18).

Each case is a real loopback server (`hostile_wire`, `hostile_answers`) answering every
request one hostile way; each operation is called through the real `ApiClient` on a
session mounted as `run_plugin.http_session` mounts it. What HTTP allows must be read
whole (no false alarm); what it does not must end within the exchange's deadline, in
bounded memory, as a `requests` error whose one line names the exchange and the cause.
"""

from __future__ import annotations

import contextlib
import json
import re
import time
import tracemalloc
from dataclasses import dataclass

import pytest
import requests

from metastudio_conformance import evidence
from metastudio_conformance.client import ApiClient
from metastudio_conformance.config import Settings
from metastudio_conformance.exchange import (
    DEFAULT_MAX_ANSWER_BYTES,
    AnswerTooLarge,
    BrokenBody,
    BrokenHead,
    ExchangeTimeout,
    cut_of,
)
from metastudio_conformance.recorder import Marks, classify
from metastudio_conformance.transport import PoliteAdapter
from tests import hostile_answers as answers
from tests import hostile_servers as hostile
from tests import hostile_wire as wire

DEADLINE = 1.0  # the run's request_timeout: each exchange's deadline
SLACK = 1.0
PEAK_LIMIT = 64 << 20  # traced Python memory, far under the run's 512 MiB
PROJECT = "0" * 31 + "1"
JOB = wire.JOB_ID

# operation -> how the suite calls it (client.py, jobs.py)
OPERATIONS = {
    "command": lambda api: api.command(JOB, {"command": "START"}),
    "delete": lambda api: api.delete(JOB),
    "show": lambda api: api.show(JOB),
    "list": lambda api: api.list_jobs(offset="0", limit="10"),
    "create": lambda api: api.create("n"),
    "control-seed": lambda api: api.seed("JOB_FINISH"),
    "control-reset": lambda api: api.request("POST", "/conformance/v1/reset"),
}


def _client(url: str) -> ApiClient:
    """The real client on a session mounted as the run mounts it (run_plugin.http_session)."""
    settings = Settings(target=url, project_id=PROJECT, token="t", request_timeout=DEADLINE)
    session = requests.Session()
    adapter = PoliteAdapter(None, None, answer_time=DEADLINE,
                            max_answer_bytes=DEFAULT_MAX_ANSWER_BYTES)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return ApiClient(settings, session)


@dataclass
class Measured:
    outcome: object  # what the operation returned, or the error it raised
    seconds: float  # of the last call
    peak: int  # traced bytes, the server's included
    request: hostile.Request | None  # the last one the server read
    api: ApiClient


def _measured(handle, operation: str, calls: int = 1) -> Measured:
    """Call `operation` `calls` times against `handle`, measuring the last call."""
    tracemalloc.start()
    try:
        with hostile.serving(handle) as listener:
            api = _client(listener.url)
            for _ in range(calls - 1):
                OPERATIONS[operation](api)  # a good exchange first, on the same connection
            started = time.monotonic()
            try:
                outcome = OPERATIONS[operation](api)
            except requests.RequestException as error:
                outcome = error
            seconds = time.monotonic() - started
            peak = tracemalloc.get_traced_memory()[1]
            last = listener.requests[-1] if listener.requests else None
    finally:
        tracemalloc.stop()
    return Measured(outcome, seconds, peak, last, api)


# Legal HTTP: read whole, the body as sent.
LEGAL = {
    "header-flood": wire.header_flood,
    "close-delimited": wire.close_delimited,
    "http-1.0": wire.http_10,
    "1xx-before-the-answer": wire.informational_first,
}


@pytest.mark.parametrize("operation", list(OPERATIONS))
@pytest.mark.parametrize("case", list(LEGAL))
def test_legal_answers_are_read_whole(case, operation):
    """Each of these is HTTP, so the exchange succeeds with the body as sent:
    - thousands of headers: RFC 9110 section 5.4 sets no limit on their number (the suite
      takes 10,000 lines and 1 MiB; http.client alone refuses a 101st);
    - no Content-Length and no chunks: the close ends the body (RFC 9112 section 6.3 #8);
    - HTTP/1.0: a 1.1 client accepts a 1.0 answer (RFC 9112 section 2.3);
    - 102 and 103 before the answer: a client MUST parse any 1xx answers before the final
      one (RFC 9110 section 15.2; http.client alone took the 102 for the answer)."""
    measured = _measured(hostile.handler(LEGAL[case]), operation)
    assert not isinstance(measured.outcome, Exception), f"false alarm: {measured.outcome}"
    status, body = wire.good_answer(measured.request)
    if operation == "control-seed":
        assert measured.outcome == JOB
    response = measured.api.transcript[-1].response
    assert f"{response.status_code} {response.reason}" == status
    assert response.json() == json.loads(body)
    if case == "header-flood":
        assert response.headers["X-Flood-4999"] == "4999"
    assert measured.seconds < DEADLINE + SLACK and measured.peak < PEAK_LIMIT, measured


BOMB_CASES = {f"{encoding}-bomb": answers.bomb(encoding, chunked=True)
              for encoding in answers.BOMBS}
# case -> (respond or handler, the error's type, what its line says)
CUT = {
    "trickled-body": (answers.trickled_body, ExchangeTimeout,
                      r"did not complete within 1 s .*; cut while reading the body"),
    "endless-chunks": (answers.endless_chunks, AnswerTooLarge,
                       r"is over max_answer_bytes \(8388608 bytes\) decoded \(Content-Encoding:"
                       r" identity"),
    **{name: (respond, AnswerTooLarge, r"is over max_answer_bytes \(8388608 bytes\) decoded "
              rf"\(Content-Encoding: {name.split('-')[0]}; \d+ byte")
       for name, respond in BOMB_CASES.items()},
    "endless-headers": (wire.endless_headers, BrokenHead,
                        r"failed: its head is too large \(over 10000 header lines"),
    "megabyte-header-line": (wire.megabyte_header_line, BrokenHead,
                             r"failed: its head is too large \(a line of its head over 65536 "
                             r"bytes"),
    "endless-1xx": (wire.endless_informational, BrokenHead,
                    r"failed: its head is too large \(over 10000 header lines, after \d+ "
                    r"interim 1xx answer"),
    "bad-chunk-size": (wire.bad_chunk_size, BrokenBody, r"failed: its chunked framing is broken"),
    "chunk-without-crlf": (wire.chunk_without_crlf, BrokenBody,
                           r"failed: its chunked framing is broken"),
    "short-chunk-then-close": (wire.short_chunk_then_close, BrokenBody,
                               r"failed: its chunked framing is broken"),
    "reset-mid-body": (wire.reset_mid_body, BrokenBody,
                       r"failed: the target reset the connection \(TCP RST\); while reading "
                       r"the body"),
    "stall-on-second-request": (None, ExchangeTimeout,
                                r"did not complete within 1 s .*; cut while waiting for the "
                                r"status line and headers, after 0 byte"),
}


def _handler(case: str):
    respond = CUT[case][0]
    return wire.stalls_on_second_request if respond is None else hostile.handler(respond)


def _kind(error: BaseException) -> type:
    """The suite's error class: requests wraps a broken head in a ConnectionError."""
    inner = error.args[0] if error.args else None
    return type(inner) if isinstance(inner, BrokenHead) else type(error)


@pytest.mark.parametrize("operation", list(OPERATIONS))
@pytest.mark.parametrize("case", list(CUT))
def test_hostile_answers_end_in_time_with_a_clear_line(case, operation):
    """None of these is an HTTP answer a client can use, so the exchange ends with a
    `requests` error, in time and in bounded memory:
    - a trickled body, a stall on a kept-alive connection's second request: no answer
      within the exchange's deadline (the run's request_timeout);
    - an endless chunked body, a decompression bomb: larger than max_answer_bytes;
    - endless headers, a 1 MiB header line, endless 1xx answers: a client MAY refuse
      what it will not process (RFC 9110 section 5.4); the suite's bounds (10,000 lines,
      64 KiB a line, 1 MiB in all) end them;
    - a chunk size that is not hex, chunk data without its CRLF, a chunk cut by the
      close: not the chunked coding (RFC 9112 section 7.1), the message is incomplete
      (RFC 9112 section 8);
    - a reset mid-body: the message is incomplete (RFC 9112 section 8)."""
    respond, kind, says = CUT[case]
    if case.endswith("-bomb") and not answers.encoder_available(case.split("-")[0]):
        pytest.skip(f"no {case.split('-')[0]} module installed: urllib3 neither asks for nor "
                    "decodes it")
    calls = 2 if respond is None else 1
    measured = _measured(_handler(case), operation, calls)
    error, request = measured.outcome, measured.request
    assert isinstance(error, requests.RequestException), f"not cut: {error!r}"
    assert _kind(error) is kind, repr(error)
    line = str(error)
    assert "\n" not in line and "Traceback" not in line, line
    assert f"{request.method} {request.path}" in line, line  # the exchange, named
    assert re.search(says, line), line
    assert cut_of(error) is not None  # the evidence has the exchange
    assert measured.seconds < DEADLINE + SLACK, measured.seconds
    assert measured.peak < PEAK_LIMIT, f"traced peak {measured.peak >> 20} MiB"


def _cut(handle, operation: str = "command") -> BaseException:
    error = _measured(handle, operation).outcome
    assert isinstance(error, requests.RequestException), error
    return error


def test_a_cut_exchange_shows_the_request_and_what_had_arrived():
    text = evidence.cut(_cut(hostile.handler(wire.reset_mid_body)))
    lines = text.splitlines()
    assert lines[0] == "Cut exchange:"
    assert re.fullmatch(rf"POST http://127\.0\.0\.1:\d+/v1/{PROJECT}/digital-human-training-"
                        rf"manage/user/jobs/{JOB}/command", lines[1]), lines[1]
    assert "  X-Auth-Token: [redacted]" in lines  # masked as the transcript masks it
    assert '  {"command": "START"}' in lines
    assert "-> 200 OK" in lines and "  X-Request-Id: r" in lines
    assert re.search(r"^  \d+ byte\(s\) arrived; the first: b'HTTP/1\.1 200 OK\\r\\n", text,
                     re.M), text
    assert '"job_id"' in text  # the half body that came before the reset


def test_a_cut_head_shows_that_no_status_line_and_headers_were_complete():
    text = evidence.cut(_cut(hostile.handler(wire.megabyte_header_line), "delete"))
    assert text.splitlines()[1].startswith("DELETE http://127.0.0.1:")
    assert "-> no complete status line and headers" in text
    assert re.search(r"the first: b'HTTP/1\.1 200 OK\\r\\n.*the last: b'a+'", text, re.S), text
    assert all(len(line) <= evidence.WIRE_LINE for line in text.splitlines())


def test_a_header_flood_shows_a_few_of_its_headers():
    def flood_then_reset(conn, listener, request):
        flood = "".join(f"X-Flood-{n}: {n}\r\n" for n in range(wire.FLOOD))
        conn.sendall(f"HTTP/1.1 200 OK\r\n{flood}Content-Length: 100\r\n\r\n{{".encode())
        listener.stop_event.wait(0.1)
        wire.reset_connection(conn)

    text = evidence.cut(_cut(hostile.handler(flood_then_reset), "show"))
    assert f"-> 200 OK ({wire.FLOOD} headers, the first {evidence.CUT_HEADERS} shown)" in text
    assert len(text.splitlines()) < 20, text


def test_a_cut_at_the_deadline_and_the_cap_carry_their_exchange():
    for handle in (wire.stalls_on_second_request, hostile.handler(answers.bomb("gzip", True))):
        with hostile.serving(handle) as listener:
            api = _client(listener.url)
            if handle is wire.stalls_on_second_request:
                api.show(JOB)
            with pytest.raises((ExchangeTimeout, AnswerTooLarge)) as caught:
                api.show(JOB)
        assert evidence.cut(caught.value).splitlines()[1].startswith("GET http://127.0.0.1:")


def test_the_test_record_keeps_the_line_then_the_cut_exchange():
    error = _cut(hostile.handler(wire.bad_chunk_size), "list")
    [(rid, status, text)] = classify(error, Marks(["DEL-01"], []))
    first, second, *rest = text.splitlines()
    assert (rid, status) == ("DEL-01", "error")
    assert first == f"network error: {error}"
    assert second == "Cut exchange:" and rest[0].startswith("GET http://127.0.0.1:")
    assert any("Transfer-Encoding: chunked" in line for line in rest)


def test_other_network_errors_are_recorded_as_before():
    [(_, _, text)] = classify(requests.ConnectionError("refused"), Marks(["DEL-01"], []))
    assert text == "network error: refused"


@pytest.mark.parametrize("handle", [hostile.handler(wire.reset_mid_body),
                                    hostile.handler(wire.endless_headers), None],
                         ids=["broken-body", "broken-head", "refused"])
def test_a_request_whose_answer_broke_off_is_counted_as_sent(handle):
    # results.json's requests_sent and cleanup_requests count it (run_plugin's hook)
    with contextlib.ExitStack() as stack:
        url = (stack.enter_context(hostile.closed_port()) if handle is None
               else stack.enter_context(hostile.serving(handle)).url)
        api = _client(url)
        counted = []
        api.session.get_adapter(url).unanswered.append(counted.append)
        with pytest.raises(requests.RequestException):
            api.show(JOB)
    assert len(counted) == (0 if handle is None else 1)
