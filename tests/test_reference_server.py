"""The reference server over real loopback HTTP: shapes, lifecycle, auth, robustness, faults.

Expectations come from openapi/*.yaml read here directly (not through the server's own
contract module), so a server that misreads the spec fails these tests.
"""

from __future__ import annotations

import http.client
import json
import random
import re
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from hashlib import md5
from pathlib import Path

import pytest
import requests
import yaml
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.sdk_request import SdkRequest
from jsonschema import Draft4Validator

from reference_server import start_server, stop_server
from reference_server.__main__ import main as cli_main
from reference_server.faults import REGISTRY

SPEC = yaml.safe_load((Path(__file__).parent.parent / "openapi/training-jobs.yaml").read_text())
STATES = SPEC["components"]["schemas"]["JobState"]["enum"]
JOB_PATH = "/v1/{project_id}/digital-human-training-manage/user/jobs/{job_id}"
DELETABLE = SPEC["paths"][JOB_PATH]["delete"]["x-deletable-states"]
TOKEN, AK, SK = "test-token", "AKTEST0000000001", "sk-secret"
STD, NA = "0" * 31 + "1", "f" * 32  # a standard and an NA (whitelisted) project
HEX32 = re.compile(r"[0-9a-f]{32}")
RFC3339 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
CHINESE = "用户".encode()
TIMEOUT = 5


