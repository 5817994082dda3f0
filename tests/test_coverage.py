"""Coverage beside every verdict (conformance/coverage.py): a requirement that passed on
part of its domain is `partial`, with the cases tried and not tried, in the console,
results.json, the reports and the exit code under --require-full-coverage."""

from __future__ import annotations

import pytest

from metastudio_conformance import coverage, recorder
from metastudio_conformance.recorder import Recorder
from metastudio_conformance.status import Status
from tests.conftest import run_cli


def _test(test_id: str, **by_requirement: str) -> dict:
    statuses = {rid.replace("_", "-"): status for rid, status in by_requirement.items()}
    return {"id": f"suite/test_x.py::{test_id}", "requirements": list(statuses),
            "by_requirement": statuses, "evidence": {
                rid: f"why {test_id}" for rid, status in statuses.items() if status != "pass"},
            "reason": "", "status": Status.worst(statuses.values())}


def test_cases_that_did_not_judge_are_not_tried_with_their_reason():
    tests = [_test("a[JOB_FINISH]", DEL_01="pass"), _test("a[TRAINING]", DEL_01="not-covered"),
             _test("b", DEL_01="fail"), _test("c", DEL_01="error"),
             _test("d", DEL_01="disabled"), _test("e", DEL_01="deviation")]
    found = coverage.of_requirements(tests)["DEL-01"]
    assert [coverage.case_name(t) for t in found.tried] == ["a[JOB_FINISH]", "b", "e"]
    assert found.not_tried == [("suite/test_x.py::a[TRAINING]", "why a[TRAINING]"),
                               ("suite/test_x.py::c", "why c"), ("suite/test_x.py::d", "why d")]
    assert found.fraction == "3/6 cases"


def test_a_pass_on_part_of_the_domain_is_partial_and_other_statuses_stand():
    some = coverage.Coverage(tried=["x"], not_tried=[("y", "why")])
    whole = coverage.Coverage(tried=["x"])
    assert coverage.status_of(Status.PASS, some) is Status.PARTIAL
    assert coverage.status_of(Status.PASS, whole) is Status.PASS
    for status in (Status.FAIL, Status.ERROR, Status.DEVIATION, Status.NOT_COVERED):
        assert coverage.status_of(status, some) is status


def test_summary_rows_carry_status_and_numbers():
    rows = Recorder([_test("a[S1]", DEL_01="pass", ERR_01="pass"),
                     _test("a[S2]", DEL_01="not-covered", ERR_01="pass")]).summary()
    assert rows["DEL-01"]["status"] == Status.PARTIAL
    assert rows["DEL-01"]["coverage"] == {
        "tried": 1, "cases": 2, "tried_cases": ["a[S1]"],
        "not_tried": [{"case": "a[S2]", "test": "suite/test_x.py::a[S2]",
                       "reason": "why a[S2]"}]}
    assert rows["ERR-01"]["status"] == Status.PASS
    assert rows["DEL-02"]["coverage"]["cases"] == 0  # no test claims it here
    table = recorder.table(rows)
    assert "DEL-01       PARTIAL      1/2       DELETE succeeds" in table
    lines = recorder.partial_reasons(rows)
    assert lines[0] == "1 partial (passed where tried; cases not tried): DEL-01 1/2"
    assert lines[1] == "  not tried: why a[S2] (DEL-01)"


def test_parts_add_up_their_coverage():
    """Shards: each is partial where the other ran the case; joined (`run_parts`, as
    `merge` and the workers join), the record that ran wins and the row is whole."""
    from metastudio_conformance import run_parts
    from metastudio_conformance.status import Placeholder

    shard_1, shard_2 = Recorder([_test("a[S1]", DEL_01="pass")]), Recorder(
        [_test("a[S2]", DEL_01="pass")])
    shard_1.not_run("suite/test_x.py::a[S2]", ["DEL-01"], Placeholder.OTHER_SHARD, "elsewhere")
    shard_2.not_run("suite/test_x.py::a[S1]", ["DEL-01"], Placeholder.OTHER_SHARD, "elsewhere")
    for part in (shard_1, shard_2):
        assert part.summary()["DEL-01"]["status"] == Status.PARTIAL
    joined = Recorder(run_parts.join_tests(shard_1.tests, shard_2.tests)).summary()["DEL-01"]
    assert (joined["status"], joined["coverage"]["tried"], joined["coverage"]["cases"]) == (
        Status.PASS, 2, 2)


