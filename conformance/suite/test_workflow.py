"""The documented workflow and the shapes of accepted commands' answers (seed, docs).

Docs: create the job, PUT the files to the upload URLs, command CONFIRM_MULTIPART_UPLOADED,
then SUBMITVERIFYING; "200 with commond_result = EXCUTE_SUCCESS means success".
"""

from __future__ import annotations

import pytest

from metastudio_conformance import contract, expect, requirements
from metastudio_conformance.outcomes import SuiteError, not_covered

PARTS = 2


@pytest.mark.requirement("CMD-08", "CMD-03", "CMD-04", "MOD-04", also=("CMD-05",))
def test_documented_workflow(api, jobs):
    created = jobs.create(video_multipart_count=PARTS)
    job_id, urls = created["job_id"], created.get("training_video_upload_url")
    if not isinstance(urls, list) or len(urls) != PARTS:
        raise SuiteError(f"Create (a supporting operation) answered {created}, not one "
                         f"training_video_upload_url per part ({PARTS}): nothing to upload to")
    for number, url in enumerate(urls, start=1):
        expect.that(api, requirements.upload_accepted, number,
                    api.upload(url, f"part {number}".encode() * 64))

    listed = api.command(job_id, {"command": "GET_MULTIPART_UPLOADED"})
    expect.that(api, requirements.command_succeeded, "CMD-08", "GET_MULTIPART_UPLOADED", listed)
    parts = expect.answer(listed).field("multipart_data") or []
    numbers = sorted(str(p.get("part_number")) for p in parts if isinstance(p, dict))
    if numbers != [str(n) for n in range(1, PARTS + 1)]:
        expect.deviation(api, "MOD-04", f"multipart_data parts {numbers}",
                         f"every uploaded part, '1'..'{PARTS}'")

    expect.that(api, requirements.command_succeeded, "CMD-08",
                "CONFIRM_MULTIPART_UPLOADED after every part is uploaded",
                api.command(job_id, {"command": "CONFIRM_MULTIPART_UPLOADED"}))
    initial = contract.initial_state()
    if api.state_of(job_id) != initial:
        expect.violation(api, "CMD-08", f"state {api.state_of(job_id)}",
                         f"confirming the upload keeps the job in {initial}")
    expect.that(api, requirements.command_succeeded, "CMD-08",
                "SUBMITVERIFYING after the upload is confirmed",
                api.command(job_id, {"command": "SUBMITVERIFYING"}))
    state = api.state_of(job_id)
    if state in (None, initial):
        expect.violation(api, "CMD-08", f"state {state}",
                         f"submitting for review moves the job on from {initial}")


@pytest.mark.requirement("CMD-05", "CMD-03", also=("MOD-05",))
def test_confirm_answer_returns_attachment_urls(na_api, na_jobs):
    job_id = na_jobs.in_state("WAIT_USER_CONFIRM")
    names = ["answer.pdf", "photo.png"]
    answer = na_api.command(job_id, {
        "command": "CONFIRM_ANSWER",
        "comment_data": {"comment_title": "re", "comment_message": "see files",
                         "attachment_name": names},
    })
    expect.that(na_api, requirements.command_answer, answer)
    urls = expect.answer(answer).field("attachment_upload_url")
    if requirements.is_refusal(expect.answer(answer)):
        expect.deviation(na_api, "MOD-05", expect.describe(answer),
                         "CONFIRM_ANSWER from an NA tenant in WAIT_USER_CONFIRM is accepted")
        not_covered("the target refused CONFIRM_ANSWER in WAIT_USER_CONFIRM, so no answer "
                    "carried attachment_upload_url")
    if not isinstance(urls, list) or len(urls) != len(names):
        expect.deviation(na_api, "MOD-05", f"attachment_upload_url {urls!r}",
                         f"{len(names)} URLs, one per attachment_name")
