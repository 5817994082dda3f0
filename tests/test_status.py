"""Statuses: one ranked enum, the same strings as results.json and its schema."""

from __future__ import annotations

import json

import pytest

from metastudio_conformance import run_parts
from metastudio_conformance.recorder import Recorder
from metastudio_conformance.status import (
    FAILING,
    FINDINGS,
    JUDGED,
    UNTESTED,
    Placeholder,
    Status,
)
from tests.conftest import ROOT

SCHEMA = json.loads((ROOT / "docs" / "results.schema.json").read_text())


def test_statuses_are_listed_worst_first_and_ranked_so():
    assert [status.value for status in Status] == [
        "fail", "error", "deviation", "partial", "pass", "not-covered", "disabled"]
    ranks = [status.rank for status in Status]
    assert ranks == sorted(ranks, reverse=True) and len(set(ranks)) == len(ranks)


@pytest.mark.parametrize(("statuses", "worst"), [
    (["pass", "disabled", "not-covered"], Status.PASS),
    (["disabled", "not-covered"], Status.NOT_COVERED),
    (["pass", "deviation"], Status.DEVIATION),
    (["deviation", "error", "pass"], Status.ERROR),
    ([Status.ERROR, "fail", Status.PASS], Status.FAIL),
])
def test_the_worst_status_wins_from_members_and_plain_strings(statuses, worst):
    assert Status.worst(statuses) is worst


def test_a_status_is_its_string_in_json_and_in_comparisons():
    assert json.dumps({"status": Status.NOT_COVERED}) == '{"status": "not-covered"}'
    assert Status.FAIL == "fail" and f"{Status.PASS:<6}|" == "pass  |"
    assert "error" in FAILING and "deviation" in FINDINGS and "disabled" in UNTESTED
    assert "martian" not in JUDGED  # a status of another version is in no group
    # sorted as strings, as the console's counts line always was
    assert sorted([Status.PASS, "error", Status.DISABLED]) == ["disabled", "error", "pass"]


def test_groups_split_the_statuses():
    assert FAILING < FINDINGS
    assert JUDGED | UNTESTED == set(Status) and not JUDGED & UNTESTED


def test_the_schema_knows_every_status_and_placeholder():
    assert set(SCHEMA["definitions"]["status"]["enum"]) == set(Status)
    outcomes = SCHEMA["properties"]["tests"]["items"]["properties"]["outcome"]["enum"]
    assert set(Placeholder) <= set(outcomes)


def test_a_placeholder_gives_its_status_and_a_test_that_ran_beats_it():
    assert Placeholder.DESELECTED.status is Status.DISABLED
    assert Placeholder.OTHER_SHARD.status is Status.NOT_COVERED
    assert Placeholder.NOT_RUN.status is Status.NOT_COVERED
    recorder = Recorder()
    recorder.not_run("t::a", ["CMD-01"], Placeholder.OTHER_SHARD, "in shard 2/2")
    ran = {**recorder.tests[0], "outcome": "passed", "status": "pass",
           "by_requirement": {"CMD-01": "pass"}}
    for first, second in ((recorder.tests, [ran]), ([ran], recorder.tests)):
        assert run_parts.join_tests(first, second) == [ran]
    deselected = {**recorder.tests[0], "outcome": Placeholder.DESELECTED}
    assert run_parts.join_tests(recorder.tests, [deselected]) == [deselected]
