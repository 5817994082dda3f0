"""The exit codes of the commands, and the one policy that picks the verdict of a run, for
`run` and for `merge` alike, so a merged run ends as the same run in one process would.

Each command words the verdict its own way (`run` names the abort reason, `merge` the
shard that stopped); the code and the order of the checks are decided here only, and so
is `worst`, which code a night of several shards ends with.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum, IntEnum
from typing import Any

from metastudio_conformance.status import PASSING, Status


class ExitCode(IntEnum):
    OK = 0  # every requirement that ran passed
    FAIL = 1  # conformance failures
    USAGE = 2  # usage or configuration error, or a setup the preflight refused
    UNREACHABLE = 3  # the target did not answer
    SUITE_ERROR = 4  # the suite itself could not complete (error status)
    NOTHING_TESTED = 5  # every documented requirement not covered or disabled
    INTERRUPTED = 130  # Ctrl-C, as a shell reports SIGINT


MEANING = {
    ExitCode.OK: "passed",
    ExitCode.FAIL: "conformance failures",
    ExitCode.USAGE: "usage or configuration error",
    ExitCode.UNREACHABLE: "target unreachable",
    ExitCode.SUITE_ERROR: "the suite could not complete",
    ExitCode.NOTHING_TESTED: "no documented requirement tested",
    ExitCode.INTERRUPTED: "interrupted",
}

# Worst first, for a night made of several runs (merged shards). A code that judged nothing
# beats one that judged, so a failure found by one shard never hides that another could
# not run: the suite's own breakage first, then a stopped run, a silent target and a
# refused setup. Of the judged codes a failure beats "nothing tested", which beats a pass.
SEVERITY = (ExitCode.SUITE_ERROR, ExitCode.INTERRUPTED, ExitCode.UNREACHABLE, ExitCode.USAGE,
            ExitCode.FAIL, ExitCode.NOTHING_TESTED, ExitCode.OK)


def as_exit_code(code: int) -> ExitCode:
    """One of the suite's codes; any other (a shell's 127, a signal's 137) is a suite error."""
    return ExitCode(code) if code in ExitCode._value2member_map_ else ExitCode.SUITE_ERROR


def meaning(code: int) -> str:
    """What an exit code says, in a few words, for a line naming a shard."""
    if code in ExitCode._value2member_map_:
        return MEANING[ExitCode(code)]
    return "not an exit code of the suite: it could not run"


def worst(codes: Iterable[int]) -> ExitCode:
    """The exit code of several runs taken as one: the worst by SEVERITY (OK for none)."""
    return min((as_exit_code(code) for code in codes), key=SEVERITY.index,
               default=ExitCode.OK)


class Verdict(Enum):
    """How a run ended, with its exit code."""

    ABORTED = "aborted", ExitCode.SUITE_ERROR  # the run stopped itself (credentials refused)
    INTERRUPTED = "interrupted", ExitCode.INTERRUPTED
    REPORTING_FAILED = "reporting plugin failed", ExitCode.SUITE_ERROR  # reports incomplete
    FAILED = "failed", ExitCode.FAIL
    COVERAGE_SHORT = "coverage short of full", ExitCode.FAIL  # --require-full-coverage
    NO_TEST_SELECTED = "no test selected", ExitCode.USAGE
    PYTEST_INTERNAL_ERROR = "pytest internal error", ExitCode.SUITE_ERROR
    PYTEST_USAGE_ERROR = "pytest usage error", ExitCode.USAGE
    INCOMPLETE = "incomplete", ExitCode.SUITE_ERROR  # an error status, or pytest failed
    NOTHING_TESTED = "nothing tested", ExitCode.NOTHING_TESTED
    PASSED = "passed", ExitCode.OK

    def __init__(self, _: str, code: ExitCode) -> None:
        self.code = code


def verdict(rows: Iterable[dict[str, Any]], aborted: bool = False,
            pytest_code: int = 0, stopped: bool = False,
            reporting_failed: bool = False, full_coverage: bool = False) -> Verdict:
    """The verdict of a run from its requirement rows (`results.Recorder.summary`, or
    results.json's `requirements`). `pytest_code` and `stopped` (--max-failures ended the
    run) are the run's own; a merge has neither. `reporting_failed`: a reporting plugin
    raised (results.json `reporting_error`), so the reports are incomplete.
    `full_coverage` (--require-full-coverage): a documented requirement `partial` or
    `not-covered` fails a run that would otherwise pass."""
    from pytest import ExitCode as Pytest  # here: `cleanup` and `requirements` need no pytest

    rows = list(rows)
    statuses = {row["status"] for row in rows}
    if aborted:  # pytest says "interrupted" too
        return Verdict.ABORTED
    if pytest_code == Pytest.INTERRUPTED and not stopped:  # Ctrl-C; xdist says
        return Verdict.INTERRUPTED  # "interrupted" of --max-failures too
    if reporting_failed:  # the table still names the failures; the reports miss some
        return Verdict.REPORTING_FAILED
    if Status.FAIL in statuses:
        return Verdict.FAILED
    if pytest_code == Pytest.NO_TESTS_COLLECTED:
        return Verdict.NO_TEST_SELECTED
    if pytest_code == Pytest.INTERNAL_ERROR:
        return Verdict.PYTEST_INTERNAL_ERROR
    if pytest_code == Pytest.USAGE_ERROR:
        return Verdict.PYTEST_USAGE_ERROR
    if Status.ERROR in statuses or pytest_code != Pytest.OK:
        return Verdict.INCOMPLETE
    documented = [row for row in rows if row.get("kind") == "documented"]
    if full_coverage and any(row["status"] in (Status.PARTIAL, Status.NOT_COVERED)
                             for row in documented):
        return Verdict.COVERAGE_SHORT
    if not any(row["status"] in PASSING for row in documented):
        return Verdict.NOTHING_TESTED
    return Verdict.PASSED


def failed(rows: Iterable[dict[str, Any]]) -> list[str]:
    """The requirements that failed, as the FAILED verdict names them."""
    return [row["id"] for row in rows if row["status"] == Status.FAIL]
