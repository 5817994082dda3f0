"""The near-miss probes follow the spec, pass on the reference server and catch the
lenient faults, naming each one's requirement."""

from __future__ import annotations

import copy
import re
import shutil

import pytest
import yaml

from metastudio_conformance import contract
from metastudio_conformance.strategies import near_misses
from metastudio_conformance.strategies.near_misses import CONTROL, OBSERVED, REFUSED
from tests.conftest import run_cli
from tests.test_faults import FAULTS

SELECT = ["--max-examples", "2", "-k", "test_near_misses"]
LENIENT_FAULTS = ["unknown-command-accepted", "chinese-user-id-accepted",
                  "comment-data-types-accepted"]


def _spec() -> dict:
    return copy.deepcopy(contract.raw_spec())


def _body_field(spec: dict, name: str) -> dict:
    return spec["components"]["schemas"]["ExecuteCommandRequestBody"]["properties"][name]


def _ids(spec: dict) -> set[str]:
    return {probe.id for probe in near_misses.probes(spec)}


def _refused_values(spec: dict, name: str) -> list:
    """The values of field `name` that the probes varying it send as invalid."""
    return [probe.body[name] for probe in near_misses.probes(spec)
            if probe.kind == REFUSED and probe.id.split(":")[1] == name]


# (a) The probes follow the spec.


@pytest.mark.parametrize("name", ["command", "command_message"])
def test_an_enum_value_the_spec_gains_is_probed(name):
    spec = _spec()
    _body_field(spec, name)["enum"].append("CONFIRM_SOMETHING_NEW")
    added = _ids(spec) - _ids(_spec())
    assert {f"POST:{name}:CONFIRM_SOMETHING_NEW:{how}" for how in (
        "middle-changed", "last-repeated", "last-removed", "case-flipped",
        "trailing-space")} == added
    assert "CONFIRM_SOMETHING_NEW" not in _refused_values(spec, name)


@pytest.mark.parametrize("name", ["command", "command_message"])
def test_documented_and_also_accepted_values_are_never_probed_as_invalid(name):
    field = _body_field(_spec(), name)
    documented = {*field["enum"], *field["x-also-accepted"]}
    refused = _refused_values(_spec(), name)
    assert field["x-also-accepted"] and not [value for value in refused
                                             if isinstance(value, str) and value in documented]
    # A later value one slip from a documented one is not probed either.
    spec = _spec()
    near = f"{field['enum'][0]} "
    _body_field(spec, name)["x-also-accepted"].append(near)
    assert near in _refused_values(_spec(), name)
    assert near not in _refused_values(spec, name)


def test_null_is_never_sent():
    def has_null(value) -> bool:
        if isinstance(value, dict):
            return any(has_null(item) for item in value.values())
        if isinstance(value, list):
            return any(has_null(item) for item in value)
        return value is None

    assert not [p.id for p in near_misses.probes() if p.body is not None and has_null(p.body)]


def _expected_rule(probe_id: str) -> str:
    """The brief's mapping, restated on purpose to check the strategy's."""
    _, field, detail = probe_id.split(":", 2)
    if field == "command":
        return "CMD-02"  # outside the options, a wrong type included
    if field == "X-App-UserId":
        return "HDR-02"
    wrong_type = detail.startswith(("as-", "item-as-"))
    if field.startswith("comment_data") or (field == "command_message" and wrong_type):
        return "CMD-07"
    return "VAL-01"  # command_message outside its options, the body not an object


def test_each_probe_names_the_rule_it_tests():
    for probe in near_misses.probes():
        expected = _expected_rule(probe.id) if probe.kind == REFUSED else None
        assert probe.requirement == expected, probe.id


def test_both_operations_are_probed_and_ids_are_readable():
    probes = near_misses.probes()
    operations = {probe.operation for probe in probes}
    assert operations == {contract.COMMAND_OPERATION, contract.DELETE_OPERATION}
    assert all(re.fullmatch(r"[A-Za-z0-9_.:+\-]+", probe.id) for probe in probes)
    assert 80 <= len(probes) <= 150  # moderate: each costs two or three requests


