"""The documented workflow and the shapes of accepted commands' answers (seed, docs).

Docs: create the job, PUT the files to the upload URLs, command CONFIRM_MULTIPART_UPLOADED,
then SUBMITVERIFYING; "200 with commond_result = EXCUTE_SUCCESS means success".
"""

from __future__ import annotations

import pytest

from metastudio_conformance import contract, expect, requirements, rules
from metastudio_conformance.outcomes import SuiteError, not_covered
from metastudio_conformance.rules import JobSeen

PARTS = 2


@pytest.mark.requirement("CMD-08", "CMD-03", "CMD-04", "MOD-04", also=("CMD-05",))
def test_documented_workflow(api, jobs):
    created = jobs.create(video_multipart_count=PARTS)
    job_id, urls = created["job_id"], created.get("training_video_upload_url")
    if not isinstance(urls, list) or len(urls) != PARTS:
        raise SuiteError(f"Create (a supporting operation) answered {created}, not one "
                         f"training_video_upload_url per part ({PARTS}): nothing to upload to")
    for number, url in enumerate(urls, start=1):
        expect.that(api, rules.workflow_step, f"PUT part {number}",
                    api.upload(url, f"part {number}".encode() * 64), upload=True)

    listed = api.command(job_id, {"command": "GET_MULTIPART_UPLOADED"})
    expect.that(api, rules.workflow_step, "GET_MULTIPART_UPLOADED", listed)
    expect.deviation(api, rules.parts_as_modelled, listed, set(range(1, PARTS + 1)))

    expect.that(api, rules.workflow_step,
                "CONFIRM_MULTIPART_UPLOADED after every part is uploaded",
                api.command(job_id, {"command": "CONFIRM_MULTIPART_UPLOADED"}))
    initial = contract.initial_state()
    expect.that(api, rules.workflow_step, "confirming the upload",
                job=JobSeen(job_id, initial, api.state_of(job_id)))
    expect.that(api, rules.workflow_step, "SUBMITVERIFYING after the upload is confirmed",
                api.command(job_id, {"command": "SUBMITVERIFYING"}))
    expect.that(api, rules.workflow_step, "submitting for review",
                job=JobSeen(job_id, initial, api.state_of(job_id)), moves=True)


@pytest.mark.requirement("CMD-05", "CMD-03", also=("MOD-05",))
def test_confirm_answer_returns_attachment_urls(na_api, na_jobs):
    job_id = na_jobs.in_state("WAIT_USER_CONFIRM")
    names = ["answer.pdf", "photo.png"]
    answer = na_api.command(job_id, {
        "command": "CONFIRM_ANSWER",
        "comment_data": {"comment_title": "re", "comment_message": "see files",
                         "attachment_name": names},
    })
    expect.that(na_api, rules.command_answer, answer)
    expect.deviation(na_api, rules.urls_as_modelled, answer, names)
    if requirements.is_refusal(expect.answer(answer)):
        not_covered("the target refused CONFIRM_ANSWER in WAIT_USER_CONFIRM, so no answer "
                    "carried attachment_upload_url")
