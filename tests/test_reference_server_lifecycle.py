"""The reference server's lifecycle: the documented workflow, NA moves, refusals."""

from __future__ import annotations

import pytest
import requests

from tests.reference_helpers import NA, TIMEOUT, assert_error, schema_errors

pytest_plugins = ["tests.reference_fixtures"]


def test_documented_upload_workflow(api):
    created = api.call("POST", api.jobs(), json={"name": "wf", "video_multipart_count": 2}).json()
    job, urls = created["job_id"], created["training_video_upload_url"]
    assert api.command(job, {"command": "GET_MULTIPART_UPLOADED"}).json()["multipart_data"] == []
    assert_error(api.command(job, {"command": "CONFIRM_MULTIPART_UPLOADED"}), 400)
    assert_error(api.command(job, {"command": "SUBMITVERIFYING"}), 400)
    for n, url in enumerate(urls):
        assert requests.put(url, data=b"part%d" % n, timeout=TIMEOUT).status_code == 200
    parts = api.command(job, {"command": "GET_MULTIPART_UPLOADED"}).json()
    assert schema_errors("ExecuteCommandResponseBody", parts) == []
    assert [p["part_number"] for p in parts["multipart_data"]] == ["1", "2"]
    assert_error(api.command(job, {"command": "SUBMITVERIFYING"}), 400)  # not confirmed yet
    assert api.state(job) == "WAIT_FILE_UPLOAD"
    confirmed = api.command(job, {"command": "CONFIRM_MULTIPART_UPLOADED"}).json()
    assert confirmed == {"commond_result": "EXCUTE_SUCCESS"}
    assert api.state(job) == "WAIT_FILE_UPLOAD"
    assert api.command(job, {"command": "SUBMITVERIFYING"}).json()["commond_result"] == \
        "EXCUTE_SUCCESS"
    shown = api.show(job).json()
    assert shown["state"] == "AUTO_VERIFYING"
    assert "USER_VERIFYING_SUBMITTED" in [e["log_type"] for e in shown["operation_logs"]]
    assert_error(api.command(job, {"command": "GET_MULTIPART_UPLOADED"}), 400)  # not uploading


def test_seeded_upload_job_has_its_part(api):
    job = api.seed("WAIT_FILE_UPLOAD")
    parts = api.command(job, {"command": "GET_MULTIPART_UPLOADED"}).json()["multipart_data"]
    assert len(parts) == 1 and parts[0]["part_number"] == "1"
    assert api.command(job, {"command": "CONFIRM_MULTIPART_UPLOADED"}).status_code == 200
    assert api.command(job, {"command": "SUBMITVERIFYING"}).status_code == 200
    assert api.state(job) == "AUTO_VERIFYING"


@pytest.mark.parametrize("failed", ["AUTO_VERIFY_FAILED", "MANUAL_VERIFY_FAILED"])
def test_resubmit_after_failed_review_needs_update_video(api, failed):
    job = api.seed(failed)
    assert_error(api.command(job, {"command": "SUBMITVERIFYING"}), 400)
    assert api.state(job) == failed
    body = {"command": "SUBMITVERIFYING", "command_message": "UPDATE_VIDEO"}
    assert api.command(job, body).json()["commond_result"] == "EXCUTE_SUCCESS"
    assert api.state(job) == "AUTO_VERIFYING"


NA_MOVES = [("WAIT_USER_CONFIRM", "CONFIRM_ACCEPT", "JOB_FINISH"),
            ("WAIT_USER_CONFIRM", "CONFIRM_REJECT", "JOB_REJECT"),
            ("WAIT_USER_CONFIRM", "CONFIRM_PENDING", "JOB_PENDING"),
            ("JOB_PENDING", "CONFIRM_ACTIVE", "WAIT_USER_CONFIRM")]


@pytest.mark.parametrize(("start", "command", "end"), NA_MOVES)
def test_na_commands_move_na_jobs_only(api, start, command, end):
    job = api.seed(start, project=NA)
    assert api.command(job, {"command": command}, project=NA).json() == \
        {"commond_result": "EXCUTE_SUCCESS"}
    assert api.state(job, NA) == end
    standard = api.seed(start)
    assert_error(api.command(standard, {"command": command}), 400, "MSS.00000003")
    assert api.state(standard) == start


@pytest.mark.parametrize("state", ["WAIT_USER_CONFIRM", "JOB_PENDING"])
def test_confirm_answer_gives_one_url_per_attachment(api, state):
    job = api.seed(state, project=NA)
    body = {"command": "CONFIRM_ANSWER", "comment_data": {
        "comment_title": "t", "comment_message": "m", "attachment_name": ["a.png", "b.pdf"]}}
    answer = api.command(job, body, project=NA).json()
    assert answer["commond_result"] == "EXCUTE_SUCCESS"
    assert len(answer["attachment_upload_url"]) == 2
    shown = api.show(job, NA).json()
    assert shown["state"] == state
    assert [c["comment_message"] for c in shown["comment_logs"]] == ["m"]
    bare = api.command(job, {"command": "CONFIRM_ANSWER"}, project=NA).json()
    assert bare["attachment_upload_url"] == []


@pytest.mark.parametrize(("state", "command"), [
    ("JOB_FINISH", "CONFIRM_ACCEPT"), ("JOB_PENDING", "CONFIRM_PENDING"),
    ("WAIT_USER_CONFIRM", "CONFIRM_ACTIVE"), ("TRAINING", "SUBMITVERIFYING"),
    ("JOB_REJECT", "CONFIRM_ANSWER"), ("TRAINING", "CONFIRM_MULTIPART_UPLOADED")])
def test_commands_out_of_place_are_refused_without_change(api, state, command):
    job = api.seed(state, project=NA)
    before = api.show(job, NA).json()
    assert_error(api.command(job, {"command": command}, project=NA), 400, "MSS.00000003")
    assert api.show(job, NA).json() == before


def test_excute_failed_refusal_style(lenient):
    job = lenient.seed("TRAINING")
    r = lenient.command(job, {"command": "SUBMITVERIFYING"})
    assert r.status_code == 200
    assert r.json()["commond_result"] == "EXCUTE_FAILED" and r.json()["excute_failed_msg"]
    assert lenient.state(job) == "TRAINING"
    assert_error(lenient.command("0" * 32, {"command": "SUBMITVERIFYING"}), 400, "MSS.00000003")

