"""`--workers N` and `--max-failures N` / `-x`, end to end against reference servers.

Two processes must give the run one process gives: the same statuses per requirement,
the same tests, one JUnit and one Allure folder; a fault is still charged to exactly its
requirement; and a run told to stop after N failures stops, saying why the rest is not
covered.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import Counter

import pytest

from tests.conftest import run_cli

pytestmark = pytest.mark.slow  # three whole CLI runs, two of them with workers

STOPPED = "the run stopped after 1 failure(s) (--max-failures)"


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    base = tmp_path_factory.mktemp("workers")
    return {workers: run_cli(["run", "--seed", "5", "--max-examples", "5", "--workers",
                              str(workers)], base / f"w{workers}" / "reports")
            for workers in (1, 2)}


def _test_ids(result) -> set[str]:
    return {test["id"] for test in result.results["tests"]}


def test_two_workers_give_the_run_one_process_gives(runs):
    one, two = runs[1], runs[2]
    assert one.code == two.code == 0, two.stderr[-3000:]
    assert two.statuses() == one.statuses()
    assert _test_ids(two) == _test_ids(one)
    silent = len([t for t in _test_ids(one) if "test_silent_point[" in t])  # MOD-06 off
    assert silent == 20
    assert Counter(t["outcome"] for t in two.results["tests"]) == {
        "passed": len(_test_ids(one)) - silent, "skipped": silent}
    assert {name: len(rows) for name, rows in two.results["matrices"].items()} == {
        name: len(rows) for name, rows in one.results["matrices"].items()}
    assert two.results["workers"] == 2 and two.results["shard"] is None
    assert two.results["requests_sent"] > 1000  # every worker's requests, counted once
    assert two.results["cleanup_requests"] == 1  # one Reset of the bundled server, at the end
    assert two.results["jobs"]["made"] > 0  # the workers' jobs, added up
    assert set(two.results["requests_per_requirement"]) == set(
        one.results["requests_per_requirement"])
    assert "--workers 2" in two.results["replay"]


def test_two_workers_write_one_junit_and_one_allure_folder(runs):
    one, two = runs[1], runs[2]
    for result in (one, two):
        cases = ET.parse(result.report_dir / "junit.xml").getroot().iter("testcase")
        assert sum(1 for _ in cases) == len(_test_ids(one))
        allure = list((result.report_dir / "allure-results").glob("*-result.json"))
        assert len(allure) == len(_test_ids(one))
    assert not list(two.report_dir.glob(".stop-*"))


@pytest.mark.faults
def test_a_fault_is_charged_to_its_requirement_under_two_workers(tmp_path, server_factory):
    server = server_factory("--fault", "delete-in-training")
    result = run_cli([*server.run_args(), "--seed", "7", "--max-examples", "5",
                      "--workers", "2"], tmp_path / "reports", env={**server.env(), "CI": "true"})
    assert result.code == 1, result.stderr[-2000:]
    assert result.failed() == {"DEL-02"}, result.stderr[-2000:]
    # Under CI pytest prints each failure's message on its FAILED line: the requirement, as
    # in one process, never the repr of a worker's exception group
    failed = [line for line in result.stdout.splitlines() if line.startswith("FAILED ")]
    assert failed and all("DEL-02: " in line and "Violation(" not in line
                          and "Exception Group" not in line for line in failed), failed
    first = result.results["first_failure"]
    # Which failing test comes first depends on how the workers were dealt the tests
    assert first["test"] in {t["id"] for t in result.results["tests"] if t["status"] == "fail"}
    assert first["seconds"] > 0 and first["requests"] > 0
    assert "replay: metastudio-conformance run --seed 7" in result.stderr


@pytest.mark.parametrize("workers", [1, 2])
def test_max_failures_stops_the_run_and_says_why_the_rest_is_not_covered(
        tmp_path, server_factory, workers):
    server = server_factory("--fault", "delete-in-training")
    result = run_cli([*server.run_args(), "--seed", "7", "--max-examples", "5", "-x",
                      "--workers", str(workers)], tmp_path / "reports", env=server.env())
    assert result.code == 1, result.stderr[-2000:]
    assert result.failed() == {"DEL-02"}
    results = result.results
    assert results["stopped"] == STOPPED
    outcomes = Counter(test["outcome"] for test in results["tests"])
    # One failure stops the run; a test another worker had under way may fail too
    assert 1 <= outcomes["failed"] <= workers and outcomes["not-run"] > 0, outcomes
    not_run = [t for t in results["tests"] if t["outcome"] == "not-run"]
    assert all(t["status"] == "not-covered" and t["reason"] == STOPPED for t in not_run)
    unreached = [row for row in results["requirements"] if row["status"] == "not-covered"]
    assert all(STOPPED in row["evidence"] for row in unreached)
    if workers == 1:  # cheap tests first: the long ones, and what only they cover, never ran
        assert unreached
    assert "--max-failures 1" in results["replay"]
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(("args", "message"), [
    (["--workers", "0"], "workers (--workers) must be at least 1, not 0"),
    (["--max-failures", "0"], "max_failures (--max-failures) must be at least 1, not 0"),
    (["--shard", "3/2"], "shard '3/2' is not like 1/3"),
    (["--shard", "one"], "shard 'one' is not like 1/3"),
])
def test_bad_scale_options_get_one_line_and_exit_2(tmp_path, args, message):
    result = run_cli(["run", *args], tmp_path / "reports", timeout=60)
    assert result.code == 2, result.stderr
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
