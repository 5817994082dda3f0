"""Latency: no ~40 ms stall on kept-alive connections to a server with Nagle on (real
uvicorn on loopback), and the per-operation figures and the vendor hint of the report."""

from __future__ import annotations

import json
import time
from pathlib import Path

import jsonschema
import pytest
import requests

from metastudio_conformance import exchange, latency
from metastudio_conformance.reports import conformance
from metastudio_conformance.transport import PoliteAdapter
from tests import uvicorn_mock

ROOT = Path(__file__).resolve().parent.parent
COMMAND = "/v1/p1/digital-human-training-manage/user/jobs/job-1/command"
SENT = 20


@pytest.fixture(scope="module")
def nagle_mock():
    """The reference app on FastAPI/uvicorn, listening on a socket that keeps Nagle on."""
    server, url = uvicorn_mock.start(nagle=True)
    yield url
    uvicorn_mock.stop(server)


def _posts(url: str) -> tuple[float, list[latency.Latencies]]:
    """SENT sequential POSTs on one kept-alive session: seconds taken, and what was seen."""
    session, adapter = requests.Session(), PoliteAdapter(None, answer_time=10)
    seen = latency.Latencies()
    adapter.watchers.append(seen)
    session.mount("http://", adapter)
    started = time.perf_counter()
    for _ in range(SENT):
        response = session.post(url + COMMAND, json={"command": "CANCEL"}, timeout=10)
        assert response.status_code == 400  # the reference app's answer came through uvicorn
    return time.perf_counter() - started, seen


def test_kept_alive_posts_to_uvicorn_do_not_stall(nagle_mock):
    seconds, seen = _posts(nagle_mock)
    assert seconds < SENT * 0.010  # with the stall: about SENT x 44 ms
    assert seen.stall_hint() is None
    reused = [r for _, r in seen.samples["command"]]
    assert reused == [False] + [True] * (SENT - 1)  # one connection, kept alive


def test_the_mock_stalls_without_the_quick_ack(nagle_mock, monkeypatch):
    """The test above can fail: without TCP_QUICKACK every kept-alive answer waits for the
    client's delayed ACK of its head."""
    if exchange._QUICKACK is None:
        pytest.skip("TCP_QUICKACK is Linux-only")
    monkeypatch.setattr(exchange, "_QUICKACK", None)
    seconds, seen = _posts(nagle_mock)
    assert seconds > SENT * 0.025
    assert "Nagle's algorithm" in seen.stall_hint()  # 1 fresh answer, 19 late reused ones


def test_operations_by_method_and_path_template():
    base = "http://h/v1/p/digital-human-training-manage/user/jobs"
    assert latency.operation("POST", base + "/j/command") == "command"
    assert latency.operation("DELETE", base + "/j") == "DELETE"
    assert latency.operation("GET", base + "/j?x=1") == "Show"
    assert latency.operation("GET", base + "?offset=0") == "List"
    assert latency.operation("POST", base) == "Create"
    assert latency.operation("POST", "http://h/conformance/jobs/j/state") == "control"


def _seen(fresh_ms: float, reused_ms: float) -> latency.Latencies:
    seen = latency.Latencies()
    seen.samples["Show"] = [(fresh_ms, False)] * 6 + [(reused_ms, True)] * 20
    seen.samples["command"] = [(reused_ms + 1, True)] * 19 + [(reused_ms + 9, True)]
    return seen


def test_the_hint_needs_reused_answers_consistently_about_40_ms_slower():
    assert _seen(1.0, 2.0).stall_hint() is None
    assert _seen(1.0, 20.0).stall_hint() is None
    assert "44 ms (median) against 1 ms" in _seen(1.0, 44.0).stall_hint()
    few = latency.Latencies()
    few.samples["Show"] = [(1.0, False)] * 2 + [(44.0, True)] * 9
    assert few.stall_hint() is None  # nine reused answers say nothing yet
    mixed = latency.Latencies()
    mixed.samples["Show"] = [(1.0, False)] + [(44.0, True)] * 30 + [(2.0, True)] * 20
    assert mixed.stall_hint() is None  # not consistently: two in five answered at once
    mixed.samples["Show"][-20:-10] = [(44.0, True)] * 10  # one in five: bodiless answers
    assert mixed.stall_hint() is not None


def test_summary_meets_the_schema_and_reaches_console_and_report():
    summary = _seen(1.0, 44.0).summary()
    assert summary["operations"]["command"] == {
        "count": 20, "p50_ms": 45.0, "p95_ms": 45.0, "max_ms": 53.0, "reused": 20, "fresh": 0}
    assert list(summary["operations"]) == ["command", "Show"]  # the API's order
    schema = json.loads((ROOT / "docs" / "results.schema.json").read_text())
    jsonschema.validate(summary, schema["properties"]["latency"])
    console = latency.console_lines(summary)
    assert console[1].split()[:6] == ["command", "45.0", "/", "45.0", "/", "53.0"]
    assert console[-1].startswith("  hint: answers on kept-alive connections took 44 ms")
    report = "\n".join(conformance._latency(summary))
    assert "| command | 20 | 45.0 | 45.0 | 53.0 | 20 |" in report
    assert "**Hint to the vendor:**" in report
    assert conformance._latency(None) == []
