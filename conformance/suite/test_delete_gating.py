"""DELETE over every one of the 53 states: one result line per state (seed:delete)."""

from __future__ import annotations

import pytest

from metastudio_conformance import contract, expect, requirements
from metastudio_conformance.client import new_job_id
from metastudio_conformance.outcomes import SuiteError


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
    }, requirements.delete_gate, state, response)
    if requirements.delete_allowed(state):
        assert_gone(api, job_id)
    else:
        expect.unchanged(api, "DEL-02", job_id, state)


def assert_gone(api, job_id: str) -> None:
    """DEL-03: after a successful DELETE, nothing finds the job any more."""
    for what, response in (
        ("Show", api.show(job_id)),
        ("command", api.command(job_id, {"command": "GET_MULTIPART_UPLOADED"})),
        ("a second DELETE", api.delete(job_id)),
    ):
        expect.that(api, requirements.not_found, f"{what} of deleted job {job_id}", response)
    listed = _listed(api, job_id=job_id)
    if any(isinstance(job, dict) and job.get("job_id") == job_id for job in listed["jobs"]):
        expect.violation(api, "DEL-03", f"List still shows {job_id}",
                         "a deleted job is not listed")


@pytest.mark.requirement("MOD-03", "DEL-03", "ERR-01")
@pytest.mark.parametrize("operation", ["DELETE", "command", "Show"])
def test_unknown_job_is_not_found(operation, api, lifecycle_model):
    job_id = new_job_id()
    response = {
        "DELETE": lambda: api.delete(job_id),
        "command": lambda: api.command(job_id, {"command": "GET_MULTIPART_UPLOADED"}),
        "Show": lambda: api.show(job_id),
    }[operation]()
    expect.that(api, requirements.not_found, f"{operation} of a job that never existed",
                response)
    if not lifecycle_model.not_found_ok(response.status_code):
        expect.deviation(api, "MOD-03", expect.describe(response),
                         f"an unknown job answers {lifecycle_model.unknown_job}")


@pytest.mark.requirement("DEL-04", also=("DEL-01", "DEL-03"))
def test_delete_removes_exactly_one_job(api, jobs):
    """The project's job count drops by exactly one, and the run's other jobs remain.

    A shared target may see other users' jobs come and go meanwhile, so a surprise is
    measured a second time before it counts."""
    for attempt in (1, 2):
        keep = [jobs.in_state("JOB_FINISH") for _ in range(2)]
        doomed = jobs.in_state("JOB_FINISH")
        before = _job_count(api)
        expect.that(api, requirements.delete_gate, "JOB_FINISH", api.delete(doomed))
        expect.that(api, requirements.not_found, f"Show of deleted job {doomed}",
                    api.show(doomed))  # DEL-03's, before the count can blame DEL-04
        after = _job_count(api)
        gone = [job for job in keep if api.state_of(job) is None]
        if not gone and before - after == 1:
            return
        if attempt == 2 or gone:
            expect.violation(api, "DEL-04", f"deleting {doomed}: the project's job count went "
                             f"{before} -> {after}; other jobs gone: {gone or 'none'}",
                             "exactly the named job is deleted")


def _job_count(api) -> int:
    return _listed(api, limit="1")["count"]


def _listed(api, **query: str) -> dict:
    """List's answer; a List that does not answer {count, jobs} leaves nothing to check."""
    response = api.list_jobs(**query)
    body = expect.answer(response).body
    if (response.status_code != 200 or not isinstance(body, dict)
            or not isinstance(body.get("count"), int) or not isinstance(body.get("jobs"), list)):
        raise SuiteError(f"List (a supporting operation) answered {expect.describe(response)}; "
                         "without it a deleted job cannot be looked for")
    return body
