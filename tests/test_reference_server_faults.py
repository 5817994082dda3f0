"""Each fault changes the behaviour it claims, and nothing another probe sees; control
requests and uploads are never faulty, and only API requests are counted."""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor

import pytest
import requests

from metastudio_conformance.reference_server import start_server, stop_server
from metastudio_conformance.reference_server.faults import REGISTRY
from tests.reference_helpers import OPTIONS, STD, TIMEOUT, Api, assert_error
from tests.reference_probes import OVERLAPS, PROBES, QUIET, burst, observe

pytest_plugins = ["tests.reference_fixtures"]

COUNTING = {"random-500": 50, "random-slow": 20}  # fault -> its period in API requests


class Faulty(dict):
    """fault -> (server, client); `slow_probe` is random-slow's own probe, taken in the
    background on a twin server as soon as the fixture starts (it waits 3 s)."""
    slow_probe: Future


@pytest.fixture(scope="module")
def faulty():
    started = {name: start_server(faults=[name], **OPTIONS) for name in REGISTRY}
    twin = start_server(faults=["random-slow"], **OPTIONS)
    with ThreadPoolExecutor() as pool:
        servers = Faulty({name: (srv, Api(srv.url, strict=False))
                          for name, (srv, _) in started.items()})
        servers.slow_probe = pool.submit(observe, PROBES["random-slow"][0],
                                         Api(twin[0].url, strict=False))
        yield servers
        # each shutdown waits for its server's poll: stop them all at once
        list(pool.map(lambda started: stop_server(*started), [*started.values(), twin]))


def _sleep_for(srv, seconds: float) -> None:
    """Shorten random-slow's 3 s sleep on this server (its twin keeps the real one)."""
    srv.app.faults.slow_seconds = seconds


def _align_to_failure(a):
    """Send API requests until random-500 fires: the next 49 API requests are clean."""
    answers = burst(a, COUNTING["random-500"], stop=lambda answer: answer[0] == 500)
    assert answers[-1][0] == 500, "random-500 did not fire within 50 API requests"
    assert all(status == 200 for status, _, _ in answers[:-1])


def test_every_registered_fault_has_a_probe():
    assert set(REGISTRY) == set(PROBES)
    assert len(REGISTRY) >= 34
    assert {other for _, other in OVERLAPS} <= set(PROBES)
    assert {f.requirement for f in REGISTRY.values()} >= {
        "CMD-01", "CMD-02", "CMD-03", "CMD-04", "CMD-06", "CMD-07", "CMD-09", "HDR-01",
        "HDR-02", "ERR-01", "ERR-02", "RSP-02", "RSP-05", "DEL-01", "DEL-02", "DEL-03",
        "DEL-04", "AUTH-01", "AUTH-02", "AUTH-03", "CMD-08", "MOD-04", "MOD-05"}


@pytest.mark.parametrize("fault", list(PROBES))
def test_fault_changes_its_behaviour_only(api, faulty, fault):
    probe, sound, broken = PROBES[fault]
    srv, a = faulty[fault]
    assert observe(probe, api) == sound
    if fault == "random-slow":
        assert faulty.slow_probe.result(timeout=30) == broken
        # the other probes' answers do not depend on how long the 20th request sleeps;
        # sleeping 3 s every 20 requests would make this check take a minute
        _sleep_for(srv, 0.01)
    else:
        assert observe(probe, a) == broken
    for other, (other_probe, other_sound, _) in PROBES.items():
        if other == fault:
            continue
        if fault == "random-500":
            _align_to_failure(a)
        expected = OVERLAPS.get((fault, other), other_sound)
        assert observe(other_probe, a) == expected, other


def _upload_url(a) -> str:
    created = a.call("POST", a.jobs(), json={"name": "u"})
    assert created.status_code == 200, created.text
    return created.json()["training_video_upload_url"][0]


@pytest.mark.parametrize("fault", list(REGISTRY))
def test_control_requests_and_uploads_are_never_faulty(faulty, fault):
    srv, a = faulty[fault]
    if fault == "random-slow":
        _sleep_for(srv, 0.01)
    if fault == "random-500":
        _align_to_failure(a)
    url = _upload_url(a)
    put = requests.put(url, data=b"video", timeout=TIMEOUT)
    assert put.status_code == 200 and put.headers["X-Request-Id"] and put.headers["ETag"]
    assert_error(requests.put(url, data=b"again", timeout=TIMEOUT), 400, "MSS.00000003")
    seeded = a.call("POST", f"/conformance/v1/{STD}/jobs", json={"state": "TRAINING"})
    assert seeded.status_code == 201 and seeded.headers["X-Request-Id"]
    assert seeded.headers["Content-Type"] == "application/json;charset=UTF-8"
    assert set(seeded.json()) == {"job_id", "state"}
    for bad in (b"", b"{bad", b'{"state": 1}', b'{"state": "NOPE"}'):
        assert_error(a.call("POST", f"/conformance/v1/{STD}/jobs", data=bad), 400)
    assert_error(a.call("DELETE", f"/conformance/v1/{STD}/jobs"), 400, "MSS.00010004")
    assert_error(a.call("GET", "/conformance/nothing-here"), 400, "MSS.00010003")
    anonymous = Api(a.url, headers={}, strict=False)
    assert_error(anonymous.call("POST", f"/conformance/v1/{STD}/jobs", json={"state": "TRAINING"}),
                 401, "MSS.00000001")
    assert_error(anonymous.call("POST", "/conformance/v1/reset"), 401, "MSS.00000001")


@pytest.mark.parametrize("fault", list(COUNTING))
def test_only_api_requests_are_counted(faulty, fault):
    srv, a = faulty[fault]
    _sleep_for(srv, 0.3)  # long enough to see, short enough to wait for
    if fault == "random-500":
        _align_to_failure(a)
    period = COUNTING[fault]

    def hit(r):
        if fault == "random-500":
            return r.status_code == 500
        return r.elapsed.total_seconds() >= 0.25

    if fault == "random-slow":  # find the phase: the request after a slow one is first
        while not hit(a.call("GET", a.jobs(QUIET))):
            pass
    url = _upload_url(a)  # API request 1 of the period
    for _ in range(3 * period):  # none of these count
        a.seed("TRAINING")
    assert requests.put(url, data=b"v", timeout=TIMEOUT).status_code == 200
    answers = [a.call("GET", a.jobs(QUIET)) for _ in range(period - 1)]
    assert [n for n, r in enumerate(answers, start=2) if hit(r)] == [period]
