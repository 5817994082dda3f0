"""Every exchange on the run's session is bounded (conformance/exchange.py): one deadline
for connecting, sending and the whole answer, and a cap on the answer after decoding.
Each case is a real loopback server behind the adapter, mounted as the run mounts it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from pathlib import Path

import pytest
import requests
import schemathesis

from metastudio_conformance.exchange import AnswerTooLarge, ExchangeTimeout, cut_of
from metastudio_conformance.transport import PoliteAdapter, grace_for
from tests import hostile_answers as answers
from tests import hostile_servers as hostile
from tests import hostile_wire as wire
from tests.conftest import CliResult

DEADLINE = 1.5  # seconds, the adapter's answer_time (the run's request_timeout)
SLACK = 1.0
CAP = 1 << 20  # max_answer_bytes: 1 MiB


def _session() -> requests.Session:
    session = requests.Session()
    adapter = PoliteAdapter(None, answer_time=DEADLINE, max_answer_bytes=CAP)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def _get(handle, path: str = "/v1/p/jobs/j?x=1") -> tuple[BaseException, float]:
    """What a GET ends with against `handle`, and how long it took."""
    with hostile.serving(handle) as listener:
        started = time.monotonic()
        with pytest.raises(requests.RequestException) as caught:
            _session().get(listener.url + path, timeout=DEADLINE * 4)
        return caught.value, time.monotonic() - started


def test_a_trickled_status_line_and_headers_are_cut_at_the_deadline():
    # one byte every 0.5 s: no single read ever waits long enough to time out
    error, seconds = _get(hostile.slow_drip)
    assert seconds < DEADLINE + SLACK, seconds
    assert isinstance(error, ExchangeTimeout)
    assert isinstance(error, requests.exceptions.Timeout)
    assert re.fullmatch(r"GET /v1/p/jobs/j\?x=1 did not complete within 1\.5 s \(the deadline "
                        r"for connecting, sending and the whole answer\); cut while waiting "
                        r"for the status line and headers, after [1-9]\d* byte\(s\) had "
                        r"arrived", str(error)), str(error)


def test_a_trickled_body_is_cut_at_the_deadline():
    error, seconds = _get(hostile.handler(answers.trickled_body))
    assert seconds < DEADLINE + SLACK, seconds
    assert isinstance(error, ExchangeTimeout)
    assert "cut while reading the body, after " in str(error)
    arrived = int(re.search(r"after (\d+) byte", str(error)).group(1))
    assert arrived > 70  # the head, and about a body byte per 0.1 s


def test_a_kept_alive_connection_is_watched_on_its_second_exchange():
    with hostile.serving(answers.keeps_alive_then_trickles) as listener:
        session = _session()
        assert session.get(listener.url + "/").status_code == 200
        started = time.monotonic()
        with pytest.raises(ExchangeTimeout):
            session.get(listener.url + "/other", timeout=DEADLINE * 4)
        assert len(listener.requests) == 2  # both on one connection
    assert time.monotonic() - started < DEADLINE + SLACK


def test_an_endless_chunked_body_stops_at_the_cap():
    error, seconds = _get(hostile.handler(answers.endless_chunks))
    assert seconds < DEADLINE + SLACK, seconds
    assert isinstance(error, AnswerTooLarge)
    assert re.fullmatch(r"the answer to GET /v1/p/jobs/j\?x=1 is over max_answer_bytes "
                        r"\(1048576 bytes\) decoded \(Content-Encoding: identity; \d+ byte\(s\) "
                        r"of body received on the wire\); the rest was not read", str(error))


@pytest.mark.parametrize("chunked", [True, False], ids=["chunked", "until-close"])
@pytest.mark.parametrize("encoding", list(answers.BOMBS))
def test_a_decompression_bomb_stops_at_the_cap_without_inflating_it(encoding, chunked):
    if not answers.encoder_available(encoding):
        pytest.skip(f"no {encoding} module installed: urllib3 neither asks for nor decodes it")
    tracemalloc.start()
    try:
        error, seconds = _get(hostile.handler(answers.bomb(encoding, chunked)))
        kept, peak = tracemalloc.get_traced_memory()  # `error` and its traceback still alive
    finally:
        tracemalloc.stop()
    # A failing test keeps its traceback: it must not keep the capped body (a whole run
    # against a bomb peaked at 1.7 GB when it did).
    assert kept < CAP // 4, kept
    assert isinstance(error, AnswerTooLarge), repr(error)
    assert seconds < DEADLINE + SLACK, seconds
    wire = int(re.search(r"; (\d+) byte\(s\) of body received on the wire", str(error)).group(1))
    assert 0 < wire < CAP  # a few KiB of bomb: far from the 4 GiB it inflates to
    assert f"over max_answer_bytes ({CAP} bytes) decoded (Content-Encoding: {encoding};" in str(
        error)
    assert peak < 2 * CAP + (1 << 20), peak  # the cap, twice at most, and the server's block


def test_answers_within_both_bounds_are_read_whole():
    body = b'{"ok": true}'

    def fine(conn, listener):
        hostile.read_request(conn, listener)
        conn.sendall(hostile.answer("200 OK", "application/json", body))

    with hostile.serving(fine) as listener:
        response = _session().get(listener.url + "/", stream=True)  # as schemathesis asks
        assert response.content == body and response.json() == {"ok": True}


@pytest.mark.parametrize("handle", [hostile.handler(answers.bomb("gzip", False)),
                                    hostile.slow_drip, hostile.handler(wire.reset_mid_body),
                                    hostile.handler(wire.endless_headers)],
                         ids=["gzip-bomb", "trickled-head", "reset-mid-body", "header-flood"])
def test_schemathesis_calls_on_the_runs_session_are_bounded(handle):
    # case.call asks the session for a stream, then reads `.content`: the adapter's read
    schema = schemathesis.openapi.from_dict({
        "openapi": "3.0.3", "info": {"title": "t", "version": "1"},
        "paths": {"/jobs": {"get": {"responses": {"200": {"description": "ok"}}}}}})
    case = schema["/jobs"]["GET"].Case()
    with hostile.serving(handle) as listener:
        started = time.monotonic()
        with pytest.raises(requests.RequestException) as caught:
            case.call(base_url=listener.url, session=_session(), timeout=DEADLINE * 4)
    assert time.monotonic() - started < DEADLINE + SLACK
    assert str(caught.value).startswith(("the answer to GET /jobs is over max_answer_bytes",
                                         "GET /jobs did not complete within 1.5 s",
                                         "the answer to GET /jobs failed: "))
    assert cut_of(caught.value) is not None  # the test's evidence gets the exchange


PEAK_RSS_LIMIT = 512 << 20  # issue 18: the CLI stays under 512 MiB whatever the target


def _run_measured(args: list[str], report_dir: Path, env: dict,
                  timeout: float) -> tuple[CliResult, int]:
    """`run_cli`, and the CLI's peak RSS in bytes (os.wait4: this child and its own)."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("METASTUDIO_")}
    report_dir.parent.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "metastudio_conformance.cli", *args,
               "--report-dir", str(report_dir)]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        process = subprocess.Popen(command, stdout=out, stderr=err, env=environ | env,
                                   cwd=report_dir.parent)
        timer = threading.Timer(timeout, process.kill)
        timer.start()
        try:
            _, status, usage = os.wait4(process.pid, 0)
        finally:
            timer.cancel()
        process.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        out.seek(0)
        err.seek(0)
        result = CliResult(process.returncode, out.read().decode(), err.read().decode(),
                           report_dir)
    return result, usage.ru_maxrss * 1024  # Linux counts it in KiB


