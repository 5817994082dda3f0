"""DELETE over every one of the 53 states: one result line per state (seed:delete)."""

from __future__ import annotations

import pytest

from metastudio_conformance import contract, expect, requirements, rules
from metastudio_conformance.answers import Answer
from metastudio_conformance.client import new_job_id
from metastudio_conformance.outcomes import SuiteError, Violation, not_covered

STILL_WINDOWS = 10  # tries at a count no other worker of the run disturbed


def _state_params():
    for state in contract.job_states():
        ids = ("DEL-01", "DEL-03") if requirements.delete_allowed(state) else ("DEL-02",)
        yield pytest.param(state, marks=pytest.mark.requirement(*ids, "ERR-01"), id=state)


@pytest.mark.parametrize("state", list(_state_params()))
def test_delete_in_state(state, api, jobs):
    job_id = jobs.in_state(state)
    response = api.delete(job_id)
    expect.noted(api, "delete_gate", {
        "state": state, "observed": response.status_code,
        "documented": "allowed" if requirements.delete_allowed(state) else "refused",
    }, rules.delete_gate, state, response)
    if requirements.delete_allowed(state):
        assert_gone(api, job_id)
    else:
        expect.unchanged(api, rules.delete_gate, job_id, state, state)


def assert_gone(api, job_id: str) -> None:
    """DEL-03: after a successful DELETE, nothing finds the job any more."""
    for what, response in (
        ("Show", api.show(job_id)),
        ("command", api.command(job_id, {"command": "GET_MULTIPART_UPLOADED"})),
        ("a second DELETE", api.delete(job_id)),
    ):
        expect.that(api, rules.gone, f"{what} of deleted job {job_id}", response)
    expect.that(api, rules.gone, "List", _listed(api, job_id=job_id), listed=job_id)


@pytest.mark.requirement("MOD-03", "DEL-03", "ERR-01")
@pytest.mark.parametrize("operation", ["DELETE", "command", "Show"])
def test_unknown_job_is_not_found(operation, api, lifecycle_model):
    job_id = new_job_id()
    response = {
        "DELETE": lambda: api.delete(job_id),
        "command": lambda: api.command(job_id, {"command": "GET_MULTIPART_UPLOADED"}),
        "Show": lambda: api.show(job_id),
    }[operation]()
    what = f"{operation} of a job that never existed"
    api.run.note("unknown_job", {"operation": operation, "observed": _answered(response)})
    expect.that(api, rules.gone, what, response)
    learned = lifecycle_model.learned and lifecycle_model.learned.said("unknown_job")
    expect.deviation(api, rules.unknown_job_as_modelled, what, response,
                     lifecycle_model.unknown_job, learned=learned or None)


def _answered(response) -> str:
    """Status and error code, as `learn` keeps an unknown job's answer."""
    code = expect.answer(response).field("error_code")
    return f"{response.status_code} {code}" if isinstance(code, str) else str(
        response.status_code)


@pytest.mark.requirement("DEL-04", also=("DEL-01", "DEL-03"))
def test_delete_removes_exactly_one_job(api, jobs, run_context):
    """The project's job count drops by exactly one, and the run's other jobs remain.

    The count is judged only in a window where none of the run's other workers created or
    deleted a job (`count_journal`). Other users of a shared target may still do so, so a
    surprise is measured a second time before it counts."""
    journal = run_context.journal
    keep = [jobs.in_state("JOB_FINISH") for _ in range(2)]
    surprises = 0
    for _ in range(STILL_WINDOWS):
        doomed = jobs.in_state("JOB_FINISH")
        journal.wait_still()
        mark = journal.mark()
        before = _job_count(api)
        expect.that(api, rules.delete_gate, "JOB_FINISH", api.delete(doomed))
        after = _job_count(api)
        expect.that(api, rules.gone, f"Show of deleted job {doomed}",
                    api.show(doomed))  # DEL-03's, before the count can blame DEL-04
        expect.that(api, rules.others_untouched, doomed, dict.fromkeys(keep, "JOB_FINISH"),
                    {job: api.state_of(job) for job in keep})  # the run's own: no retry
        if not journal.still_since(mark):
            continue
        try:
            expect.that(api, rules.others_untouched, doomed, {}, {}, (before, after))
            return
        except Violation:
            surprises += 1
            if surprises == 2:
                raise
    not_covered(f"the project's job count: the run's other workers created or deleted jobs "
                f"during each of {STILL_WINDOWS} measurements (the run's own jobs were "
                "checked and kept)")


def _job_count(api) -> int:
    return _listed(api, limit="1").body["count"]


def _listed(api, **query: str) -> Answer:
    """List's answer; a List that does not answer {count, jobs} leaves nothing to check."""
    response = api.list_jobs(**query)
    body = expect.answer(response).body
    if (response.status_code != 200 or not isinstance(body, dict)
            or not isinstance(body.get("count"), int) or not isinstance(body.get("jobs"), list)):
        raise SuiteError(f"List (a supporting operation) answered {expect.describe(response)}; "
                         "without it a deleted job cannot be looked for")
    return expect.answer(response)
