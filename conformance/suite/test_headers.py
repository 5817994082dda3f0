"""Headers: X-Request-Id on every answer, X-App-UserId without Chinese characters."""

from __future__ import annotations

import pytest
from hypothesis import given

from metastudio_conformance import contract, expect, rules
from metastudio_conformance.client import new_job_id
from metastudio_conformance.series import RefusalSeries
from metastudio_conformance.strategies import headers

START = contract.initial_state()
PROBE = {"command": "GET_MULTIPART_UPLOADED"}  # changes nothing, wherever it is allowed


@pytest.mark.hypothesis  # runs max_examples examples (shards.cost)
@pytest.mark.requirement("HDR-02", "ERR-01")
def test_chinese_app_user_id_is_refused(api, jobs):
    series = RefusalSeries(api, jobs, "HDR-02", START)  # one job, one Show at the end

    @given(user_id=headers.chinese_app_user_ids())
    def example(user_id):
        api.begin()
        what = f"X-App-UserId {user_id.decode()!r} (Chinese characters)"
        series.refused(f"a command with {what}", lambda job_id: api.command(
            job_id, PROBE, headers={"X-App-UserId": user_id}))
        series.refused(f"DELETE with {what}", lambda job_id: api.delete(
            job_id, headers={"X-App-UserId": user_id}))

    example()
    series.prove_unchanged()


@pytest.mark.hypothesis  # runs max_examples examples (shards.cost)
@pytest.mark.requirement("HDR-02")
def test_plain_app_user_id_is_accepted(api, jobs):
    """A documented-valid X-App-UserId changes nothing about the answer: the same request
    without it is answered alike (whether the command is allowed now is the model's).
    The examples share one job and PROBE changes nothing, so the answer without the header
    is asked once, and again only to confirm a difference (two answers of one moment)."""
    job_id = jobs.in_state(START)
    without = []

    @given(user_id=headers.app_user_ids())
    def example(user_id):
        api.begin()
        response = api.command(job_id, PROBE, headers={"X-App-UserId": user_id})
        if not without or response.status_code != without[-1]:
            without.append(expect.answer(api.command(job_id, PROBE)).status)
        expect.that(api, rules.app_user_id, f"X-App-UserId {user_id!r} (no Chinese "
                    "characters)", response, plain_status=without[-1])

    example()


@pytest.mark.requirement("HDR-01")
def test_request_id_on_every_kind_of_answer(api, jobs):
    job_id = jobs.in_state(START)
    answers = {
        "a command": api.command(job_id, PROBE),
        "a refused command": api.command(job_id, {"command": "CONFIRM_ACTIVE"}),
        "a malformed body": api.call(contract.COMMAND_OPERATION, job_id, data=b"{",
                                     headers={"Content-Type": "application/json"}),
        "an unknown job": api.command(new_job_id(), PROBE),
        "a DELETE": api.delete(job_id),
    }
    for what, response in answers.items():
        try:
            expect.that(api, rules.request_id, response)
        except AssertionError as error:
            error.message += f"\n(on {what})"
            raise
