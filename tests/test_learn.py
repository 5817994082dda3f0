"""Learned models, proven on the reference server (issue 20): a model learned from a
variant, held against the default server, fails exactly the model rules of the variant's
silent points, and nothing else; a model learned from a server passes against that same
server. The whole table is docs/learned-models.md (`python -m tests.learn_runs`)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from metastudio_conformance import cli
from tests.learn_runs import CASES, check, learn, learn_and_check

pytestmark = pytest.mark.slow  # whole CLI runs: a learn and a check per case

# A few cases of the table: one variant of each judged point, and a combination.
PROVEN = [("unknown-job-400",), ("excute-failed-refusal",), ("parts-query-anywhere",),
          ("unknown-job-400", "parts-query-anywhere", "answer-only-when-waiting")]


@pytest.mark.parametrize("variants", PROVEN, ids="+".join)
def test_default_server_fails_exactly_the_learned_variants_points(variants, tmp_path):
    outcome = learn_and_check(variants, tmp_path, seed=7)
    assert outcome.learned.code == 0, outcome.learned.stderr[-2000:]
    assert outcome.failed == CASES[variants], outcome.checked.stderr[-2000:]
    # Documented requirements are judged exactly as always: none fails. (A strict model
    # rule ends its test, so a documented rule checked later in it may be not-covered.)
    documented = [row["id"] for row in outcome.checked.results["requirements"]
                  if row["kind"] == "documented" and row["status"] in ("fail", "error")]
    assert documented == []


def test_the_failure_shows_both_answers_side_by_side(tmp_path):
    outcome = learn_and_check(("unknown-job-400",), tmp_path, seed=3)
    row = next(row for row in outcome.checked.results["requirements"] if row["id"] == "MOD-03")
    assert "learned from http://127.0.0.1:" in row["evidence"]
    assert "400 MSS.00000003" in row["evidence"]  # what the learned target answered
    assert "this target: 404" in row["evidence"]  # what this one did
    assert "not learned" in (outcome.checked.report_dir / "conformance.md").read_text()
    schema = json.loads((Path(__file__).parents[1] / "docs/results.schema.json").read_text())
    jsonschema.validate(outcome.checked.results, schema)  # learned_model, the new cells


@pytest.mark.parametrize("seed", [3, 19])
@pytest.mark.parametrize("variants", [(), ("excute-failed-refusal", "decide-from-pending")],
                         ids=lambda v: "+".join(v) or "default")
def test_a_server_passes_against_its_own_learned_model(variants, seed, tmp_path):
    model = tmp_path / "own.model.yaml"
    assert learn(variants, model, seed).code == 0
    checked = check(model, seed + 100, tmp_path / "check", *variants)
    assert checked.code == 0, checked.stderr[-2000:]
    assert checked.results["learned_model"]["not_learned"]  # listed, never silently passed


def test_diff_of_two_learned_variants(tmp_path, capsys):
    a, b = tmp_path / "a" / "a.model.yaml", tmp_path / "b" / "b.model.yaml"
    assert learn((), a, 5).code == 0 and learn(("unknown-job-400",), b, 5).code == 0
    assert cli.main(["diff", str(a), str(b)]) == 1
    shown = capsys.readouterr().out
    assert "unknown_job" in shown and "404 MSS.41000003" in shown and "400 MSS.00000003" in shown
    assert "refusal" not in shown  # the two agree there
    assert cli.main(["diff", "--markdown", str(a), str(a)]) == 0
