"""`--shard i/N` and `metastudio-conformance merge`, end to end, and the nightly matrix.

Shards 1/2 and 2/2 of one run, merged, must say what the whole run says; merge must refuse
folders that are not shards of one run, with one line and exit 2.
"""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from types import SimpleNamespace

import jsonschema
import pytest
import yaml

from metastudio_conformance import shards
from tests.conftest import ROOT, run_cli

RUN = ["run", "--seed", "9", "--max-examples", "5"]


@pytest.fixture(scope="module")
def sharded(tmp_path_factory):
    base = tmp_path_factory.mktemp("shards")
    parts = [run_cli([*RUN, "--shard", f"{i}/2"], base / f"shard-{i}") for i in (1, 2)]
    whole = run_cli(RUN, base / "whole")
    merged = run_cli(["merge", str(parts[0].report_dir), str(parts[1].report_dir),
                      "--report-dir", str(base / "merged")], base / "merged")
    return SimpleNamespace(parts=parts, whole=whole, merged=merged, base=base)


def _ids(result) -> set[str]:
    return {test["id"] for test in result.results["tests"]}


@pytest.mark.slow
def test_merged_shards_say_what_the_whole_run_says(sharded):
    assert [p.code for p in sharded.parts] == [0, 0], sharded.parts[1].stderr[-2000:]
    assert sharded.whole.code == 0 and sharded.merged.code == 0, sharded.merged.stderr
    assert sharded.merged.statuses() == sharded.whole.statuses()
    assert _ids(sharded.merged) == _ids(sharded.whole)
    merged = sharded.merged.results
    assert {t["outcome"] for t in merged["tests"]} == {"passed"}
    assert merged["shards"] == ["1/2", "2/2"] and merged["shard"] is None
    assert "--shard" not in merged["replay"]
    assert merged["requests_sent"] == sum(p.results["requests_sent"] for p in sharded.parts)
    assert merged["jobs"] == {key: sum(p.results["jobs"][key] for p in sharded.parts)
                              for key in ("made", "reused")}
    assert {name: len(rows) for name, rows in merged["matrices"].items()} == {
        name: len(rows) for name, rows in sharded.whole.results["matrices"].items()}


@pytest.mark.slow
def test_each_shard_runs_its_part_and_records_the_rest_as_elsewhere(sharded):
    first, second = (p.results for p in sharded.parts)
    ran = [{t["id"] for t in doc["tests"] if t["outcome"] != "other-shard"}
           for doc in (first, second)]
    assert ran[0] and ran[1] and not ran[0] & ran[1]
    assert ran[0] | ran[1] == _ids(sharded.whole)
    for doc, number in ((first, 1), (second, 2)):
        assert doc["shard"] == f"{number}/2"
        elsewhere = [t for t in doc["tests"] if t["outcome"] == "other-shard"]
        assert all(t["status"] == "not-covered" for t in elsewhere)
        for row in doc["requirements"]:
            if row["status"] == "not-covered":  # covered only by the other shard's tests
                assert row["evidence"].startswith(f"not covered here: shard {number}/2")


@pytest.mark.slow
def test_merged_folder_has_one_junit_and_one_allure_folder(sharded):
    merged = sharded.merged.report_dir
    cases = list(ET.parse(merged / "junit.xml").getroot().iter("testcase"))
    assert len(cases) == len(_ids(sharded.whole))
    assert all(case.find("properties") is not None for case in cases)
    results = list((merged / "allure-results").glob("*-result.json"))
    assert len(results) == len(_ids(sharded.whole))
    assert (merged / "allure-results" / "environment.properties").is_file()
    report = (merged / "conformance.md").read_text()
    assert "documented requirements pass" in report and "| Shards merged | 1/2, 2/2 |" in report
    assert "| Shard | 1/2 (" in (sharded.parts[0].report_dir / "conformance.md").read_text()


@pytest.mark.slow
def test_shards_and_their_merge_follow_the_documented_schema(sharded):
    schema = json.loads((ROOT / "docs" / "results.schema.json").read_text())
    for result in (*sharded.parts, sharded.merged):
        jsonschema.validate(result.results, schema)


def _edited_copy(source, target, **changes):
    shutil.copytree(source, target)
    path = target / "results.json"
    document = json.loads(path.read_text())
    document.update(changes)
    path.write_text(json.dumps(document))
    return target


