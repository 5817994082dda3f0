"""The documented workflow and the shapes of accepted commands' answers (seed, docs).

Docs: create the job, PUT the files to the upload URLs, command CONFIRM_MULTIPART_UPLOADED,
then SUBMITVERIFYING; "200 with commond_result = EXCUTE_SUCCESS means success".
"""

from __future__ import annotations

import pytest
from metastudio_conformance import contract, expect

PARTS = 2


def _accepted(api, response, requirement: str, what: str) -> dict:
    """A 200 EXCUTE_SUCCESS answer with the documented shape (CMD-03)."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.status_code != 200:
        expect.violation(api, requirement, expect.describe(response), f"{what} accepted (200)")
    if not isinstance(body, dict) or body.get("commond_result") != "EXCUTE_SUCCESS":
        expect.violation(api, "CMD-03", expect.describe(response),
                         f"{what} answers commond_result EXCUTE_SUCCESS")
    return body


@pytest.mark.requirement("CMD-08", "CMD-03", "CMD-04", "MOD-04")
def test_documented_workflow(api, jobs, http_session, settings):
    created = jobs.create(video_multipart_count=PARTS)
    job_id, urls = created["job_id"], created.get("training_video_upload_url")
    if not isinstance(urls, list) or len(urls) != PARTS:
        expect.violation(api, "CMD-08", f"Create answered {created}",
                         f"one training_video_upload_url per part ({PARTS})")
    for number, url in enumerate(urls, start=1):
        # Presigned URLs carry their own authorisation: no credentials go with them.
        put = http_session.put(url, data=f"part {number}".encode() * 64,
                               headers={"Content-Type": "application/octet-stream"},
                               timeout=settings.request_timeout)
        if not 200 <= put.status_code < 300:
            expect.violation(api, "CMD-08", f"PUT part {number}: {put.status_code}",
                             "the upload URL accepts the part")

    listed = _accepted(api, api.command(job_id, {"command": "GET_MULTIPART_UPLOADED"}),
                       "CMD-08", "GET_MULTIPART_UPLOADED")
    parts = listed.get("multipart_data")
    if not isinstance(parts, list) or not all(
        isinstance(p, dict) and isinstance(p.get("part_number"), str)
        and isinstance(p.get("etag"), str) for p in parts
    ):
        expect.violation(api, "CMD-04", f"multipart_data {parts!r}",
                         "a list of {part_number: string, etag: string}")
    numbers = sorted(p["part_number"] for p in parts)
    if numbers != [str(n) for n in range(1, PARTS + 1)]:
        expect.violation(api, "MOD-04", f"multipart_data parts {numbers}",
                         f"every uploaded part, '1'..'{PARTS}'")

    _accepted(api, api.command(job_id, {"command": "CONFIRM_MULTIPART_UPLOADED"}), "CMD-08",
              "CONFIRM_MULTIPART_UPLOADED after every part is uploaded")
    initial = contract.initial_state()
    if api.state_of(job_id) != initial:
        expect.violation(api, "CMD-08", f"state {api.state_of(job_id)}",
                         f"confirming the upload keeps the job in {initial}")
    _accepted(api, api.command(job_id, {"command": "SUBMITVERIFYING"}), "CMD-08",
              "SUBMITVERIFYING after the upload is confirmed")
    state = api.state_of(job_id)
    if state in (None, initial):
        expect.violation(api, "CMD-08", f"state {state}",
                         f"submitting for review moves the job on from {initial}")


@pytest.mark.requirement("CMD-05", "CMD-03")
def test_confirm_answer_returns_attachment_urls(na_api, na_jobs):
    job_id = na_jobs.in_state("WAIT_USER_CONFIRM")
    names = ["answer.pdf", "photo.png"]
    body = _accepted(na_api, na_api.command(job_id, {
        "command": "CONFIRM_ANSWER",
        "comment_data": {"comment_title": "re", "comment_message": "see files",
                         "attachment_name": names},
    }), "CMD-05", "CONFIRM_ANSWER from an NA tenant in WAIT_USER_CONFIRM")
    urls = body.get("attachment_upload_url")
    if not isinstance(urls, list) or len(urls) != len(names) or not all(
        isinstance(url, str) and url for url in urls
    ):
        expect.violation(na_api, "CMD-05", f"attachment_upload_url {urls!r}",
                         f"a list of {len(names)} URL strings, one per attachment_name")