# case -> (what the target does past its preflight, what the clear line says)
RUN_CASES = {
    "gzip-bomb": (answers.bomb("gzip", True),
                  r"is over max_answer_bytes \(8388608 bytes\) decoded \(Content-Encoding: gzip"),
    "trickled-body": (answers.trickled_body,
                      r"did not complete within 2 s .*cut while reading the body"),
    "reset-mid-body": (wire.reset_mid_body, r"failed: the target reset the connection"),
    "broken-chunks": (wire.bad_chunk_size, r"failed: its chunked framing is broken"),
    "header-flood": (wire.endless_headers, r"failed: its head is too large"),
    "keep-alive-stall": (wire.stalls_after_answering,
                         r"did not complete within 2 s .*cut while waiting for the status line"),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", list(RUN_CASES))
def test_a_run_against_a_target_hostile_after_its_preflight_ends_in_time(case, tmp_path):
    # The preflight and the control interface answer well; Show, List's count, command and
    # DELETE do not. The test seeds three jobs, so the cleanup has jobs to delete.
    respond, says = RUN_CASES[case]
    max_time = 30
    with hostile.serving(hostile.api_preflight(respond)) as listener:
        started = time.monotonic()
        result, peak = _run_measured(
            ["run", "--target", listener.url, "--project-id", "0" * 31 + "1",
             "--max-time", str(max_time), "--seed", "1",
             "-k", "test_delete_removes_exactly_one_job"],
            tmp_path / "reports", env={"METASTUDIO_TOKEN": "t", "METASTUDIO_REQUEST_TIMEOUT": "2"},
            timeout=max_time + grace_for(2) + 15)
    seconds = time.monotonic() - started
    assert result.code in (1, 4), result.stderr
    assert "Traceback (most recent" not in result.stdout + result.stderr
    assert seconds < max_time + grace_for(2), seconds
    assert peak < PEAK_RSS_LIMIT, f"peak RSS {peak >> 20} MiB"
    assert (result.report_dir / "conformance.md").is_file()
    assert result.results["requests_sent"] > 0  # the seeds at least
    assert result.results["cleanup_requests"] > 0  # cut or broken off, still sent
    line = re.search(rf"network error: .*{says}.*", result.stdout)
    assert line and "/digital-human-training-manage/user/jobs" in line.group(), result.stdout
    [test] = [t for t in result.results["tests"] if t["status"] == "error"]
    evidence = test["evidence"]["DEL-04"]
    assert evidence.startswith(line.group().strip()), evidence
    method, url = re.search(r"\nCut exchange:\n(\w+) (\S+)\n  X-Auth-Token: \[redacted\]\n",
                            evidence).groups()
    cut = [(r.method, r.path) for r in listener.requests].index((method, url[len(
        listener.url):]))
    # the cleanup ran after the test: it sent DELETEs for the jobs left
    assert any(r.method == "DELETE" for r in listener.requests[cut + 1:]), listener.requests
