"""The reference server's answers have the documented shapes; DELETE is gated by state."""

from __future__ import annotations

from hashlib import md5
from pathlib import Path

import pytest
import requests
import yaml

from metastudio_conformance.reference_server import start_server, stop_server
from tests.reference_helpers import (
    DELETABLE,
    HEX32,
    JOB_PATH,
    NA,
    RFC3339,
    SPEC,
    STATES,
    TIMEOUT,
    Api,
    assert_error,
    schema_errors,
)

pytest_plugins = ["tests.reference_fixtures"]


def test_create_show_list_shapes(api):
    r = api.call("POST", api.jobs(), json={"name": "n1", "video_multipart_count": 3,
                                           "batch_name": "b1", "tags": ["t1", "t2"]})
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/json;charset=UTF-8"
    created = r.json()
    assert schema_errors("CreateJobResponseBody", created) == []
    assert HEX32.fullmatch(created["job_id"])
    urls = created["training_video_upload_url"]
    assert len(urls) == 3 and len(set(urls)) == 3
    assert all(u.startswith(api.url + "/") for u in urls)
    assert all(isinstance(created[k], str) for k in ("cover_upload_url", "grant_file_upload_url"))

    shown = api.show(created["job_id"]).json()
    assert schema_errors("ShowJobResponseBody", shown) == []
    create_op = SPEC["paths"]["/v1/{project_id}/digital-human-training-manage/user/jobs"]["post"]
    assert shown["state"] == create_op["x-initial-state"] == "WAIT_FILE_UPLOAD"
    assert (shown["name"], shown["batch_name"], shown["tags"]) == ("n1", "b1", ["t1", "t2"])
    assert RFC3339.fullmatch(shown["create_time"]) and RFC3339.fullmatch(shown["last_update_time"])
    assert shown["operation_logs"] and shown["comment_logs"] == []

    listed = api.call("GET", api.jobs(), params={"batch_name": "b1", "tag": "t2"}).json()
    assert schema_errors("ListJobsResponseBody", listed) == []
    assert [j["job_id"] for j in listed["jobs"]] == [created["job_id"]] and listed["count"] == 1


def test_list_filters_and_paging(api):
    ids = [api.seed("TRAIN_FAILED", project="a" * 32) for _ in range(3)]
    api.seed("JOB_SUCCESS", project="a" * 32)
    page = api.call("GET", api.jobs("a" * 32),
                    params={"state": "TRAIN_FAILED,JOB_REJECT", "limit": 2, "offset": 1}).json()
    assert page["count"] == 3 and len(page["jobs"]) == 2
    assert {j["job_id"] for j in page["jobs"]} < set(ids)
    assert api.call("GET", api.jobs("a" * 32), params={"job_id": ids[0]}).json()["count"] == 1
    assert api.call("GET", api.jobs("a" * 32)).json()["count"] == 4  # default limit 10
    for bad in ({"limit": 0}, {"limit": 101}, {"offset": -1}, {"limit": "ten"}):
        assert_error(api.call("GET", api.jobs("a" * 32), params=bad), 400, "MSS.00000003")


def test_upload_urls_are_single_use_and_report_md5(api):
    created = api.call("POST", api.jobs(), json={"name": "up"}).json()
    url = created["training_video_upload_url"][0]
    r = requests.put(url, data=b"video-bytes", timeout=TIMEOUT,
                     headers={"Content-Type": "application/octet-stream"})
    assert r.status_code == 200 and r.headers["X-Request-Id"]
    assert_error(requests.put(url, data=b"again", timeout=TIMEOUT), 400)
    parts = api.command(created["job_id"], {"command": "GET_MULTIPART_UPLOADED"}).json()
    etag = md5(b"video-bytes").hexdigest()
    assert parts["multipart_data"] == [{"part_number": "1", "etag": etag}]


def test_control_interface(api):
    job = api.seed("JOB_PENDING", project="b" * 32)
    assert HEX32.fullmatch(job) and api.state(job, "b" * 32) == "JOB_PENDING"
    assert_error(api.call("POST", "/conformance/v1/p/jobs", json={"state": "NOPE"}), 400)
    assert_error(api.call("POST", "/conformance/v1/p/jobs", json={}), 400)
    assert_error(Api(api.url, headers={}).call("POST", "/conformance/v1/reset"), 401)


def test_reset_drops_every_job(lenient):
    job = lenient.seed("JOB_SUCCESS")
    r = lenient.call("POST", "/conformance/v1/reset")
    assert r.status_code == 204 and r.content == b""
    assert_error(lenient.show(job), 400, "MSS.00000003")  # unknown_job_status=400


# --- DELETE over every state ---

@pytest.mark.parametrize("state", STATES)
def test_delete_is_gated_by_state(api, state):
    job = api.seed(state)
    r = api.delete(job)
    if state in DELETABLE:
        assert r.status_code == 200 and r.content == b""
        assert_error(api.show(job), 404, "MSS.41000003")
    else:
        assert_error(r, 400, "MSS.00000003")
        assert api.state(job) == state


def test_deleted_job_is_gone_everywhere(api):
    job = api.seed("JOB_FINISH", project=NA)
    assert api.delete(job, project=NA).status_code == 200
    assert_error(api.show(job, project=NA), 404, "MSS.41000003")
    assert_error(api.command(job, {"command": "CONFIRM_ACCEPT"}, project=NA), 404, "MSS.41000003")
    assert_error(api.delete(job, project=NA), 404, "MSS.41000003")


def test_jobs_are_per_project(api):
    job = api.seed("JOB_SUCCESS")
    assert_error(api.show(job, project=NA), 404)
    assert_error(api.delete(job, project=NA), 404)
    assert api.state(job) == "JOB_SUCCESS"


def test_gates_are_read_from_the_spec(tmp_path, monkeypatch):
    """Edit the spec's gates and the server follows: nothing is restated in Python."""
    spec = yaml.safe_load(yaml.safe_dump(SPEC))
    delete_op = spec["paths"][JOB_PATH]["delete"]
    delete_op["x-deletable-states"] = ["TRAINING"]
    command_op = spec["paths"][JOB_PATH + "/command"]["post"]
    command_op["x-na-only-commands"].remove("CONFIRM_ACCEPT")
    (tmp_path / "training-jobs.yaml").write_text(yaml.safe_dump(spec, allow_unicode=True))
    (tmp_path / "control.yaml").write_text(
        (Path(__file__).parent.parent / "openapi/control.yaml").read_text())
    monkeypatch.setenv("METASTUDIO_SPEC", str(tmp_path / "training-jobs.yaml"))
    srv, thread = start_server()
    try:
        edited = Api(srv.url, headers={})
        assert edited.delete(edited.seed("TRAINING")).status_code == 200
        assert_error(edited.delete(edited.seed("JOB_FINISH")), 400)
        job = edited.seed("WAIT_USER_CONFIRM")  # a standard tenant
        assert edited.command(job, {"command": "CONFIRM_ACCEPT"}).status_code == 200
        other = edited.seed("WAIT_USER_CONFIRM")
        assert_error(edited.command(other, {"command": "CONFIRM_REJECT"}), 400)  # still NA-only
    finally:
        stop_server(srv, thread)

