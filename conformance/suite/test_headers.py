"""Headers: X-Request-Id on every answer, X-App-UserId without Chinese characters."""

from __future__ import annotations

import pytest
from hypothesis import given
from metastudio_conformance import contract, expect
from metastudio_conformance.client import new_job_id
from metastudio_conformance.strategies import headers

START = contract.initial_state()  # GET_MULTIPART_UPLOADED is allowed here
PROBE = {"command": "GET_MULTIPART_UPLOADED"}  # allowed in START, changes nothing


@pytest.mark.requirement("HDR-02", "ERR-01")
@given(user_id=headers.chinese_app_user_ids())
def test_chinese_app_user_id_is_refused(user_id, api, jobs):
    api.begin()
    job_id = jobs.in_state(START)
    response = api.command(job_id, PROBE, headers={"X-App-UserId": user_id})
    expect.refused_with_400(api, "HDR-02", response,
                            f"X-App-UserId {user_id.decode()!r} (Chinese characters)")
    response = api.delete(job_id, headers={"X-App-UserId": user_id})
    expect.refused_with_400(api, "HDR-02", response,
                            f"DELETE with X-App-UserId {user_id.decode()!r}")
    expect.unchanged(api, "HDR-02", job_id, START)


@pytest.mark.requirement("HDR-02")
@given(user_id=headers.app_user_ids())
def test_plain_app_user_id_is_accepted(user_id, api, jobs):
    api.begin()
    job_id = jobs.in_state(START)
    response = api.command(job_id, PROBE, headers={"X-App-UserId": user_id})
    if response.status_code != 200:
        expect.violation(api, "HDR-02", expect.describe(response),
                         f"X-App-UserId {user_id!r} (no Chinese characters) is accepted")


@pytest.mark.requirement("HDR-01")
def test_request_id_on_every_kind_of_answer(api, jobs):
    job_id = jobs.in_state(START)
    answers = {
        "an accepted command": api.command(job_id, PROBE),
        "a refused command": api.command(job_id, {"command": "CONFIRM_ACTIVE"}),
        "a malformed body": api.request("POST", f"/v1/{api.project_id}/digital-human-training-"
                                        f"manage/user/jobs/{job_id}/command", data=b"{"),
        "an unknown job": api.command(new_job_id(), PROBE),
        "a DELETE": api.delete(job_id),
    }
    missing = [what for what, response in answers.items()
               if not response.headers.get("X-Request-Id", "").strip()]
    if missing:
        expect.violation(api, "HDR-01", f"no X-Request-Id on {', '.join(missing)}",
                         "X-Request-Id on every response")
