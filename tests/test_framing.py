"""Every probe is a minimal pair: the framing probes and the near misses each differ from a
valid twin in one respect, and a run against the reference server shows each twin carried
out beside its probe."""

from __future__ import annotations

import json

import pytest
from jsonschema import Draft4Validator

from metastudio_conformance import contract
from metastudio_conformance.strategies import framing, near_misses
from metastudio_conformance.strategies.framing import OBSERVED, REFUSED
from metastudio_conformance.strategies.near_miss_probe import QUERY_COMMAND
from tests.conftest import run_cli

PROBES = framing.probes(contract.raw_spec())
SELECT = ["--max-examples", "2", "-k", "test_framing or test_near_misses"]


def _how(probe) -> tuple:
    return probe.data, probe.content_type, probe.chunked


def test_each_framing_probe_differs_from_its_twin_in_its_framing_only():
    twin_sent = (None, framing.JSON_TYPE, False)
    for probe in PROBES:
        assert _how(probe) != (probe.twin, *twin_sent[1:]), probe.id
        assert Draft4Validator(contract.schema("ExecuteCommandRequestBody")).is_valid(
            json.loads(probe.twin)), probe.id
    assert {p.id.split(":")[-1] for p in PROBES if p.verdict == OBSERVED} == {
        "bom", "duplicate-key", "text-plain", "no-content-type", "chunked"}
    assert {p.requirement for p in PROBES if p.verdict == REFUSED} == {"VAL-01"}


def test_the_deep_probe_is_ten_thousand_levels_deep():
    deep = next(p for p in PROBES if p.id.endswith("nested-10000"))
    assert deep.data.startswith(b"[" * 10_000 + b"{")


@pytest.mark.parametrize("label", ["as-list", "as-object"])
def test_a_wrong_type_of_command_wraps_the_query_command(label):
    probe = next(p for p in near_misses.probes() if p.id == f"POST:command:{label}")
    assert QUERY_COMMAND in repr(probe.body["command"])
    assert probe.twin_body == {"command": QUERY_COMMAND}


def test_every_near_miss_has_a_twin_that_differs_in_the_varied_part_only():
    lenient = Draft4Validator(contract.lenient_schema("ExecuteCommandRequestBody"))
    for probe in near_misses.probes():
        if probe.operation == contract.COMMAND_OPERATION:
            assert lenient.is_valid(probe.twin_body), probe.id
        assert (probe.body, probe.headers) != (probe.twin_body, probe.twin_headers), probe.id
        if probe.headers:  # a header probe keeps the body and varies the header's value
            assert probe.twin_body == probe.body and set(probe.twin_headers) == set(
                probe.headers), probe.id


@pytest.mark.faults
def test_each_twin_is_carried_out_beside_its_probe_in_the_same_run(tmp_path):
    result = run_cli(["run", "--seed", "1", *SELECT], tmp_path / "reports")
    assert result.code == 0, result.stderr[-2000:]
    rows = result.results["matrices"]["near_misses"]
    by_probe = {row["probe"]: row for row in rows}
    assert {p.id for p in PROBES} <= set(by_probe)
    judged = [row for row in rows if row.get("requirement") and "twin" in row]
    not_judged = [row["probe"] for row in judged if row["verdict"] == "not judged"]
    # only the standard tenant's wrapped NA-only command: its plain twin is CMD-06's refusal
    assert sorted(not_judged) == [f"POST:command:CONFIRM_ANSWER:{w}:standard"
                                  for w in ("as-list", "as-object")]
    for row in judged:
        if row["probe"] not in not_judged:
            assert row["twin_carried_out"] and row["verdict"] == "pass", row
    for probe in (p for p in PROBES if p.verdict == OBSERVED):
        assert by_probe[probe.id]["twin_observed"] == "200 EXCUTE_SUCCESS", probe.id
    assert by_probe["POST:framing:chunked"]["outcome"] == "like its twin"
