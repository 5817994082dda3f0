"""Projects are isolated: one project cannot command, delete or list another's jobs."""

from __future__ import annotations

import pytest

from metastudio_conformance import contract, expect, requirements

STATE = contract.initial_state()  # deletable, and commands are accepted in it


@pytest.mark.requirement("AUTH-03")
@pytest.mark.parametrize("operation", ["command", "DELETE", "Show", "List"])
def test_other_project_cannot_reach_the_job(operation, api, jobs, other_api):
    job_id = jobs.in_state(STATE)
    if operation == "List":
        if _listed(other_api, job_id):
            expect.violation(other_api, "AUTH-03", f"List in {other_api.project_id} shows "
                             f"{job_id}", "another project's jobs are not listed")
        return
    response = {
        "command": lambda: other_api.command(job_id, {"command": "CONFIRM_MULTIPART_UPLOADED"}),
        "DELETE": lambda: other_api.delete(job_id),
        "Show": lambda: other_api.show(job_id),
    }[operation]()
    expect.that(other_api, requirements.refused_for_credentials, "AUTH-03",
                f"{operation} from project {other_api.project_id}", response)
    expect.unchanged(api, "AUTH-03", job_id, STATE)


@pytest.mark.requirement("AUTH-03")
def test_project_cannot_see_another_projects_job(api, other_api, other_jobs):
    """The reverse direction: a job of the second project is invisible to the first."""
    job_id = other_jobs.in_state(STATE)
    if api.show(job_id).status_code == 200 or _listed(api, job_id):
        expect.violation(api, "AUTH-03", f"project {api.project_id} sees {job_id} of "
                         f"{other_api.project_id}", "another project's jobs are invisible")


def _listed(api, job_id: str) -> bool:
    """Whether List in the client's project shows the job."""
    jobs = expect.answer(api.list_jobs(job_id=job_id)).field("jobs")
    return any(isinstance(job, dict) and job.get("job_id") == job_id for job in jobs or [])


@pytest.mark.requirement("RSP-05")
def test_answers_arrive_within_the_limit(api, jobs, lifecycle_model):
    """The client fails RSP-05 on any slow answer; this test makes sure enough are sent
    in a row to meet a server that is slow only now and then."""
    job_id = jobs.in_state(STATE)
    for _ in range(25):
        api.command(job_id, {"command": "GET_MULTIPART_UPLOADED"})
        api.show(job_id)