def inline(node):
    """The spec node with its local $refs inlined, for jsonschema."""
    if isinstance(node, list):
        return [inline(v) for v in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        target = SPEC
        for key in node["$ref"].removeprefix("#/").split("/"):
            target = target[key]
        return inline(target)
    return {k: inline(v) for k, v in node.items()}


def schema_errors(name: str, body) -> list[str]:
    schema = inline(SPEC["components"]["schemas"][name])
    return [e.message for e in Draft4Validator(schema).iter_errors(body)]


class Api:
    """A client of one server: token auth by default, every call with a timeout."""

    def __init__(self, url: str, headers: dict | None = None, strict: bool = True):
        self.url, self.session, self.strict = url, requests.Session(), strict
        self.session.headers.update({"X-Auth-Token": TOKEN} if headers is None else headers)

    def call(self, method, path, **kw) -> requests.Response:
        r = self.session.request(method, self.url + path, timeout=TIMEOUT, **kw)
        if self.strict:  # HDR-01 and ERR-02 hold for every answer of a sound server
            assert r.headers.get("X-Request-Id"), (method, path)
            assert r.status_code < 500, (method, path, r.status_code, r.text)
        return r

    def jobs(self, project=STD, suffix=""):
        return f"/v1/{project}/digital-human-training-manage/user/jobs{suffix}"

    def seed(self, state, project=STD) -> str:
        r = self.call("POST", f"/conformance/v1/{project}/jobs", json={"state": state})
        assert r.status_code == 201, r.text
        return r.json()["job_id"]

    def show(self, job, project=STD, **kw):
        return self.call("GET", self.jobs(project, f"/{job}"), **kw)

    def state(self, job, project=STD):
        return self.show(job, project).json()["state"]

    def command(self, job, body, project=STD, **kw):
        return self.call("POST", self.jobs(project, f"/{job}/command"), json=body, **kw)

    def delete(self, job, project=STD, **kw):
        return self.call("DELETE", self.jobs(project, f"/{job}"), **kw)


def assert_error(r, status, code=None):
    assert r.status_code == status, r.text
    assert r.headers["Content-Type"].startswith("application/json")
    body = r.json()
    assert set(body) == {"error_code", "error_msg"}, body
    assert re.fullmatch(r"MSS\.\d{8}", body["error_code"]), body
    assert isinstance(body["error_msg"], str) and body["error_msg"]
    if code:
        assert body["error_code"] == code, body


OPTIONS = dict(token=TOKEN, ak=AK, sk=SK, na_projects=[NA])


@pytest.fixture(scope="module")
def server():
    srv, thread = start_server("127.0.0.1", 0, **OPTIONS)
    yield srv
    stop_server(srv, thread)


@pytest.fixture(scope="module")
def api(server):
    return Api(server.url)


@pytest.fixture(scope="module")
def lenient():
    """No auth, EXCUTE_FAILED refusals, 400 for unknown jobs."""
    srv, thread = start_server(refusal="excute-failed", unknown_job_status=400,
                               na_projects=[NA], read_timeout=1)
    yield Api(srv.url, headers={})
    stop_server(srv, thread)


# --- shapes of every endpoint ---

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


# --- lifecycle ---

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


# --- auth ---

def signed(server, method, path, body=b"", query=(), ak=AK, sk=SK, project=STD, date=None,
           tamper=None) -> requests.Response:
    """Send a request signed by huaweicloudsdkcore, as the official SDK does."""
    headers = {"Content-Type": "application/json"}
    if date is not None:
        headers["X-Sdk-Date"] = date.strftime("%Y%m%dT%H%M%SZ")
    req = SdkRequest(method=method, schema="http", host=server.url.split("//")[1],
                     resource_path=path, query_params=list(query), header_params=headers,
                     body=body)
    BasicCredentials(ak, sk, project).sign_request(req)
    sent_headers, sent_body = dict(req.header_params), body
    if tamper:
        sent_headers, sent_body = tamper(sent_headers, body)
    return requests.request(method, server.url + req.uri, headers=sent_headers, data=sent_body,
                            timeout=TIMEOUT)


def test_aksk_signed_requests_pass(server, api):
    path = api.jobs()
    created = signed(server, "POST", path, b'{"name": "signed"}')
    assert created.status_code == 200, created.text
    listed = signed(server, "GET", path, query=[("limit", 100), ("state", "WAIT_FILE_UPLOAD")])
    assert created.json()["job_id"] in [j["job_id"] for j in listed.json()["jobs"]]
    ten_minutes_ago = datetime.now(UTC) - timedelta(minutes=10)
    job_path = api.jobs(suffix=f"/{created.json()['job_id']}")
    assert signed(server, "DELETE", job_path, date=ten_minutes_ago).status_code == 200


def _resign(field, value):
    def tamper(headers, body):
        auth = re.sub(rf"{field}=[^,]+", f"{field}={value}", headers["Authorization"])
        return {**headers, "Authorization": auth}, body
    return tamper


@pytest.mark.parametrize("how", ["other-sk", "other-ak", "tampered-body", "tampered-signature",
                                 "unsigned-header-dropped", "stale-date", "future-date"])
def test_bad_aksk_signatures_are_refused(server, api, how):
    now = datetime.now(UTC)
    kwargs = {
        "other-sk": dict(sk="not-the-secret"),
        "other-ak": dict(ak="AKSOMEONEELSE001"),
        "tampered-body": dict(tamper=lambda h, b: (h, b'{"name": "evil"}')),
        "tampered-signature": dict(tamper=_resign("Signature", "0" * 64)),
        "unsigned-header-dropped": dict(tamper=lambda h, b: (
            {k: v for k, v in h.items() if k != "X-Sdk-Date"}, b)),
        "stale-date": dict(date=now - timedelta(minutes=16)),
        "future-date": dict(date=now + timedelta(minutes=16)),
    }[how]
    before = api.call("GET", api.jobs(), params={"limit": 100}).json()["count"]
    assert_error(signed(server, "POST", api.jobs(), b'{"name": "n"}', **kwargs), 401,
                 "MSS.00000001")
    assert api.call("GET", api.jobs(), params={"limit": 100}).json()["count"] == before


def test_project_id_header_must_match_the_path(server, api):
    assert_error(signed(server, "GET", api.jobs(), project="c" * 32), 400, "MSS.00010009")
    assert_error(api.call("GET", api.jobs(), headers={"X-Project-Id": NA}), 400, "MSS.00010009")


@pytest.mark.parametrize("headers", [{}, {"X-Auth-Token": "wrong"}, {"Authorization": "junk"},
                                     {"X-Auth-Token": ""}])
def test_missing_or_wrong_credentials_are_refused(api, headers):
    job = api.seed("JOB_SUCCESS")
    anonymous = Api(api.url, headers=headers)
    assert_error(anonymous.delete(job), 401, "MSS.00000001")
    assert_error(anonymous.command(job, {"command": "SUBMITVERIFYING"}), 401, "MSS.00000001")
    assert_error(anonymous.call("POST", f"/conformance/v1/{STD}/jobs", json={"state": "TRAINING"}),
                 401, "MSS.00000001")
    assert api.state(job) == "JOB_SUCCESS"


def test_auth_off_serves_everyone(lenient):
    assert lenient.call("POST", lenient.jobs(), json={"name": "open"}).status_code == 200


# --- X-App-UserId ---

@pytest.mark.parametrize("value", [CHINESE, "ab用".encode(), "\u3002".encode(), b"\xff\xfe"])
def test_app_user_id_with_chinese_or_bad_utf8_is_refused(api, value):
    job = api.seed("JOB_SUCCESS")
    assert_error(api.delete(job, headers={"X-App-UserId": value}), 400, "MSS.00000003")
    assert_error(api.command(job, {"command": "SUBMITVERIFYING"}, headers={"X-App-UserId": value}),
                 400, "MSS.00000003")
    assert_error(api.show(job, headers={"X-App-UserId": value}), 400, "MSS.00000003")
    assert api.state(job) == "JOB_SUCCESS"


@pytest.mark.parametrize("value", [b"app-user-0001", "ユーザー".encode(), "José".encode()])
def test_app_user_id_without_chinese_is_accepted(api, value):
    job = api.seed("JOB_SUCCESS")
    assert api.show(job, headers={"X-App-UserId": value}).status_code == 200
    assert api.delete(job, headers={"X-App-UserId": value}).status_code == 200


# --- robustness: 4xx with the error body and a request id, never 5xx, never a hang ---

def raw_exchange(url: str, data: bytes, method: str = "GET", timeout: float = TIMEOUT):
    """Send bytes as they are; parse the one answer. Returns (response, body)."""
    host, port = url.split("//")[1].split(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        sock.sendall(data)
        resp = http.client.HTTPResponse(sock, method=method)
        resp.begin()
        return resp, resp.read()


def raw_request(api, method: str, path: str, body: bytes = b"", headers: dict | None = None):
    head = {"Host": "x", "X-Auth-Token": TOKEN, "Content-Length": str(len(body)),
            **(headers or {})}
    lines = "".join(f"{k}: {v}\r\n" for k, v in head.items() if v is not None)
    return raw_exchange(api.url, f"{method} {path} HTTP/1.1\r\n{lines}\r\n".encode() + body,
                        method=method)


def assert_raw_error(resp, body, status=400, code=None):
    assert resp.status == status, body
    assert resp.getheader("X-Request-Id")
    assert_error_body(body, code)


def assert_error_body(raw: bytes, code=None):
    parsed = json.loads(raw)
    assert set(parsed) == {"error_code", "error_msg"} and parsed["error_code"].startswith("MSS.")
    assert code is None or parsed["error_code"] == code, parsed


@pytest.mark.parametrize("body", [b"{bad", b"[1, 2]", b'"command"', b"null", b"", b"\xff\xfe{",
                                  b'{"command": NaN}', b"[" * 200_000, bytes(range(256)),
                                  '{"command": "SUBMITVERIFYING"}'.encode("utf-16")])
def test_unparseable_bodies_answer_400(api, body):
    job = api.seed("WAIT_FILE_UPLOAD")
    r = api.call("POST", api.jobs(suffix=f"/{job}/command"), data=body)
    assert_error(r, 400, "MSS.10000002")
    assert api.state(job) == "WAIT_FILE_UPLOAD"


@pytest.mark.parametrize("body", [
    {}, {"command": 1}, {"command": None}, {"command": ["SUBMITVERIFYING"]},
    {"command": "submitverifying"}, {"command": "X" * 100}, {"command": "CONFIRM_REPAIR"},
    {"command": "SUBMITVERIFYING", "command_message": "NOPE"},
    {"command": "CONFIRM_ANSWER", "comment_data": "text"},
    {"command": "CONFIRM_ANSWER", "comment_data": {"attachment_name": "a.png"}},
    {"command": "CONFIRM_ANSWER", "comment_data": {"attachment_name": [1]}},
    {"command": "CONFIRM_ANSWER", "comment_data": {"comment_title": 5}},
    {"command": "SUBMITVERIFYING", "operation_reason": {}}])
def test_invalid_command_bodies_answer_400(api, body):
    job = api.seed("WAIT_USER_CONFIRM", project=NA)
    assert_error(api.command(job, body, project=NA), 400, "MSS.10000003")
    assert api.state(job, NA) == "WAIT_USER_CONFIRM"


@pytest.mark.parametrize("method", ["HEAD", "OPTIONS", "PATCH", "PUT", "TRACE", "GET", "BREW",
                                    "get", "M-SEARCH"])
def test_odd_methods_on_a_known_path(api, method):
    job = api.seed("JOB_SUCCESS")
    resp, body = raw_request(api, method, api.jobs(suffix=f"/{job}/command"))
    assert resp.status == 400 and resp.getheader("X-Request-Id")
    if method != "HEAD":
        assert_error_body(body, "MSS.00010004")
    assert api.state(job) == "JOB_SUCCESS"


@pytest.mark.parametrize("path", [
    "/", "/v1", "/v1/p/digital-human-training-manage/user/jobs/x/command/extra",
    "/v1/p/digital-human-training-manage/user/jobs/", "//v1", "/upload", "*",
    "http://example.com/v1/p/digital-human-training-manage/user/jobs",
    "/v1/p/digital-human-training-manage/user/jobs/x/command;a=b"])
def test_unknown_paths(api, path):
    assert_raw_error(*raw_request(api, "GET", path), code="MSS.00010003")


@pytest.mark.parametrize("job", ["%E4%B8%AD", "%00", "%2F..%2F", "%ZZ", "a%20b", "中文".encode()
                                 .decode("latin-1"), "x" * 5000])
def test_odd_job_ids_are_not_found(api, job):
    resp, body = raw_request(api, "GET", api.jobs(suffix=f"/{job}?q=%FF&&=="),
                             headers={"X-App-UserId": None})
    assert_raw_error(resp, body, 404, "MSS.41000003")


def test_query_strings_do_not_disturb_commands(api):
    job = api.seed("WAIT_USER_CONFIRM", project=NA)
    r = api.call("POST", api.jobs(NA, f"/{job}/command?x=1&x=2&=&%ZZ"),
                 json={"command": "CONFIRM_PENDING"})
    assert r.status_code == 200 and api.state(job, NA) == "JOB_PENDING"


def test_huge_body_is_refused_without_being_read(api):
    head = (f"POST {api.jobs(suffix='/x/command')} HTTP/1.1\r\nHost: x\r\n"
            f"X-Auth-Token: {TOKEN}\r\nContent-Length: {10 * 1024 * 1024}\r\n\r\n").encode()
    started = time.monotonic()
    resp, body = raw_exchange(api.url, head + b"{" * 1000, method="POST")
    assert_raw_error(resp, body)
    assert resp.getheader("Connection") == "close" and time.monotonic() - started < 2


@pytest.mark.parametrize("headers", [{"Content-Length": "abc"}, {"Content-Length": "-1"},
                                     {"Content-Length": "\u00b2"},
                                     {"Transfer-Encoding": "gzip"},
                                     {"Transfer-Encoding": "chunked"}])
def test_unusable_framing_answers_400_and_closes(api, headers):
    resp, body = raw_request(api, "POST", api.jobs(suffix="/x/command"), b"zz\r\n{}",
                             headers={"Content-Length": None, **headers})
    assert_raw_error(resp, body)
    assert resp.getheader("Connection") == "close"


def test_chunked_body_is_read(api):
    job = api.seed("WAIT_USER_CONFIRM", project=NA)
    chunks = iter([b'{"command": ', b'"CONFIRM_REJECT"}'])
    r = api.call("POST", api.jobs(NA, f"/{job}/command"), data=chunks,
                 headers={"Content-Type": "application/json"})
    assert r.status_code == 200 and api.state(job, NA) == "JOB_REJECT"


def test_missing_content_type_is_fine_for_json(api):
    job = api.seed("WAIT_USER_CONFIRM", project=NA)
    resp, body = raw_request(api, "POST", api.jobs(NA, f"/{job}/command"),
                             b'{"command": "CONFIRM_PENDING"}')
    assert resp.status == 200 and api.state(job, NA) == "JOB_PENDING"


@pytest.mark.parametrize("request_line", [b"GARBAGE\r\n\r\n", b"GET / HTTP/2.0\r\n\r\n",
                                          b"GET /x HTTP/1.1 extra\r\n\r\n", b"\x16\x03\x01\r\n\r\n",
                                          b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\n\r\n"])
def test_broken_request_lines_get_an_error_body(api, request_line):
    resp, body = raw_exchange(api.url, request_line)
    assert 400 <= resp.status < 500 and resp.getheader("X-Request-Id")
    assert_error_body(body)


def test_a_stalled_body_times_out_with_400(lenient):
    head = (f"POST {lenient.jobs(suffix='/x/command')} HTTP/1.1\r\nHost: x\r\n"
            "Content-Length: 100\r\n\r\n{").encode()
    started = time.monotonic()
    resp, body = raw_exchange(lenient.url, head, method="POST")
    assert_raw_error(resp, body)
    assert time.monotonic() - started < 4  # read_timeout=1 on this server


def test_keep_alive_survives_errors(api):
    host, port = api.url.split("//")[1].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=TIMEOUT)
    job = api.seed("WAIT_USER_CONFIRM", project=NA)
    headers = {"X-Auth-Token": TOKEN}
    for body, status in [(b"{bad", 400), (b"[]", 400), (b'{"command": "CONFIRM_PENDING"}', 200),
                         (b'{"command": "CONFIRM_ACTIVE"}', 200)]:
        conn.request("POST", api.jobs(NA, f"/{job}/command"), body=body, headers=headers)
        resp = conn.getresponse()
        assert resp.status == status and resp.read()
    assert api.state(job, NA) == "WAIT_USER_CONFIRM"
    conn.close()


def test_random_bytes_never_give_5xx(api):
    rng = random.Random(1234)
    for _ in range(60):
        body = rng.randbytes(rng.randint(0, 300))
        method = rng.choice(["POST", "DELETE", "GET", "PUT"])
        path = rng.choice([api.jobs(suffix="/x/command"), api.jobs(), "/upload/nope",
                           f"/conformance/v1/{STD}/jobs", api.jobs(suffix="/x")])
        r = api.call(method, path, data=body)
        if r.status_code >= 400:
            assert_error(r, r.status_code)


# --- faults: each changes the behaviour it claims, and nothing that another probe sees ---

def _result(r):
    return r.status_code, r.json().get("commond_result")


def _parts(a):
    return a.command(a.seed("WAIT_FILE_UPLOAD"), {"command": "GET_MULTIPART_UPLOADED"}).json()


def _delete_then_show(a, state):
    job = a.seed(state)
    return a.delete(job).status_code, a.show(job).status_code


def _na_command_as_standard(a):
    job = a.seed("WAIT_USER_CONFIRM")
    return a.command(job, {"command": "CONFIRM_ACCEPT"}).status_code, a.state(job)


def _request_ids(a):
    answers = (a.show(a.seed("TRAINING")), a.show("0" * 32), a.call("GET", "/nope"))
    return tuple(bool(r.headers.get("X-Request-Id")) for r in answers)


# fault -> (probe, what a sound server shows, what the faulty one shows)
PROBES = {
    "missing-command-accepted": (lambda a: _result(a.command(a.seed("WAIT_FILE_UPLOAD"), {})),
                                 (400, None), (200, "EXCUTE_SUCCESS")),
    "unknown-command-accepted": (
        lambda a: _result(a.command(a.seed("WAIT_FILE_UPLOAD"), {"command": "FROBNICATE"})),
        (400, None), (200, "EXCUTE_SUCCESS")),
    "command-result-typo-fixed": (lambda a: sorted(_parts(a)),
                                  ["commond_result", "multipart_data"],
                                  ["command_result", "multipart_data"]),
    "part-number-integer": (lambda a: type(_parts(a)["multipart_data"][0]["part_number"]),
                            str, int),
    "na-command-for-standard": (_na_command_as_standard, (400, "WAIT_USER_CONFIRM"),
                                (200, "JOB_FINISH")),
    "no-request-id": (_request_ids, (True, True, True), (False, False, False)),
    "chinese-user-id-accepted": (
        lambda a: a.show(a.seed("TRAINING"), headers={"X-App-UserId": CHINESE}).status_code,
        400, 200),
    "error-without-msg": (lambda a: sorted(a.call("GET", "/nope").json()),
                          ["error_code", "error_msg"], ["error_code"]),
    "500-on-malformed-json": (
        lambda a: a.call("POST", a.jobs(suffix="/x/command"), data=b"{bad").status_code, 400, 500),
    "delete-in-training": (lambda a: _delete_then_show(a, "TRAINING"), (400, 200), (200, 404)),
    "delete-keeps-job": (lambda a: _delete_then_show(a, "JOB_SUCCESS"), (200, 404), (200, 200)),
    "auth-not-enforced": (
        lambda a: Api(a.url, headers={}, strict=False).show(a.seed("TRAINING")).status_code,
        401, 200),
}


@pytest.fixture(scope="module")
def faulty():
    started = {name: start_server(faults=[name], **OPTIONS) for name in PROBES}
    yield {name: Api(srv.url, strict=False) for name, (srv, _) in started.items()}
    for srv, thread in started.values():
        stop_server(srv, thread)


def test_every_registered_fault_has_a_probe():
    assert set(REGISTRY) == set(PROBES)
    assert {f.requirement for f in REGISTRY.values()} >= {
        "CMD-01", "CMD-02", "CMD-03", "CMD-04", "CMD-06", "HDR-01", "HDR-02", "ERR-01",
        "ERR-02", "DEL-02", "DEL-03", "AUTH-01"}


@pytest.mark.parametrize("fault", list(PROBES))
def test_fault_changes_its_behaviour_only(api, faulty, fault):
    probe, sound, broken = PROBES[fault]
    assert probe(api) == sound
    assert probe(faulty[fault]) == broken
    for other, (other_probe, other_sound, _) in PROBES.items():
        if other != fault:
            assert other_probe(faulty[fault]) == other_sound, other


# --- CLI ---

@pytest.mark.parametrize("argv", [["--ak", "a"], ["--sk", "s"], ["--fault", "nope"], ["--bogus"],
                                  ["--unknown-job-status", "500"], ["--refusal", "maybe"],
                                  ["--port", "70000"], ["--port", "abc"], ["--na-project"]])
def test_cli_usage_errors_exit_2_with_one_line(capsys, argv):
    try:
        code = cli_main(argv)
    except SystemExit as exc:  # argparse's own errors
        code = exc.code
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert len(err.splitlines()) == 1 and "error" in err and "Traceback" not in err


def test_cli_lists_faults(capsys):
    assert cli_main(["--list-faults"]) == 0
    rows = [line.split(None, 2) for line in capsys.readouterr().out.splitlines()]
    assert {name: req for name, req, _ in rows} == {f.name: f.requirement
                                                    for f in REGISTRY.values()}
    assert all(re.fullmatch(r"[A-Z]+-\d\d", req) and desc for _, req, desc in rows)


def test_cli_serves_then_exits_cleanly_on_sigterm():
    proc = subprocess.Popen([sys.executable, "-m", "reference_server", "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        banner = proc.stdout.readline().strip()
        match = re.fullmatch(r"serving on (http://127\.0\.0\.1:\d+)", banner)
        assert match, banner
        anonymous = Api(match.group(1), headers={})
        job = anonymous.seed("JOB_SUCCESS")
        assert anonymous.delete(job).status_code == 200  # auth is off
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
        assert proc.stdout.read() == ""
        assert "auth is off" in proc.stderr.read()
    finally:
        proc.kill()
        proc.wait()
