"""Requests without valid credentials are refused with the error body and change nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import requests

from metastudio_conformance import contract, expect, rules
from metastudio_conformance.auth import AkSkAuth
from metastudio_conformance.outcomes import not_covered

STATE = contract.initial_state()  # deletable: an unauthenticated DELETE would succeed


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
    command = api.call(contract.COMMAND_OPERATION, job_id, body={
        "command": "GET_MULTIPART_UPLOADED"}, headers=headers, authenticated=False)
    expect.that(api, rules.credentials_required, f"a command with credentials {credentials}",
                command)
    delete = api.call(contract.DELETE_OPERATION, job_id, headers=headers, authenticated=False)
    expect.that(api, rules.credentials_required, f"DELETE with credentials {credentials}",
                delete)
    expect.unchanged(api, rules.credentials_required, job_id, STATE)


@pytest.mark.requirement("AUTH-02", "ERR-01")
@pytest.mark.parametrize("flaw", ["wrong-secret", "stale-date", "tampered-body",
                                  "other-project-header"])
def test_bad_aksk_signatures_are_refused(flaw, settings, api, jobs):
    if settings.auth_kind != "aksk":
        not_covered("this run authenticates with a token, not AK/SK")
    job_id = jobs.in_state(STATE)
    anonymous = api.call(contract.COMMAND_OPERATION, job_id, body={
        "command": "GET_MULTIPART_UPLOADED"}, authenticated=False)
    if not 400 <= anonymous.status_code < 500:
        not_covered("the target serves requests without any credentials (AUTH-01's "
                    "finding), so a bad signature has nothing more to show")
    path = contract.operation(contract.COMMAND_OPERATION).url_path(project_id=api.project_id,
                                                                   job_id=job_id)
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
    response = api.session.send(request, timeout=settings.request_timeout,
                                verify=settings.verify, cert=settings.cert)
    expect.that(api, rules.signature_checked, f"a command with a bad signature ({flaw})",
                response)
    expect.unchanged(api, rules.signature_checked, job_id, STATE)
