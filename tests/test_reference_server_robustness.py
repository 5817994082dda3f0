"""Robustness: 4xx with the error body and a request id, never 5xx, never a hang."""

from __future__ import annotations

import http.client
import json
import random
import socket
import time

import pytest

from tests.reference_helpers import NA, STD, TIMEOUT, TOKEN, assert_error

pytest_plugins = ["tests.reference_fixtures"]


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