def test_every_request_constraint_has_probes():
    assert near_misses.unprobed() == []
    spec = _spec()
    spec["components"]["parameters"]["JobId"]["schema"]["pattern"] = "^[0-9a-f]{32}$"
    spec["components"]["schemas"]["CommentData"]["properties"]["comment_title"][
        "maxLength"] = 10
    assert set(near_misses.unprobed(spec)) == {
        "POST path job_id: pattern", "DELETE path job_id: pattern",
        "POST body.comment_data.comment_title: maxLength"}


def test_header_probes_follow_the_pattern():
    pattern = contract.app_user_id_pattern()
    compiled = re.compile(pattern)
    plain = contract.raw_spec()["components"]["parameters"]["XAppUserId"]["example"]
    for probe in near_misses.probes():
        if "X-App-UserId" not in probe.id:
            continue
        value = probe.headers["X-App-UserId"].decode("utf-8")
        assert (compiled.search(value) is None) == (probe.kind in (REFUSED, OBSERVED)), probe.id
        added = [c for c in value if c not in plain]
        assert len(added) == 1, probe.id  # exactly one character beyond a plain value
        assert (probe.kind == REFUSED) == near_misses.is_ideograph(ord(added[0])), probe.id
    # The widespread [\u4e00-\u9fa5] reading: the range's last edge follows the spec.
    spec = _spec()
    narrowed = pattern.replace("\u9fff", "\u9fa5")
    spec["components"]["parameters"]["XAppUserId"]["schema"]["pattern"] = narrowed
    ids = _ids(spec)
    assert "POST:X-App-UserId:U+9FA5-last-of-range" in ids
    assert "POST:X-App-UserId:U+9FA6-outside" in ids
    assert "POST:X-App-UserId:U+9FFF-last-of-range" not in ids


def test_a_pattern_of_another_form_is_reported_not_guessed():
    assert near_misses.excluded_ranges("^[a-z]+$") is None
    assert near_misses.excluded_ranges("^[^\\d]*$") is None  # a class escape, not a range
    assert near_misses.excluded_ranges("^[^\\u3000-\\u303F]*$") == [(0x3000, 0x303F)]


def test_kinds_of_header_probes():
    probes = [p for p in near_misses.probes() if "X-App-UserId" in p.id]
    kinds = {kind: [p for p in probes if p.kind == kind] for kind in (REFUSED, OBSERVED,
                                                                       CONTROL)}
    # The bundled spec (7 excluded ranges), per operation: 3 positions and 9 more
    # ideographs (range edges, or the last ideograph before an unassigned edge, less U+4E00
    # that "at-end" sends), 4 edges only the spec excludes (punctuation, unassigned), 12
    # characters just outside. The same on every Python: U+323AF (Extension H, Unicode
    # 15) is an ideograph by the block table, though 3.11's unicodedata (14.0) lacks it.
    assert [len(kinds[k]) for k in (REFUSED, OBSERVED, CONTROL)] == [24, 8, 24]
    assert "POST:X-App-UserId:U+323AF-last-of-range" in {p.id for p in kinds[REFUSED]}


# (b) and (c): the CLI against the reference server.


# test_wrapped_na_command_is_refused: per wrapper, the NA tenant's pair (CMD-02) and the
# standard tenant's probe, CMD-06's case (refused, as its plain twin is)
WRAPPED = [f"{wrapper}-{tenant}" for wrapper in ("as-list", "as-object")
           for tenant in ("na", "standard")]


def _unpassed(records: list[dict]) -> dict[str, str]:
    return {t["id"].split("::")[1]: t["status"] for t in records if t["status"] != "pass"}


def _near_miss_records(result) -> list[dict]:
    return [t for t in result.results["tests"] if "test_near_misses.py::" in t["id"]]


@pytest.mark.faults
def test_reference_server_passes_every_probe(tmp_path):
    result = run_cli(["run", "--seed", "1", *SELECT], tmp_path / "reports")
    assert result.code == 0, result.stderr[-2000:]
    records = _near_miss_records(result)
    assert len(records) == len(near_misses.probes()) + len(WRAPPED)
    assert _unpassed(records) == {}, [
        t for t in records if t["status"] != "pass"][:3]
    assert len(result.results["matrices"]["near_misses"]) == len(records)


