"""Projects are isolated: one project cannot command, delete or list another's jobs."""

from __future__ import annotations

import pytest

from metastudio_conformance import contract, expect, rules

STATE = contract.initial_state()  # deletable, and commands are accepted in it


@pytest.mark.requirement("AUTH-03")
@pytest.mark.parametrize("operation", ["command", "DELETE", "Show", "List"])
def test_other_project_cannot_reach_the_job(operation, api, jobs, other_api):
    job_id = jobs.in_state(STATE)
    if operation == "List":
        expect.that(other_api, rules.kept_out, f"List in {other_api.project_id}",
                    other_api.list_jobs(job_id=job_id), listed=job_id)
        return
    response = {
        "command": lambda: other_api.command(job_id, {"command": "CONFIRM_MULTIPART_UPLOADED"}),
        "DELETE": lambda: other_api.delete(job_id),
        "Show": lambda: other_api.show(job_id),
    }[operation]()
    expect.that(other_api, rules.kept_out, f"{operation} from project {other_api.project_id}",
                response)
    expect.unchanged(api, rules.kept_out, job_id, STATE)


@pytest.mark.requirement("AUTH-03")
def test_project_cannot_see_another_projects_job(api, other_api, other_jobs):
    """The reverse direction: a job of the second project is invisible to the first."""
    job_id = other_jobs.in_state(STATE)
    what = f"project {api.project_id}, for a job of {other_api.project_id},"
    expect.that(api, rules.kept_out, f"Show of {what}", api.show(job_id), shown=job_id)
    expect.that(api, rules.kept_out, f"List of {what}", api.list_jobs(job_id=job_id),
                listed=job_id)


@pytest.mark.requirement("RSP-05")
def test_answers_arrive_within_the_limit(api, jobs, lifecycle_model):
    """The client fails RSP-05 on any slow answer; this test makes sure enough are sent
    in a row to meet a server that is slow only now and then."""
    job_id = jobs.in_state(STATE)
    for _ in range(25):
        api.command(job_id, {"command": "GET_MULTIPART_UPLOADED"})
        api.show(job_id)