@pytest.mark.parametrize(("make", "message"), [
    (lambda s, t: [s[0], _edited_copy(s[1], t / "other", seed=10)],
     "are not shards of one run: seed 9 vs 10"),
    (lambda s, t: [s[0], _edited_copy(s[1], t / "other", max_examples=6)],
     "are not shards of one run: max_examples 5 vs 6"),
    (lambda s, t: [s[0], _edited_copy(s[1], t / "other", shard="2/3")],
     "the shards split the tests differently"),
    (lambda s, t: [s[0], s[0]], "a shard is given twice"),
    (lambda s, t: [s[0]], "shard(s) 2/2 missing"),
    (lambda s, t: [s[0], t / "nowhere"], "is not a folder"),
    (lambda s, t: [s[0], t], "no results.json in"),
])
@pytest.mark.slow
def test_merge_refuses_what_is_not_one_run(sharded, tmp_path, make, message):
    folders = make([p.report_dir for p in sharded.parts], tmp_path)
    result = run_cli(["merge", *map(str, folders), "--report-dir", str(tmp_path / "out")],
                     tmp_path / "out", timeout=60)
    assert result.code == 2, result.stderr
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out" / "results.json").exists()


@pytest.mark.slow
def test_a_whole_run_is_not_a_shard(sharded, tmp_path):
    result = run_cli(["merge", str(sharded.whole.report_dir), "--report-dir",
                      str(tmp_path / "out")], tmp_path / "out", timeout=60)
    assert result.code == 2 and "is not a shard's report folder" in result.stderr


class _Item:
    def __init__(self, nodeid, hypothesis=False, marker=None):
        self.nodeid, self.module = nodeid, SimpleNamespace(__name__=nodeid.split("::")[0])
        self.obj = SimpleNamespace(hypothesis=object()) if hypothesis else None
        self.marker = marker

    def get_closest_marker(self, name):
        return object() if name == self.marker else None


def test_a_test_running_an_inner_given_weighs_as_its_examples():
    """The validation series are plain functions running @given inside: marked."""
    assert shards.cost(_Item("test_a::series", marker="hypothesis"), 40) == \
        shards.cost(_Item("test_a::given", hypothesis=True), 40) == 20
    assert shards.cost(_Item("test_a::probe"), 40) == 1


def test_split_is_deterministic_and_balanced_by_cost():
    items = [_Item(f"test_a::t{i}") for i in range(40)] + [
        _Item(f"test_b::h{i}", hypothesis=True) for i in range(4)]
    parts = [shards.split(items, f"{i}/2", max_examples=40)[0] for i in (1, 2)]
    assert [[it.nodeid for it in p] for p in parts] == [
        [it.nodeid for it in shards.split(list(reversed(items)), f"{i}/2", 40)[0]][::-1]
        for i in (1, 2)]  # whatever order they were collected in
    assert sorted(it.nodeid for p in parts for it in p) == sorted(it.nodeid for it in items)
    costs = [sum(shards.cost(it, 40) for it in p) for p in parts]
    assert abs(costs[0] - costs[1]) <= 20  # 2 x 20 + 20 probes each, not 22 tests each
    assert [sum(1 for it in p if it.obj) for p in parts] == [2, 2]


def test_nightly_runs_shards_as_a_matrix_then_merges_them():
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "nightly.yml").read_text())
    jobs = workflow["jobs"]
    matrix = jobs["shard"]["strategy"]["matrix"]["shard"]
    assert matrix == list(range(1, workflow["env"]["SHARDS"] + 1))
    run_step = next(s for s in jobs["shard"]["steps"] if "--shard" in s.get("run", ""))
    assert "${{ matrix.shard }}/${{ env.SHARDS }}" in run_step["run"]
    assert "--seed ${{ github.run_id }}" in run_step["run"]  # one seed for every shard
    upload = next(s for s in jobs["shard"]["steps"] if "upload-artifact" in s.get("uses", ""))
    assert upload["with"]["name"] == "shard-${{ matrix.shard }}" and upload["if"] == "always()"
    merge = jobs["conformance"]
    assert merge["needs"] == "shard" and "always()" in merge["if"]
    uses = [step.get("uses", "") for step in merge["steps"]]
    download = next(s for s in merge["steps"] if "download-artifact" in s.get("uses", ""))
    assert download["with"]["pattern"] == "shard-*"
    nightly = next(s for s in merge["steps"] if s.get("id") == "nightly")
    assert nightly["env"]["NIGHTLY_SHARDS_DIR"] == download["with"]["path"]
    restore, save = (uses.index(f"actions/cache/{a}@v4") for a in ("restore", "save"))
    assert uses.index(download["uses"]) < restore < merge["steps"].index(nightly) < save
    assert jobs["publish"]["needs"] == "conformance"
    script = (ROOT / "scripts" / "nightly.sh").read_text()
    assert 'set -- merge "$NIGHTLY_SHARDS_DIR"/*/ --report-dir "$report_dir"' in script
