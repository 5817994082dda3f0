"""Near misses: a value just outside each documented request constraint, one item each.

The probes come from the spec (`strategies/near_misses.py`): each enumeration value
misspelt once, each field in a neighbouring JSON type, `X-App-UserId` with one Chinese
character at the start, in the middle, at the end and at the edges of the spec's
excluded ranges. A probe the documents rule out must be refused and leave the job as it
was, beside its valid twin sent first and carried out (conformance/twins.py: beside a
twin refused, a refusal is not judged); `command` of the wrong type wraps a command the
state carries out, the query command and, in the state where an NA tenant's is carried
out, an NA-only one. What only the spec's pattern rules out, and the characters just outside it, are
noted in the `near_misses` matrix of results.json, never failed (docs/silent-points.md
#16: beyond "no Chinese characters" the server chooses).
"""

from __future__ import annotations

import json

import pytest

from metastudio_conformance import contract, expect, probe_groups, requirements, rules
from metastudio_conformance.answers import Answer
from metastudio_conformance.outcomes import not_covered
from metastudio_conformance.strategies import near_misses
from metastudio_conformance.strategies.near_misses import CONTROL, OBSERVED, REFUSED, SAMPLE_TEXT
from metastudio_conformance.twins import (
    MATRIX,
    SharedJob,
    observed,
    probe_params,
    refusal_judged,
    twin_cells,
)

START = contract.initial_state()
PROBES = near_misses.probes()
PROBES_PER_JOB = 10  # a refused probe leaves its job as it was: the next one may use it
TWIN = "the same request with a valid value, sent first on the same job"
DELETE_TWIN = "the same DELETE with a plain value, once on a job of its own in the same state"
WRAPPERS = {"as-list": lambda command: [command], "as-object": lambda command: {"value": command}}
_A = {"na": "an NA", "standard": "a standard"}


def _params(kind: str):
    return probe_params(PROBES, lambda probe: probe.kind == kind)


@pytest.fixture(scope="module")
def shared_job(jobs) -> SharedJob:
    return SharedJob(jobs, START, PROBES_PER_JOB)


@pytest.fixture(scope="module")
def delete_twins() -> dict[tuple, Answer]:
    """Per DELETE twin, its answer on a job of its own in the initial state: carried out,
    it deletes its job, so it cannot go first on the probe's."""
    return {}


def _send(api, probe, job_id: str, varied: bool = True):
    return api.call(probe.operation, job_id, body=probe.body,
                    headers=probe.headers if varied else None)


def _row(probe, answer, documented: str) -> dict:
    """The probe's matrix row; its meaning groups the evidence (probe_groups.py)."""
    meaning = vars(probe.meaning) if probe.meaning else {}
    return {"probe": probe.id, "operation": probe.operation, "sent": probe.what,
            "observed": observed(answer), "documented": documented,
            "requirement": probe.requirement, **meaning,
            "outcome": probe_groups.outcome(requirements.is_refusal(answer))}


def _delete_twin(api, probe, jobs, shared_job, delete_twins) -> tuple[Answer, str] | None:
    """A DELETE probe's valid twin, once per run on a job of its own (never the probes'
    shared one, which the pool may offer: Show proved it untouched); None for a command
    probe, whose twin goes first on the probe's own job."""
    if probe.operation != contract.DELETE_OPERATION:
        return None
    key = repr(probe.twin_headers)
    if key not in delete_twins:
        job_id = jobs.in_state(START)
        if job_id == shared_job.job_id:  # now lent to us: the next one is another
            job_id = jobs.in_state(START)
        delete_twins[key] = expect.answer(api.call(probe.operation, job_id,
                                                   headers=probe.twin_headers))
    return delete_twins[key], DELETE_TWIN


@pytest.mark.parametrize("probe", _params(REFUSED))
def test_near_miss_is_refused(probe, api, jobs, shared_job, delete_twins):
    deleted = _delete_twin(api, probe, jobs, shared_job, delete_twins)
    with shared_job.use() as job_id:
        twin, how = deleted or (expect.answer(api.call(
            probe.operation, job_id, body=probe.twin_body, headers=probe.twin_headers)), TWIN)
        response = _send(api, probe, job_id)
        answer = expect.answer(response)
        row = {**_row(probe, answer, "refused"), **twin_cells(twin, how)}
        refusal_judged(api, row, answer, twin, probe.what)
        unit = requirements.unit(probe.requirement)  # refused, and the job left as it was
        expect.noted(api, MATRIX, row, unit, probe.what, response)
        expect.unchanged(api, unit, job_id, START)


