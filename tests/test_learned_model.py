"""The learned-model format (conformance/learned.py), its derivation from a run's records
(conformance/learn.py) and `diff` (conformance/model_diff.py), without a server."""

from __future__ import annotations

import pytest
import yaml

from metastudio_conformance import cli, lifecycle_model
from metastudio_conformance.config import ConfigError
from metastudio_conformance.learn import derive, warnings, write
from metastudio_conformance.learned import POINTS, UNKNOWN
from metastudio_conformance.redact import MASK, Redactor

TARGET = "https://staging.example"


def _cell(state, command, observed, model, *, code=None, after=None, verdict="pass"):
    row = {"state": state, "command": command, "observed": observed,
           "documented": "either (not documented)", "model": model, "verdict": verdict}
    if code:
        row["error_code"] = code
    if after:
        row["after"] = after
    return row


def _document(**matrices) -> dict:
    return {"suite_version": "0.1.0", "run_id": "msc-1", "matrices": matrices}


def _learned(tmp_path, document, name="x") -> tuple[dict, lifecycle_model.Model]:
    model = derive(document, TARGET, Redactor(["s3cr3t-token"]))
    path = tmp_path / f"{name}.model.yaml"
    write(model, path)
    return model, lifecycle_model.load(path)


def test_shipped_profiles_load_as_before_without_a_learned_section():
    for name in ("reference", "strict"):
        assert lifecycle_model.load(name).learned is None


def test_every_silent_point_is_written_unknown_when_nothing_was_seen(tmp_path):
    model, loaded = _learned(tmp_path, _document())
    points = model["learned"]["points"]
    assert set(points) == set(POINTS) - {"commands"}
    assert set(points.values()) == {UNKNOWN}
    assert (loaded.refusal, loaded.unknown_job) == ("either", "either")  # either passes
    assert set(model["learned"]["provenance"]) == {"target", "suite_version", "spec_sha256",
                                                   "run_id", "date"}
    assert loaded.learned.not_learned() == [key for key in POINTS if key != "commands"]


def test_choices_are_learned_with_count_and_redacted_evidence(tmp_path):
    document = _document(
        commands_standard=[_cell("AUTO_VERIFYING", "SUBMITVERIFYING", "400", "refused",
                                 code="MSS.00000003")] * 3,
        unknown_job=[{"operation": "DELETE", "observed": "404 MSS.41000003 s3cr3t-token"}])
    model, loaded = _learned(tmp_path, document)
    refusal = model["learned"]["points"]["refusal"]
    assert (refusal["answer"], refusal["seen"]) == ("400", 3)
    assert refusal["evidence"]["answer"] == "400 MSS.00000003"
    assert loaded.refusal == "400" and loaded.unknown_job == "404"
    assert MASK in model["learned"]["points"]["unknown_job"]["evidence"]["answer"]
    assert loaded.learned.said("unknown_job").startswith(f"learned from {TARGET}: 404")


def test_a_question_answered_both_ways_is_either_with_both_answers_and_a_warning(tmp_path):
    document = _document(commands_standard=[
        _cell("AUTO_VERIFYING", "SUBMITVERIFYING", "400", "refused"),
        _cell("JOB_FINISH", "SUBMITVERIFYING", "200 EXCUTE_FAILED", "refused"),
        _cell("JOB_REJECT", "SUBMITVERIFYING", "400", "refused")])
    model, loaded = _learned(tmp_path, document)
    refusal = model["learned"]["points"]["refusal"]
    assert refusal["answer"] == "either"
    assert refusal["answers"] == {"400": 2, "excute-failed": 1}
    assert len(refusal["evidence"]) == 2
    assert loaded.refusal == "either" and loaded.learned.inconsistent() == ["refusal"]
    assert len(warnings(model)) == 1


def test_the_table_follows_the_target_where_it_departs_from_the_default_model(tmp_path):
    document = _document(commands_standard=[
        _cell("JOB_FINISH", "GET_MULTIPART_UPLOADED", "200 EXCUTE_SUCCESS", "refused",
              after="JOB_FINISH", verdict="deviation"),
        _cell("WAIT_FILE_UPLOAD", "GET_MULTIPART_UPLOADED", "400", "accepted",
              code="MSS.00000003", verdict="deviation")],
        commands_na=[_cell("JOB_PENDING", "CONFIRM_ACCEPT", "200 EXCUTE_SUCCESS", "refused",
                           after="JOB_FINISH", verdict="deviation")])
    model, loaded = _learned(tmp_path, document)
    query = {"command": "GET_MULTIPART_UPLOADED"}
    finished = loaded.predict(lifecycle_model.JobModel("JOB_FINISH"), query, "standard")
    assert finished.accepted and finished.reason == f"learned from {TARGET}: 200 EXCUTE_SUCCESS"
    assert not loaded.predict(lifecycle_model.JobModel("WAIT_FILE_UPLOAD"), query,
                              "standard").accepted
    accept = loaded.predict(lifecycle_model.JobModel("JOB_PENDING"),
                            {"command": "CONFIRM_ACCEPT"}, "na")
    assert accept.accepted and accept.transition.target == "JOB_FINISH"
    assert model["learned"]["commands"]["na"]["JOB_PENDING"]["CONFIRM_ACCEPT"] == \
        "200 EXCUTE_SUCCESS -> JOB_FINISH"


