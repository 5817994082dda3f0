"""Verdicts: each finding charged to its requirement, typed outcomes, model rules as
deviations unless the run is strict, and no verdict a correct server does not deserve."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
import requests

from metastudio_conformance import requirements, rules
from metastudio_conformance.answers import Answer
from metastudio_conformance.client import SeedError
from metastudio_conformance.outcomes import NotCovered, Violation
from metastudio_conformance.recorder import NOT_JUDGED, Marks, Recorder, classify
from tests.conftest import run_cli


def _violation(rid: str) -> Violation:
    return Violation(rid, None, "received", "documented")


def _report(outcome: str, longrepr=None):
    return SimpleNamespace(passed=outcome == "passed", skipped=outcome == "skipped",
                           failed=outcome == "failed", outcome=outcome, longrepr=longrepr)


def test_a_finding_is_charged_to_its_requirement_and_the_rest_are_not_covered():
    found = classify(_violation("RSP-03"), Marks(["CMD-01", "RSP-03"], []))
    assert ("RSP-03", "fail") in {(rid, status) for rid, status, _ in found}
    others = {rid: (status, text) for rid, status, text in found if rid != "RSP-03"}
    assert others == {
        "CMD-01": ("not-covered", "its test stopped at RSP-03 before checking it")}


def test_a_5xx_leaves_the_tests_other_requirements_not_judged():
    found = classify(_violation("ERR-02"), Marks(["CMD-01", "ERR-01"], []))
    assert ("ERR-02", "fail") in {(rid, status) for rid, status, _ in found}
    others = {rid: (status, text) for rid, status, text in found if rid != "ERR-02"}
    assert others == {"CMD-01": ("not-covered", NOT_JUDGED),
                      "ERR-01": ("not-covered", NOT_JUDGED)}


def test_a_requirement_with_a_case_lost_to_err_02_is_not_a_pass():
    """AUTH-01 passes two of its cases; the third was answered 500 (ERR-02's): the row
    is partial (2/3 cases) and names the case not judged, never a plain pass."""
    recorder = Recorder()
    marks = Marks(["AUTH-01"], [])
    recorder.record("test_auth[none]", marks, _report("passed"), None)
    lost = SimpleNamespace(value=_violation("ERR-02"))
    recorder.record("test_auth[wrong-token]", marks, _report("failed"), lost)
    recorder.record("test_auth[bad-signature]", marks, _report("passed"), None)
    recorder.record("test_other", Marks(["CMD-01"], []), _report("passed"), None)
    rows = recorder.summary()
    assert rows["ERR-02"]["status"] == "fail"
    assert rows["AUTH-01"]["status"] == "partial"
    assert (rows["AUTH-01"]["coverage"]["tried"], rows["AUTH-01"]["coverage"]["cases"]) == (2, 3)
    assert rows["AUTH-01"]["coverage"]["not_tried"] == [
        {"case": "test_auth[wrong-token]", "test": "test_auth[wrong-token]",
         "reason": NOT_JUDGED}]
    assert rows["CMD-01"]["status"] == "pass"  # a requirement no 5xx touched
    again = Recorder(json.loads(json.dumps(recorder.tests)))  # as a worker's part or a shard
    assert again.summary()["AUTH-01"]["status"] == "partial"


def test_a_requirement_the_test_does_not_name_is_a_suite_error():
    """What a test marks and what it raises cannot drift apart unnoticed."""
    found = classify(_violation("DEL-01"), Marks(["DEL-04"], []))
    assert ("DEL-01", "error") in {(rid, status) for rid, status, _ in found}
    assert "names only DEL-04" in next(text for rid, _, text in found if rid == "DEL-01")
    also = classify(_violation("DEL-01"), Marks(["DEL-04"], ["DEL-01"]))
    assert ("DEL-01", "fail") in {(rid, status) for rid, status, _ in also}


@pytest.mark.parametrize(("error", "kind"), [
    (SeedError("Create answered 401"), "setup error"),
    (requests.ConnectionError("reset"), "network error"),
    (RuntimeError("bug"), "suite error"),
])
def test_what_is_not_the_targets_fault_is_an_error(error, kind):
    found = classify(error, Marks(["CMD-08"], []))
    assert [(rid, status) for rid, status, _ in found] == [("CMD-08", "error")]
    assert found[0][2].startswith(kind)


def test_typed_skips_keep_their_status_and_deviations_are_recorded():
    recorder = Recorder()
    skipped = SimpleNamespace(value=NotCovered("no NA project"))
    recorder.record("t1", Marks(["CMD-05"], []), _report("skipped", ("f", 1, "Skipped: no NA "
                    "project")), skipped)
    recorder.record("t2", Marks(["CMD-09", "MOD-02"], []), _report("passed"), None,
                    [_violation("MOD-02")])
    rows = recorder.summary()
    assert rows["CMD-05"]["status"] == "not-covered"
    assert rows["CMD-05"]["evidence"].startswith("no NA project")
    assert rows["CMD-09"]["status"] == "pass"
    assert rows["MOD-02"]["status"] == "deviation"
    assert [test["status"] for test in recorder.tests] == ["not-covered", "deviation"]


def _answer(status: int, body: bytes = b"") -> Answer:
    return Answer(status, {}, None, body) if not body else Answer.of(SimpleNamespace(
        status_code=status, headers={}, content=body))


def test_a_refusal_is_a_4xx_or_200_excute_failed():
    assert requirements.is_refusal(_answer(400, b'{"error_code": "x", "error_msg": "y"}'))
    assert requirements.is_refusal(_answer(200, b'{"commond_result": "EXCUTE_FAILED"}'))
    assert not requirements.is_refusal(_answer(200, b'{"commond_result": "EXCUTE_SUCCESS"}'))
    assert not requirements.is_refusal(_answer(500, b'{"error_code": "x", "error_msg": "y"}'))


def test_a_5xx_is_err_02_alone():
    answer = _answer(500, b"<html>oops</html>")
    rules.error_body(answer)  # not ERR-01's
    rules.multipart_data(answer)
    with pytest.raises(Violation) as found:
        rules.command_required("a body without command", answer)
    assert found.value.requirement == "ERR-02"


def test_multipart_data_members_are_optional_as_in_the_seed():
    rules.multipart_data(_answer(200, b'{"multipart_data": [{"part_number": "1"}]}'))
    with pytest.raises(Violation):
        rules.multipart_data(_answer(200, b'{"multipart_data": [{"part_number": 1}]}'))


@pytest.mark.faults
def test_model_faults_are_deviations_unless_strict(tmp_path, server_factory):
    server = server_factory("--fault", "multipart-forgets-parts")
    args = [*server.run_args(), "--seed", "3", "--max-examples", "5"]
    lenient = run_cli(args, tmp_path / "lenient" / "reports", env=server.env())
    assert lenient.code == 0, lenient.stderr[-2000:]
    assert lenient.statuses()["MOD-04"] == "deviation"
    assert "deviation(s) from the lifecycle model (MOD-04)" in lenient.stdout
    strict = run_cli([*args, "--strict-model"], tmp_path / "strict" / "reports",
                     env=server.env())
    assert strict.code == 1, strict.stderr[-2000:]
    assert strict.failed() == {"MOD-04"}
    assert "--strict-model" in strict.stderr.split("replay: ")[1]


@pytest.mark.faults
def test_no_control_interface_is_no_false_alarm(tmp_path, server_factory):
    """Without the control interface (as against staging) jobs come from Create, with no
    part uploaded: nothing may be judged as if the control contract had seeded them."""
    server = server_factory()
    result = run_cli([*server.run_args(), "--seed", "5", "--max-examples", "5",
                      "--no-control"], tmp_path / "reports", env=server.env())
    assert result.code == 0, result.stderr[-2000:]
    statuses = result.statuses()
    assert {rid for rid, status in statuses.items() if status in ("fail", "error")} == set()
    assert statuses["MOD-04"] in ("partial", "deviation")  # tried in few of its 54 cases
    assert statuses["DEL-01"] == statuses["DEL-02"] == "partial"  # issue 19: never "pass"
    tests = {test["id"].split("::")[-1]: test for test in result.results["tests"]}
    training = tests["test_delete_in_state[TRAINING]"]  # no way to reach TRAINING
    assert training["status"] == "not-covered"
    assert "no way to reach TRAINING" in training["reason"]


@pytest.mark.faults
def test_credentials_refused_mid_run_stop_it_as_an_error(tmp_path):
    """The preflight's List passes; then every operation answers 401, as when a token
    expires during a nightly run: one line and exit 4, never a wall of FAIL."""
    from tests import hostile_servers as hostile

    def expired(conn, listener, request) -> None:
        conn.sendall(hostile.json_answer("401 Unauthorized", {
            "error_code": "MSS.00000001", "error_msg": "token expired"}))

    with hostile.serving(hostile.api_preflight(expired)) as listener:
        result = run_cli(["run", "--target", listener.url, "--project-id", "0" * 31 + "1",
                          "--seed", "1", "--max-examples", "2"], tmp_path / "reports",
                         env={"METASTUDIO_TOKEN": "t0ken-that-expires"}, timeout=120)
    assert result.code == 4, result.stderr[-2000:]
    problems = [line for line in result.stderr.splitlines() if not line.startswith("run id")]
    assert len(problems) == 1 and "refused the run's credentials mid-run" in problems[0]
    assert result.failed() == set()
    assert result.results["aborted"]