def _na_command_keeping_state(model) -> tuple[str, str]:
    """An NA-only command the model carries out without moving the job, and its state."""
    for transition in model.transitions:
        if transition.na_only and transition.target is None and transition.requires is None:
            return transition.command, transition.sources[0]
    not_covered("the lifecycle model has no NA-only command that keeps the job's state")


def _tenants():
    """The NA tenant's case is a minimal pair for CMD-02: its plain twin is carried out.
    A standard tenant's plain twin is refused (CMD-06), so its wrapped command's refusal is
    a case of CMD-06 (refused whatever its shape); an acceptance is charged to CMD-02, the
    type confusion, as for the NA tenant."""
    yield pytest.param("na", id="na", marks=pytest.mark.requirement("CMD-02", "ERR-01"))
    yield pytest.param("standard", id="standard", marks=pytest.mark.requirement(
        "CMD-06", "ERR-01", also=("CMD-02",)))


@pytest.mark.parametrize("tenant", list(_tenants()))
@pytest.mark.parametrize("wrapper", list(WRAPPERS))
def test_wrapped_na_command_is_refused(wrapper, tenant, api, jobs, na_api, na_jobs,
                                       lifecycle_model, settings):
    """An NA-only command wrapped in a list or an object, in a state where the NA
    tenant's plain command is carried out (its twin, sent first): refused."""
    if tenant == "standard" and settings.tenant == "na":
        not_covered("the run's own tenant is NA: no standard tenant here")
    command, state = _na_command_keeping_state(lifecycle_model)
    client, factory = (na_api, na_jobs) if tenant == "na" else (api, jobs)
    job_id = factory.in_state(state)
    # with comment_data, which a server may require of CONFIRM_ANSWER ("User reply.")
    reply = {"comment_data": {"comment_title": SAMPLE_TEXT}}
    twin = expect.answer(client.command(job_id, {"command": command, **reply}))
    what = f"`command` = {json.dumps(WRAPPERS[wrapper](command))} for {_A[tenant]} tenant"
    response = client.command(job_id, {"command": WRAPPERS[wrapper](command), **reply})
    answer = expect.answer(response)
    # Either way the wrapped command is judged as a command outside the documented options
    # (CMD-02's unit): an accepted one is that fault first, whoever the tenant.
    unit, rid = rules.command_documented, "CMD-02" if tenant == "na" else "CMD-06"
    row = {"probe": f"POST:command:{command}:{wrapper}:{tenant}", "operation":
           contract.COMMAND_OPERATION, "sent": what, "observed": observed(answer),
           "documented": "refused", "requirement": rid,
           **twin_cells(twin, f"{command} plain, sent first on the same job in {state}")}
    if tenant == "na":
        refusal_judged(api, row, answer, twin, what)
    expect.noted(api, MATRIX, row, unit, what, response)
    expect.that(api, rules.error_body, response)
    expect.unchanged(client, unit, job_id, state)


@pytest.mark.parametrize("probe", _params(OBSERVED))
def test_spec_only_exclusion_is_noted(probe, api, jobs):
    """The spec's pattern excludes it, no document calls it Chinese: either answer is
    correct; a 4xx still carries the error body."""
    answer = expect.answer(_send(api, probe, jobs.in_state(START)))
    api.run.note(MATRIX, {**_row(probe, answer, "either (the spec's pattern refuses it)"),
                          "verdict": "observed"})
    expect.that(api, rules.error_body, answer)


@pytest.fixture(scope="module")
def plain_answers() -> dict[tuple, int]:
    """Per operation and body, the status of the request every control probe varies, without the
    varied header: the same request on a fresh job each time, so asked once."""
    return {}


@pytest.mark.parametrize("probe", _params(CONTROL))
def test_character_outside_the_pattern_is_noted(probe, api, jobs, plain_answers):
    """The spec allows it, the documents do not promise it: noted as answered like the
    same request without it or not (each on a fresh job), never failed."""
    plain = (probe.operation, repr(probe.body))
    if plain not in plain_answers:
        plain_answers[plain] = expect.answer(_send(api, probe, jobs.in_state(START),
                                                   varied=False)).status
    answer = expect.answer(_send(api, probe, jobs.in_state(START)))
    without = plain_answers[plain]
    api.run.note(MATRIX, {**_row(probe, answer, "either (the spec's pattern allows it)"),
                          "without_it": without, "verdict": "observed",
                          "outcome": "like without it" if answer.status == without
                          else "differs"})
    expect.that(api, rules.error_body, answer)
