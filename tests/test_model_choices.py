"""The lifecycle model's open choices (refusal style, unknown-job answer): parsed once, into
enums, when the profile loads; a bad value is one configuration error."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from metastudio_conformance import lifecycle_model, rules
from metastudio_conformance.config import ConfigError
from metastudio_conformance.lifecycle_model import RefusalStyle, UnknownJobAnswer
from metastudio_conformance.outcomes import Violation


def profile(tmp_path, choices: str):
    """The reference profile with other choices (YAML keeps the last of a repeated key)."""
    path = tmp_path / "model.yaml"
    path.write_text(lifecycle_model.DEFAULT.read_text() + choices)
    return path


def test_shipped_profiles_parse_to_enums():
    reference, strict = lifecycle_model.load(), lifecycle_model.load("strict")
    assert (reference.refusal, reference.unknown_job) == (RefusalStyle.EITHER,
                                                          UnknownJobAnswer.EITHER)
    assert (strict.refusal, strict.unknown_job) == (RefusalStyle.BAD_REQUEST,
                                                    UnknownJobAnswer.NOT_FOUND)
    assert f"{strict.refusal} {strict.unknown_job}" == "400 404"  # as messages print them


@pytest.mark.parametrize(("choices", "refusal", "unknown_job"), [
    ("refusal: 400\nunknown_job: 400\n", RefusalStyle.BAD_REQUEST, UnknownJobAnswer.BAD_REQUEST),
    ('refusal: "400"\nunknown_job: "404"\n', RefusalStyle.BAD_REQUEST, UnknownJobAnswer.NOT_FOUND),
    ("refusal: excute-failed\nunknown_job: either\n", RefusalStyle.EXCUTE_FAILED,
     UnknownJobAnswer.EITHER),
])
def test_numbers_and_strings_give_the_same_choice(tmp_path, choices, refusal, unknown_job):
    loaded = lifecycle_model.load(profile(tmp_path, choices))
    assert (loaded.refusal, loaded.unknown_job) == (refusal, unknown_job)


@pytest.mark.parametrize(("choices", "message"), [
    ("refusal: 500\n", "refusal must be 400, excute-failed or either"),
    ("refusal: [400]\n", "refusal must be 400, excute-failed or either"),
    ("unknown_job: gone\n", "unknown_job must be 404, 400 or either"),
])
def test_a_bad_choice_is_one_configuration_error(tmp_path, choices, message):
    with pytest.raises(ConfigError, match=message) as caught:
        lifecycle_model.load(profile(tmp_path, choices))
    assert "\n" not in str(caught.value)


def answer(status: int, result: str | None = None):
    return SimpleNamespace(status=status, field=lambda name: result,
                           describe=lambda: f"{status} {result}")


def accepts(unit, *args) -> bool:
    """The choice is judged by its requirement's one unit (rules.py), not by the enum."""
    try:
        unit("the request", *args)
    except Violation:
        return False
    return True


@pytest.mark.parametrize(("style", "accepted"), [
    (RefusalStyle.BAD_REQUEST, {"400"}),
    (RefusalStyle.EXCUTE_FAILED, {"excute-failed"}),
    (RefusalStyle.EITHER, {"400", "403", "excute-failed"}),
])
def test_each_refusal_style_accepts_its_answers(style, accepted):
    answers = {"400": answer(400), "403": answer(403),
               "excute-failed": answer(200, "EXCUTE_FAILED"),
               "executed": answer(200, "EXCUTE_SUCCESS")}
    assert {name for name, given in answers.items()
            if accepts(rules.refused_as_modelled, given, style)} == accepted


@pytest.mark.parametrize(("choice", "accepted"), [
    (UnknownJobAnswer.NOT_FOUND, {404}),
    (UnknownJobAnswer.BAD_REQUEST, {400}),
    (UnknownJobAnswer.EITHER, {400, 404}),
])
def test_each_unknown_job_answer_accepts_its_statuses(choice, accepted):
    assert {status for status in (200, 400, 404, 500)
            if accepts(rules.unknown_job_as_modelled, answer(status), choice)} == accepted
