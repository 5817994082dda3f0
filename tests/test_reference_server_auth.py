"""The reference server's authentication (token, AK/SK via the SDK signer), X-App-UserId."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from tests.reference_helpers import (
    CHINESE,
    NA,
    STD,
    Api,
    assert_error,
    signed,
)

pytest_plugins = ["tests.reference_fixtures"]


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