@pytest.mark.parametrize("learned", [
    "not a mapping", {"points": {"no_such_point": UNKNOWN}}, {"points": {"refusal": "400"}},
    {"provenance": {"colour": "blue"}}])
def test_a_malformed_learned_section_is_a_configuration_error(learned, tmp_path):
    path = tmp_path / "bad.yaml"
    data = yaml.safe_load(lifecycle_model.DEFAULT.read_text())
    path.write_text(yaml.safe_dump({**data, "learned": learned}))
    with pytest.raises(ConfigError, match="learned"):
        lifecycle_model.load(path)


def test_diff_exits_0_when_models_agree_and_1_with_a_table_when_they_differ(tmp_path, capsys):
    refused = _cell("AUTO_VERIFYING", "SUBMITVERIFYING", "400", "refused", code="MSS.00000003")
    failed = _cell("AUTO_VERIFYING", "SUBMITVERIFYING", "200 EXCUTE_FAILED", "refused")
    _learned(tmp_path, _document(commands_standard=[refused]), "a")
    _learned(tmp_path, _document(commands_standard=[failed]), "b")
    a, b = str(tmp_path / "a.model.yaml"), str(tmp_path / "b.model.yaml")
    assert cli.main(["diff", a, a]) == 0
    assert cli.main(["diff", "--markdown", a, b]) == 1
    table = capsys.readouterr().out
    assert "| refusal | 400: 400 MSS.00000003 | excute-failed: 200 EXCUTE_FAILED |" in table
    assert "SUBMITVERIFYING in AUTO_VERIFYING" not in table  # both refuse: one point, above
    assert cli.main(["diff", a, str(lifecycle_model.DEFAULT)]) == 2


def _pair_row(point, answer, observed="200 (empty body)"):
    return {"point": point, "title": POINTS[point], "sent": "DELETE of a job", "answer": answer,
            "observed": observed, "verdict": "recorded"}


def test_silent_points_are_learned_from_their_pairs(tmp_path):
    document = _document(silent_points=[
        _pair_row("delete_success_status", "204", "204 (empty body)"),
        _pair_row("delete_success_status", "204", "204 (empty body)"),
        _pair_row("body_size", None),  # the pair could not tell: nothing learned
        _pair_row("request_framing.chunked", "like its twin"),
        _pair_row("request_framing.chunked", "refused (411)", "411 s3cr3t-token")])
    model, loaded = _learned(tmp_path, document)
    points = model["learned"]["points"]
    assert points["delete_success_status"] == {
        "answer": "204", "seen": 2,
        "evidence": {"request": "DELETE of a job", "answer": "204 (empty body)"}}
    assert points["body_size"] == UNKNOWN
    assert points["request_framing.chunked"]["answers"] == {"like its twin": 1,
                                                            "refused (411)": 1}
    assert MASK in str(points["request_framing.chunked"]["evidence"])
    assert "body_size" in loaded.learned.not_learned()
    assert loaded.learned.inconsistent() == ["request_framing.chunked"]


def test_mod_06_holds_a_target_to_the_learned_label_and_accepts_each_of_either():
    from metastudio_conformance import rules
    from metastudio_conformance.outcomes import Violation

    rules.silent_point_as_learned("10. DELETE success status", "204", "204", ["204"], "l")
    rules.silent_point_as_learned("19. chunked", "refused (411)", "411",
                                  ["like its twin", "refused (411)"], "l")
    with pytest.raises(Violation) as caught:
        rules.silent_point_as_learned("10. DELETE success status", "200", "200 (empty body)",
                                      ["204"], "learned from https://staging: 204")
    assert caught.value.requirement == "MOD-06"
    assert "this target: 200 (200 (empty body))" in str(caught.value.received)
    assert caught.value.documented == "learned from https://staging: 204"


@pytest.mark.parametrize("answer, parts", [("no part", 0), ("1 part", 1), ("3 parts", 3)])
def test_the_parts_of_a_seeded_job_follow_what_was_learned(answer, parts, tmp_path):
    document = _document(silent_points=[_pair_row("seeded_parts", answer, "200 {...}")])
    _, loaded = _learned(tmp_path, document)
    assert loaded.seeded_parts == parts  # what MOD-04 then expects of a seeded job
    _, unlearned = _learned(tmp_path, _document(), "none")
    assert unlearned.seeded_parts == lifecycle_model.load(None).seeded_parts


@pytest.mark.parametrize("where", ["a-file/x.model.yaml", "."])
def test_learn_refuses_an_unwritable_model_path_before_it_runs(where, tmp_path, monkeypatch,
                                                               capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a-file").write_text("not a folder")
    assert cli.main(["learn", "--out", str(tmp_path / where), "--seed", "1"]) == 2
    said = capsys.readouterr().err.strip().splitlines()
    assert len(said) == 1 and said[0].startswith("metastudio-conformance: cannot write the "
                                                 "model to ")
    assert not (tmp_path / "conformance-reports").exists()  # no run was started


def test_the_learn_proof_learns_every_reference_variant():
    """tests/test_learn.py learns each variant alone: a new variant needs its row (what a
    model learned from it must fail on the default server)."""
    from metastudio_conformance.reference_server.variants import REGISTRY
    from tests.learn_runs import SINGLE

    assert {variants[0] for variants in SINGLE if variants} == set(REGISTRY)
