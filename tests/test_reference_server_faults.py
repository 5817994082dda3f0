"""Each fault changes the behaviour it claims, and nothing another probe sees."""

from __future__ import annotations

import pytest

from reference_server import start_server, stop_server
from reference_server.faults import REGISTRY
from tests.reference_helpers import CHINESE, OPTIONS, Api

pytest_plugins = ["tests.reference_fixtures"]


def _result(r):
    return r.status_code, r.json().get("commond_result")


def _parts(a):
    return a.command(a.seed("WAIT_FILE_UPLOAD"), {"command": "GET_MULTIPART_UPLOADED"}).json()


def _delete_then_show(a, state):
    job = a.seed(state)
    return a.delete(job).status_code, a.show(job).status_code


def _na_command_as_standard(a):
    job = a.seed("WAIT_USER_CONFIRM")
    return a.command(job, {"command": "CONFIRM_ACCEPT"}).status_code, a.state(job)


def _request_ids(a):
    answers = (a.show(a.seed("TRAINING")), a.show("0" * 32), a.call("GET", "/nope"))
    return tuple(bool(r.headers.get("X-Request-Id")) for r in answers)


# fault -> (probe, what a sound server shows, what the faulty one shows)
PROBES = {
    "missing-command-accepted": (lambda a: _result(a.command(a.seed("WAIT_FILE_UPLOAD"), {})),
                                 (400, None), (200, "EXCUTE_SUCCESS")),
    "unknown-command-accepted": (
        lambda a: _result(a.command(a.seed("WAIT_FILE_UPLOAD"), {"command": "FROBNICATE"})),
        (400, None), (200, "EXCUTE_SUCCESS")),
    "command-result-typo-fixed": (lambda a: sorted(_parts(a)),
                                  ["commond_result", "multipart_data"],
                                  ["command_result", "multipart_data"]),
    "part-number-integer": (lambda a: type(_parts(a)["multipart_data"][0]["part_number"]),
                            str, int),
    "na-command-for-standard": (_na_command_as_standard, (400, "WAIT_USER_CONFIRM"),
                                (200, "JOB_FINISH")),
    "no-request-id": (_request_ids, (True, True, True), (False, False, False)),
    "chinese-user-id-accepted": (
        lambda a: a.show(a.seed("TRAINING"), headers={"X-App-UserId": CHINESE}).status_code,
        400, 200),
    "error-without-msg": (lambda a: sorted(a.call("GET", "/nope").json()),
                          ["error_code", "error_msg"], ["error_code"]),
    "500-on-malformed-json": (
        lambda a: a.call("POST", a.jobs(suffix="/x/command"), data=b"{bad").status_code, 400, 500),
    "delete-in-training": (lambda a: _delete_then_show(a, "TRAINING"), (400, 200), (200, 404)),
    "delete-keeps-job": (lambda a: _delete_then_show(a, "JOB_SUCCESS"), (200, 404), (200, 200)),
    "auth-not-enforced": (
        lambda a: Api(a.url, headers={}, strict=False).show(a.seed("TRAINING")).status_code,
        401, 200),
}


@pytest.fixture(scope="module")
def faulty():
    started = {name: start_server(faults=[name], **OPTIONS) for name in PROBES}
    yield {name: Api(srv.url, strict=False) for name, (srv, _) in started.items()}
    for srv, thread in started.values():
        stop_server(srv, thread)


def test_every_registered_fault_has_a_probe():
    assert set(REGISTRY) == set(PROBES)
    assert {f.requirement for f in REGISTRY.values()} >= {
        "CMD-01", "CMD-02", "CMD-03", "CMD-04", "CMD-06", "HDR-01", "HDR-02", "ERR-01",
        "ERR-02", "DEL-02", "DEL-03", "AUTH-01"}


@pytest.mark.parametrize("fault", list(PROBES))
def test_fault_changes_its_behaviour_only(api, faulty, fault):
    probe, sound, broken = PROBES[fault]
    assert probe(api) == sound
    assert probe(faulty[fault]) == broken
    for other, (other_probe, other_sound, _) in PROBES.items():
        if other != fault:
            assert other_probe(faulty[fault]) == other_sound, other

