"""`--shard i/N` and `metastudio-conformance merge`, end to end.

Shards 1/2 and 2/2 of one run, merged, must say what the whole run says; merge must refuse
folders that are not shards of one run, with one line and exit 2, and join the shards that
have results when another failed, name it and end with the worst exit code.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from types import SimpleNamespace

import jsonschema
import pytest

from metastudio_conformance import merge, shards
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
    # every test passed, but the silent points': recorded, MOD-06 off (no learned model)
    assert {t["outcome"] for t in merged["tests"] if "test_silent_point[" not in t["id"]} \
        == {"passed"}
    assert {t["status"] for t in merged["tests"] if "test_silent_point[" in t["id"]} \
        == {"disabled"}
    assert merged["shards"] == ["1/2", "2/2"] and merged["shard"] is None
    assert "--shard" not in merged["replay"]
    assert merged["requests_sent"] == sum(p.results["requests_sent"] for p in sharded.parts)
    assert merged["jobs"] == {key: sum(p.results["jobs"][key] for p in sharded.parts)
                              for key in ("made", "reused")}
    assert {name: len(rows) for name, rows in merged["matrices"].items()} == {
        name: len(rows) for name, rows in sharded.whole.results["matrices"].items()}
    # each shard is partial where the other holds cases; the merge adds them up to the whole
    coverage = {row["id"]: (row["coverage"]["tried"], row["coverage"]["cases"])
                for row in merged["requirements"]}
    assert coverage == {row["id"]: (row["coverage"]["tried"], row["coverage"]["cases"])
                        for row in sharded.whole.results["requirements"]}
    for part in sharded.parts:
        assert "partial" in part.statuses().values()
        for row in part.results["requirements"]:
            assert row["coverage"]["tried"] <= coverage[row["id"]][0]


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


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _unreachable_shard(folder) -> subprocess.CompletedProcess:
    """Shard 2/2 through scripts/shard.sh against a closed port, as CI runs it."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("METASTUDIO_")}
    environ.update(METASTUDIO_TOKEN="token", METASTUDIO_PROJECT_ID="0" * 31 + "1",
                   METASTUDIO_TARGET=f"http://127.0.0.1:{_closed_port()}",
                   METASTUDIO_CLI=str(Path(sys.executable).parent / "metastudio-conformance"))
    return subprocess.run(["bash", str(ROOT / "scripts" / "shard.sh"), "2/2", str(folder),
                           "--seed", "9", "--max-examples", "5"], env=environ,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.slow
def test_merge_publishes_the_good_shard_and_names_the_failed_one(sharded, tmp_path):
    failed = _unreachable_shard(tmp_path / "shard-2")
    assert failed.returncode == 3, failed.stderr
    assert [p.name for p in (tmp_path / "shard-2").iterdir()] == ["exit-code"]
    out = tmp_path / "merged"
    result = run_cli(["merge", str(sharded.parts[0].report_dir), str(tmp_path / "shard-2"),
                      "--report-dir", str(out)], out, timeout=120)
    assert result.code == 3, result.stderr  # the worst of the merged 0 and the shard's 3
    assert ("shard shard-2 (exit 3: target unreachable) failed; no results: its tests did "
            "not run") in result.stderr
    merged = result.results
    assert merged["shards"] == ["1/2"]
    assert merged["failed_shards"] == [{"name": "shard-2", "exit_code": 3,
                                        "meaning": "target unreachable",
                                        "results_joined": False}]
    first = {t["id"]: t for t in sharded.parts[0].results["tests"]}
    for test in merged["tests"]:
        if first[test["id"]]["outcome"] == "other-shard":
            assert test["outcome"] == "not-run" and "shard-2 (exit 3" in test["reason"]
        else:
            assert test == first[test["id"]]
    assert "| Shard failed | shard-2: exit 3 (target unreachable); no results |" in (
        out / "conformance.md").read_text()
    schema = json.loads((ROOT / "docs" / "results.schema.json").read_text())
    jsonschema.validate(merged, schema)


def _exit_code_only(folder, code: str):
    folder.mkdir()
    (folder / "exit-code").write_text(code)
    return str(folder)


def test_merge_of_shards_that_all_failed_names_each_and_writes_nothing(tmp_path, capsys):
    folders = [_exit_code_only(tmp_path / "shard-1", "2\n"),
               _exit_code_only(tmp_path / "shard-2", "4\n")]
    assert merge.main([*folders, "--report-dir", str(tmp_path / "out")]) == 4
    err = capsys.readouterr().err
    assert "shard shard-1 (exit 2: usage or configuration error) failed" in err
    assert "shard shard-2 (exit 4: the suite could not complete) failed" in err
    assert "no shard left results; nothing to merge" in err
    assert not (tmp_path / "out").exists()


def test_an_exit_code_file_without_a_code_is_refused(tmp_path, capsys):
    folder = _exit_code_only(tmp_path / "shard-1", "oops")
    assert merge.main([folder, "--report-dir", str(tmp_path / "out")]) == 2
    assert "holds no exit code" in capsys.readouterr().err


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