@pytest.mark.slow
def test_a_run_without_the_control_interface_says_how_little_it_tried(tmp_path):
    result = run_cli(["run", "--seed", "1", "--no-control", "-k", "test_delete_in_state"],
                     tmp_path / "reports")
    assert result.code == 0, result.stderr[-2000:]
    rows = {row["id"]: row for row in result.results["requirements"]}
    assert rows["DEL-01"]["status"] == "partial"
    assert rows["DEL-01"]["coverage"]["tried_cases"] == ["test_delete_in_state[WAIT_FILE_UPLOAD]"]
    assert rows["DEL-01"]["coverage"]["cases"] == 15  # 11 states, and 4 other tests (-k)
    assert rows["DEL-02"]["status"] == "not-covered"
    assert "DEL-01       PARTIAL      1/15" in result.stdout
    assert "0 of 25 documented requirements pass, 3 partial" in (
        result.report_dir / "conformance.md").read_text()
    strict = run_cli(["run", "--seed", "1", "--no-control", "-k", "test_delete_in_state",
                      "--require-full-coverage"], tmp_path / "strict")
    assert strict.code == 1
    line = strict.stderr.splitlines()[-1]
    assert line.startswith("metastudio-conformance: coverage short of full "
                           "(--require-full-coverage): ERR-01 1/"), line
    assert ", DEL-01 1/15, DEL-02 0/46, DEL-03 1/19" in line


def test_reports_show_the_cases_and_why_the_rest_were_not_tried(tmp_path):
    from metastudio_conformance.reports import allure_extras, conformance
    from tests.test_reports import _report_dir, _results

    document = _results()
    row = document["requirements"][0]
    row.update(status="partial", coverage={
        "tried": 1, "cases": 3, "tried_cases": ["t[A]"],
        "not_tried": [{"case": f"t[{s}]", "test": f"m::t[{s}]", "reason": "no way to reach it"}
                      for s in ("B", "C")]})
    report_dir = _report_dir(tmp_path, document)
    md_path, html_path = conformance.write(report_dir)
    md, html = md_path.read_text(), html_path.read_text()
    line = next(line for line in md.splitlines() if line.startswith(f"| **{row['id']}** "))
    assert "| PARTIAL | 1/3 cases |" in line
    assert f"- **{row['id']}** 1/3 cases; not tried:\n  - no way to reach it (2 cases: t[B], " \
           "t[C])" in md
    assert '<span class="badge partial">PARTIAL</span><div class="cases">1/3 cases</div>' in html
    environment = allure_extras.write_environment(tmp_path / "allure", document).read_text()
    assert f"Partial\\ (cases\\ tried)={row['id']} 1/3 cases\n" in environment


def test_junit_carries_each_requirement_verdict_with_its_cases(tmp_path):
    from metastudio_conformance.reports import allure_extras

    path = tmp_path / "junit.xml"
    path.write_text('<testsuites><testsuite name="pytest" tests="0"></testsuite></testsuites>')
    rows = [{"id": "DEL-01", "status": "partial", "coverage": {"tried": 1, "cases": 15}},
            {"id": "MOD-03", "status": "pass", "coverage": {"tried": 3, "cases": 3}}]
    for _ in range(2):  # a second call replaces the first's
        allure_extras.annotate_junit(path, allure_extras.Outcomes({}), rows)
    text = path.read_text()
    assert text.count('name="requirement:DEL-01" value="partial 1/15 cases"') == 1
    assert 'name="requirement:MOD-03" value="pass 3/3 cases"' in text
