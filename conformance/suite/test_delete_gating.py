"""DELETE over every one of the 53 states: one result line per state (seed:delete)."""

from __future__ import annotations

import pytest
from metastudio_conformance import contract, expect, requirements
from metastudio_conformance.client import new_job_id


def _state_params():
    for state in contract.job_states():
        ids = ("DEL-01", "DEL-03") if requirements.delete_allowed(state) else ("DEL-02",)
        yield pytest.param(state, marks=pytest.mark.requirement(*ids, "ERR-01"), id=state)


@pytest.mark.parametrize("state", list(_state_params()))
def test_delete_in_state(state, api, jobs):
    job_id = jobs.in_state(state)
    response = api.delete(job_id)
    if requirements.delete_allowed(state):
        if not requirements.is_delete_success(response.status_code):
            expect.violation(api, "DEL-01", expect.describe(response),
                             f"DELETE succeeds (200) in {state}")
        _assert_gone(api, job_id)
    else:
        if requirements.is_delete_success(response.status_code) or response.status_code >= 500:
            expect.violation(api, "DEL-02", expect.describe(response),
                             f"DELETE refused with an error body in {state}")
        expect.error_body(api, response)
        expect.unchanged(api, "DEL-02", job_id, state)


def _assert_gone(api, job_id: str) -> None:
    """DEL-03: after a successful DELETE, nothing finds the job any more."""
    for what, response in (
        ("Show", api.show(job_id)),
        ("command", api.command(job_id, {"command": "GET_MULTIPART_UPLOADED"})),
        ("a second DELETE", api.delete(job_id)),
    ):
        if not requirements.is_not_found(response.status_code):
            expect.violation(api, "DEL-03", f"{what} answered {expect.describe(response)}",
                             "a deleted job is not found (404 or 400)")
        expect.error_body(api, response)
    listed = api.list_jobs(job_id=job_id)
    if listed.status_code != 200 or any(
        job.get("job_id") == job_id for job in listed.json().get("jobs", [])
    ):
        expect.violation(api, "DEL-03", f"List answered {expect.describe(listed)}",
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
    if not requirements.is_not_found(response.status_code):
        expect.violation(api, "DEL-03", expect.describe(response),
                         f"{operation} of a job that never existed is not found (404 or 400)")
    if not lifecycle_model.not_found_ok(response.status_code):
        expect.violation(api, "MOD-03", expect.describe(response),
                         f"an unknown job answers {lifecycle_model.unknown_job}")
    expect.error_body(api, response)


@pytest.mark.requirement("DEL-04")
def test_delete_removes_exactly_one_job(api, jobs):
    """The project's job count drops by exactly one, and the run's other jobs remain.

    A shared target may see other users' jobs come and go meanwhile, so a surprise is
    measured a second time before it counts."""
    for attempt in (1, 2):
        keep = [jobs.in_state("JOB_FINISH") for _ in range(2)]
        doomed = jobs.in_state("JOB_FINISH")
        before = _job_count(api)
        response = api.delete(doomed)
        after = _job_count(api)
        if not requirements.is_delete_success(response.status_code):
            expect.violation(api, "DEL-01", expect.describe(response),
                             "DELETE succeeds in JOB_FINISH")
        gone = [job for job in keep if api.state_of(job) is None]
        if not gone and before - after == 1:
            return
        if attempt == 2 or gone:
            expect.violation(api, "DEL-04", f"deleting {doomed}: the project's job count went "
                             f"{before} -> {after}; other jobs gone: {gone or 'none'}",
                             "exactly the named job is deleted")


def _job_count(api) -> int:
    response = api.list_jobs(limit="1")
    if response.status_code != 200 or not isinstance(response.json().get("count"), int):
        expect.violation(api, "DEL-04", f"List answered {expect.describe(response)}",
                         "List answers {count, jobs}")
    return response.json()["count"]