@pytest.mark.faults
def test_documented_compatible_choices_pass_every_probe(tmp_path, server_factory):
    server = server_factory("--all-variants")
    result = run_cli([*server.run_args(), "--seed", "1", *SELECT], tmp_path / "reports",
                     env=server.env())
    assert result.code == 0, result.stderr[-2000:]
    assert _unpassed(_near_miss_records(result)) == {}


@pytest.mark.faults
@pytest.mark.parametrize("fault", LENIENT_FAULTS)
def test_lenient_fault_fails_naming_its_requirement(fault, tmp_path, server_factory):
    requirement = dict(FAULTS)[fault]
    server = server_factory("--fault", fault)
    result = run_cli([*server.run_args(), "--seed", "1", *SELECT], tmp_path / "reports",
                     env=server.env())
    assert result.code == 1, result.stderr[-2000:]
    assert result.failed() == {requirement}, (result.failed(), result.stderr[-2000:])
    failing = [t for t in _near_miss_records(result) if t["status"] == "fail"]
    assert failing and all(t["by_requirement"].get(requirement) == "fail" for t in failing)


@pytest.mark.faults
def test_a_chinese_check_that_stops_early_is_caught(tmp_path, server_factory, monkeypatch):
    """A server whose check is the widespread [\\u4e00-\\u9fa5] (its spec narrowed so)
    passes the default run's random Chinese ids (seeds 1 to 3, 2026-11-26); the range-edge
    probe U+9FFF catches it."""
    spec = _spec()
    parameter = spec["components"]["parameters"]["XAppUserId"]["schema"]
    parameter["pattern"] = parameter["pattern"].replace("\u9fff", "\u9fa5")
    folder = tmp_path / "spec"  # the server reads control.yaml beside its spec
    folder.mkdir()
    shutil.copy(contract.spec_path().parent / "control.yaml", folder)
    narrowed = folder / contract.spec_path().name
    narrowed.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("METASTUDIO_SPEC", str(narrowed))  # the server's spec, not the suite's
    server = server_factory()
    result = run_cli([*server.run_args(), "--seed", "1", *SELECT], tmp_path / "reports",
                     env=server.env())
    assert result.code == 1, result.stderr[-2000:]
    assert result.failed() == {"HDR-02"}, result.failed()
    failing = {t["id"].split("[")[1].rstrip("]") for t in _near_miss_records(result)
               if t["status"] == "fail"}
    assert failing == {"POST:X-App-UserId:U+9FFF-last-of-range",
                       "DELETE:X-App-UserId:U+9FFF-last-of-range"}


HDR_02_PROBES = ["-k", "test_near_miss_is_refused and X-App-UserId"]


@pytest.mark.faults
def test_newest_blocks_accepted_are_said_in_one_line(tmp_path, server_factory):
    """A server whose character table predates Unicode 13 fails HDR-02 on two probes per
    operation; the evidence says which blocks it accepted, in one line, before the
    exchanges: on the console, in results.json and in the conformance report."""
    server = server_factory("--fault", "cjk-extensions-g-h-accepted")
    result = run_cli([*server.run_args(), "--seed", "1", *HDR_02_PROBES],
                     tmp_path / "reports", env=server.env())
    assert result.code == 1, result.stderr[-2000:]
    assert result.failed() == {"HDR-02"}, result.failed()
    line = ("X-App-UserId: accepted: CJK Extension G (Unicode 13.0), CJK Extension H "
            "(Unicode 15.0); refused: every other block probed")
    row = next(r for r in result.results["requirements"] if r["id"] == "HDR-02")
    assert row["grouped"] == [line]
    assert row["evidence"].startswith(line + "\n")
    console = result.stdout
    assert console.index(line) < console.index("Failing exchange")
    assert console.count(line) == 1
    assert line in (result.report_dir / "conformance.md").read_text(encoding="utf-8")
    failing = {t["id"].split("[")[1].rstrip("]") for t in _near_miss_records(result)
               if t["status"] == "fail"}
    assert failing == {f"{method}:X-App-UserId:U+{point}" for method in ("POST", "DELETE")
                       for point in ("30000-first-of-range", "323AF-last-of-range")}
