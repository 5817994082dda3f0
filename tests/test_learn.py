"""Learned models, proven on the reference server (issue 20): a model learned from a
variant, held against the default server, fails exactly the variant's points (the model
rule of its lifecycle point, or the silent point MOD-06 reads), and nothing else, each
failure with both answers side by side; a model learned from a server passes against that
same server, over ten seeds and as many random combinations of variants. The whole table
is docs/learned-models.md (`python -m tests.learn_runs`)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from metastudio_conformance import cli
from tests.learn_runs import (
    COMBINED,
    SINGLE,
    any_combination,
    check,
    combo_seed,
    expected,
    learn,
    learn_and_check,
    random_combinations,
)

pytestmark = pytest.mark.slow  # whole CLI runs: a learn and a check per case
SCHEMA = json.loads((Path(__file__).parents[1] / "docs/results.schema.json").read_text())
CASES = [*SINGLE, *COMBINED, *random_combinations(combo_seed())]


@pytest.mark.parametrize("variants", CASES, ids=lambda v: "+".join(v) or "default")
def test_default_server_fails_exactly_the_learned_variants_points(variants, tmp_path):
    outcome = learn_and_check(variants, tmp_path, seed=7)
    assert outcome.learned.code == 0, outcome.learned.stderr[-2000:]
    assert outcome.failed == expected(variants), outcome.checked.stdout[-3000:]
    results = outcome.checked.results
    jsonschema.validate(results, SCHEMA)
    # Documented requirements are judged exactly as always: none fails. (A strict model
    # rule ends its test, so a documented rule checked later in it may be not-covered.)
    rows = {row["id"]: row for row in results["requirements"]}
    assert [rid for rid, row in rows.items() if row["kind"] == "documented"
            and row["status"] in ("fail", "error")] == []
    # Every failure says what the learned target answered beside what this one did.
    for rid in outcome.checked.failed():
        assert "learned from http://127.0.0.1:" in rows[rid]["evidence"], rid
        assert "this target: " in rows[rid]["evidence"], rid
    # The reference server has the control interface: every silent point is learned.
    assert results["learned_model"]["not_learned"] == []
    assert rows["MOD-06"]["coverage"]["tried"] == rows["MOD-06"]["coverage"]["cases"] == 20


@pytest.mark.parametrize("seed", range(1, 11))
def test_a_server_passes_against_its_own_learned_model(seed, tmp_path):
    variants = any_combination(seed)
    model = tmp_path / "own.model.yaml"
    learned = learn(variants, model, seed)
    assert learned.code == 0, learned.stderr[-2000:]
    checked = check(model, seed + 100, tmp_path / "check", *variants)
    assert checked.code == 0, f"{variants}: " + checked.stdout[-3000:]
    verdicts = {row["point"]: row["verdict"]
                for row in checked.results["matrices"]["silent_points"]}
    assert "differs" not in verdicts.values() and len(verdicts) == 20, verdicts


def test_a_target_answering_two_ways_is_learned_either_with_a_warning(tmp_path):
    """Three rounds of the DELETE pair see 200, 204, 200: the point is `either`, both
    answers counted, and a mock answering either one passes."""
    model = tmp_path / "alternating.model.yaml"
    learned = learn(("delete-status-alternates",), model, 9)
    assert learned.code == 0, learned.stderr[-2000:]
    assert "warning: delete_success_status: the target answered both ways" in learned.stderr
    point = yaml.safe_load(model.read_text())["learned"]["points"]["delete_success_status"]
    assert (point["answer"], point["answers"]) == ("either", {"200": 2, "204": 1})
    checked = check(model, 10, tmp_path / "check", "delete-204")
    assert checked.code == 0, checked.stdout[-3000:]
    rows = [row for row in checked.results["matrices"]["silent_points"]
            if row["point"] == "delete_success_status"]
    assert {row["verdict"] for row in rows} == {"agrees"} and rows[0]["answer"] == "204"
    assert "delete_success_status" in checked.results["learned_model"]["inconsistent"]


def test_diff_of_two_learned_variants(tmp_path, capsys):
    a, b = tmp_path / "a" / "a.model.yaml", tmp_path / "b" / "b.model.yaml"
    assert learn((), a, 5).code == 0 and learn(("unknown-job-400", "delete-204"), b, 5).code == 0
    assert cli.main(["diff", str(a), str(b)]) == 1
    shown = capsys.readouterr().out
    assert "unknown_job" in shown and "404 MSS.41000003" in shown and "400 MSS.00000003" in shown
    assert "delete_success_status" in shown
    assert "refusal" not in shown and "body_size" not in shown  # the two agree there
    assert cli.main(["diff", "--markdown", str(a), str(a)]) == 0
