"""Requests without valid credentials are refused with the error body and change nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import requests
from metastudio_conformance import contract, expect
from metastudio_conformance.auth import AkSkAuth

STATE = contract.initial_state()  # deletable: an unauthenticated DELETE would succeed


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


@pytest.mark.requirement("AUTH-02", "ERR-01")
@pytest.mark.parametrize("flaw", ["wrong-secret", "stale-date", "tampered-body",
                                  "other-project-header"])
def test_bad_aksk_signatures_are_refused(flaw, settings, api, jobs):
    if settings.auth_kind != "aksk":
        pytest.skip("not covered: this run authenticates with a token, not AK/SK")
    job_id = jobs.in_state(STATE)
    path = contract.COMMAND_PATH.format(project_id=api.project_id, job_id=job_id)
    secret = settings.sk + "-wrong" if flaw == "wrong-secret" else settings.sk
    # Validly signed, but claiming another project than the one in the path.
    claimed = "0" * 31 + "9" if flaw == "other-project-header" else api.project_id
    signer = AkSkAuth(settings.ak, secret, claimed)
    headers = {"Content-Type": "application/json"}
    if flaw == "stale-date":  # signed correctly, an hour ago: a replayed request
        stale = datetime.now(UTC) - timedelta(hours=1)
        headers["X-Sdk-Date"] = stale.strftime("%Y%m%dT%H%M%SZ")
    request = requests.Request("POST", settings.target + path, headers=headers,
                               data=b'{"command": "GET_MULTIPART_UPLOADED"}').prepare()
    signer(request)
    if flaw == "tampered-body":  # the signature covers the body it was made for
        request.prepare_body(b'{"command": "SUBMITVERIFYING"}', None)
    response = api.session.send(request, timeout=settings.request_timeout)
    if not 400 <= response.status_code < 500:
        expect.violation(api, "AUTH-02", f"{flaw}: {expect.describe(response)}",
                         "a request with a bad signature is refused with 4xx")
    expect.error_body(api, response)
    expect.unchanged(api, "AUTH-02", job_id, STATE)
