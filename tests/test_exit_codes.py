"""The one exit-code policy of `run` and `merge`: its table, and the two commands agree."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from metastudio_conformance import cli, merge
from metastudio_conformance.exit_codes import SEVERITY, ExitCode, Verdict, meaning, verdict, worst
from tests.conftest import ROOT


def rows(documented=("pass",), model=("pass",)) -> list[dict]:
    return ([{"id": f"DOC-{i:02}", "title": "t", "kind": "documented", "status": status}
             for i, status in enumerate(documented, 1)]
            + [{"id": f"MOD-{i:02}", "title": "t", "kind": "model", "status": status}
               for i, status in enumerate(model, 1)])


# (documented statuses, model statuses, aborted, pytest's exit code, stopped) -> verdict
TABLE = [
    (("pass",), ("pass",), False, 0, False, Verdict.PASSED),
    (("pass", "not-covered", "disabled"), ("deviation",), False, 0, False, Verdict.PASSED),
    (("pass", "fail"), ("pass",), False, 1, False, Verdict.FAILED),
    (("pass",), ("fail",), False, 1, False, Verdict.FAILED),  # strict model: a failure
    (("pass", "error"), ("pass",), False, 1, False, Verdict.INCOMPLETE),
    (("pass", "error", "fail"), ("pass",), False, 1, False, Verdict.FAILED),  # fail first
    (("pass",), ("pass",), False, 1, False, Verdict.INCOMPLETE),  # pytest failed, no row did
    (("not-covered", "disabled"), ("pass",), False, 0, False, Verdict.NOTHING_TESTED),
    (("partial", "not-covered"), ("pass",), False, 0, False, Verdict.PASSED),  # tested some
    (("partial", "fail"), ("pass",), False, 1, False, Verdict.FAILED),
    (("not-covered",), ("deviation",), False, 0, False, Verdict.NOTHING_TESTED),
    (("fail",), ("pass",), True, 2, False, Verdict.ABORTED),  # the abort before all
    (("fail",), ("pass",), False, 2, False, Verdict.INTERRUPTED),  # Ctrl-C before a fail
    (("fail",), ("pass",), False, 2, True, Verdict.FAILED),  # --max-failures, not Ctrl-C
    (("pass",), ("pass",), False, 2, True, Verdict.INCOMPLETE),
    (("disabled",), ("disabled",), False, 5, False, Verdict.NO_TEST_SELECTED),
    (("fail",), ("pass",), False, 5, False, Verdict.FAILED),
    (("pass",), ("pass",), False, 3, False, Verdict.PYTEST_INTERNAL_ERROR),
    (("pass",), ("pass",), False, 4, False, Verdict.PYTEST_USAGE_ERROR),
]


@pytest.mark.parametrize(("documented", "model", "aborted", "pytest_code", "stopped",
                          "expected"), TABLE)
def test_the_policy_table(documented, model, aborted, pytest_code, stopped, expected):
    assert verdict(rows(documented, model), aborted, pytest_code, stopped) is expected


def test_each_verdict_has_its_documented_code():
    codes = {ended: ended.code for ended in Verdict}
    assert codes == {
        Verdict.ABORTED: 4, Verdict.INTERRUPTED: 130, Verdict.FAILED: 1,
        Verdict.NO_TEST_SELECTED: 2, Verdict.PYTEST_INTERNAL_ERROR: 4,
        Verdict.PYTEST_USAGE_ERROR: 2, Verdict.INCOMPLETE: 4, Verdict.NOTHING_TESTED: 5,
        Verdict.REPORTING_FAILED: 4, Verdict.COVERAGE_SHORT: 1, Verdict.PASSED: 0}


@pytest.mark.parametrize(("documented", "expected"), [
    (("pass", "pass"), Verdict.PASSED),
    (("pass", "partial"), Verdict.COVERAGE_SHORT),
    (("pass", "not-covered"), Verdict.COVERAGE_SHORT),
    (("pass", "disabled"), Verdict.PASSED),  # configuration said so: not a shortfall
    (("partial", "fail"), Verdict.FAILED),  # a failure is named first
])
def test_require_full_coverage_fails_a_partial_run(documented, expected):
    assert verdict(rows(documented, ("partial",)), full_coverage=True) is expected
    assert verdict(rows(documented, ("partial",))) is (
        Verdict.FAILED if "fail" in documented else Verdict.PASSED)


def test_the_readme_lists_every_exit_code():
    readme = (ROOT / "README.md").read_text()
    listed = readme[readme.index("Exit codes:"):].split("\n\n")[0]
    for code in ExitCode:
        assert f"**{code.value}**" in listed, code


@pytest.mark.parametrize(("documented", "model", "aborted"), [
    (documented, model, aborted) for documented, model, aborted, pytest_code, _, _ in TABLE
    if pytest_code in (0, 1)] + [(("fail",), ("pass",), True)])
@pytest.mark.parametrize("full", [False, True], ids=["", "require-full-coverage"])
def test_merge_and_run_agree_on_the_same_summary(documented, model, aborted, full, capsys):
    """A merge has the rows and the abort reason of its shards; a run of the same rows
    whose pytest ended as its rows say (1 with a failing test, else 0) exits the same."""
    summary = rows(documented, model)
    reason = "credentials stopped working" if aborted else None
    failing = any(row["status"] in ("fail", "error") for row in summary)
    run = SimpleNamespace(rows={row["id"]: row for row in summary},
                          context=SimpleNamespace(abort_reason=reason, stopped=None,
                                                  reporting_error=None,
                                                  replay="metastudio-conformance run",
                                                  settings=SimpleNamespace(
                                                      require_full_coverage=full)))
    document = {"requirements": summary, "aborted": reason, "require_full_coverage": full,
                "replay": "metastudio-conformance run"}
    assert cli._exit_code(1 if failing else 0, run) == merge.exit_code(document)
    capsys.readouterr()


@pytest.mark.parametrize(("codes", "expected"), [
    ((), ExitCode.OK),
    ((0, 5), ExitCode.NOTHING_TESTED),
    ((0, 1, 5), ExitCode.FAIL),
    ((1, 2), ExitCode.USAGE),  # a shard that could not start beats failures found elsewhere
    ((2, 3), ExitCode.UNREACHABLE),
    ((3, 130), ExitCode.INTERRUPTED),
    ((130, 4, 0), ExitCode.SUITE_ERROR),
    ((0, 127), ExitCode.SUITE_ERROR),  # not our code (a shell's "no such command")
])
def test_the_worst_of_several_codes(codes, expected):
    assert worst(codes) is expected


def test_every_exit_code_has_a_rank_and_a_meaning():
    assert sorted(SEVERITY) == sorted(ExitCode)
    assert all(meaning(code) for code in ExitCode)
    assert meaning(127).startswith("not an exit code of the suite")


def test_a_reporting_plugin_failure_is_a_suite_error_even_with_failures():
    """The reports of the run are incomplete: the table still names its failures."""
    summary = rows(("fail",), ("pass",))
    assert verdict(summary, reporting_failed=True) is Verdict.REPORTING_FAILED
    assert Verdict.REPORTING_FAILED.code == ExitCode.SUITE_ERROR
