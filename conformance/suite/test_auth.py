"""Requests without valid credentials are refused with the error body and change nothing."""

from __future__ import annotations

import pytest

from conformance import contract, expect

STATE = "WAIT_FILE_UPLOAD"  # deletable: an unauthenticated DELETE would succeed here


def _refused(api, response, what: str) -> None:
    if not 400 <= response.status_code < 500:
        expect.violation(api, "AUTH-01", f"{what}: {expect.describe(response)}",
                         "refused with 4xx and the error body")
    expect.error_body(api, response)


@pytest.mark.requirement("AUTH-01", "ERR-01")
@pytest.mark.parametrize("credentials", ["none", "wrong-token", "bad-signature"])
def test_unauthenticated_requests_are_refused(credentials, api, jobs):
    job_id = jobs.in_state(STATE)
    headers = {
        "none": {},
        "wrong-token": {"X-Auth-Token": "not-a-valid-token"},
        "bad-signature": {
            "Authorization": "SDK-HMAC-SHA256 Access=NOTANAK, SignedHeaders=host;x-sdk-date, "
            "Signature=" + "0" * 64,
            "X-Sdk-Date": "20240704T000000Z",
        },
    }[credentials]
    ids = {"project_id": api.project_id, "job_id": job_id}
    command = api.request("POST", contract.COMMAND_PATH.format(**ids),
                          json_body={"command": "GET_MULTIPART_UPLOADED"}, headers=headers,
                          authenticated=False)
    _refused(api, command, f"command with credentials {credentials}")
    delete = api.request("DELETE", contract.JOB_PATH.format(**ids), headers=headers,
                         authenticated=False)
    _refused(api, delete, f"DELETE with credentials {credentials}")
    expect.unchanged(api, "AUTH-01", job_id, STATE)
