"""Shared helpers of the reference-server tests: a client, error assertions, AK/SK signing.

Expectations come from openapi/*.yaml read here directly (not through the server's own
contract module), so a server that misreads the spec fails these tests.
"""

from __future__ import annotations

import re
from pathlib import Path

import requests
import yaml
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.sdk_request import SdkRequest
from jsonschema import Draft4Validator

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
        self.session.trust_env = False  # loopback: no proxy from the environment, no netrc

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
        assert r.status_code == 201, (r.status_code, r.text)
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
    assert r.status_code == status, (r.status_code, status, r.text)
    assert r.headers["Content-Type"].startswith("application/json"), r.headers["Content-Type"]
    body = r.json()
    assert set(body) == {"error_code", "error_msg"}, body
    assert re.fullmatch(r"MSS\.\d{8}", body["error_code"]), body
    assert isinstance(body["error_msg"], str) and body["error_msg"], body
    if code:
        assert body["error_code"] == code, body


OPTIONS = dict(token=TOKEN, ak=AK, sk=SK, na_projects=[NA])


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

