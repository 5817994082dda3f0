"""No input makes the server answer 5xx; every refusal has the error body."""

from __future__ import annotations

import pytest
from hypothesis import given
from metastudio_conformance import contract, expect
from metastudio_conformance.strategies import hostile

START = contract.initial_state()  # GET_MULTIPART_UPLOADED is allowed here


def _command_path(api, job_id: str) -> str:
    return contract.COMMAND_PATH.format(project_id=api.project_id, job_id=job_id)


def _refused_without_5xx(api, response, what: str) -> None:
    if response.status_code >= 500 or response.status_code < 400:
        expect.violation(api, "ERR-02", f"{what}: {expect.describe(response)}",
                         "refused as a parameter error (4xx), never 5xx")
    expect.error_body(api, response)


@pytest.mark.requirement("ERR-02", "ERR-01")
@given(payload=hostile.malformed_json())
def test_malformed_body_is_a_client_error(payload, api, jobs):
    api.begin()
    job_id = jobs.in_state(START)
    response = api.request("POST", _command_path(api, job_id), data=payload,
                           headers={"Content-Type": "application/json"})
    _refused_without_5xx(api, response, f"body {payload[:40]!r}")
    expect.unchanged(api, "ERR-02", job_id, START)


@pytest.mark.requirement("ERR-02", "ERR-01")
def test_huge_body_is_a_client_error(api, jobs):
    job_id = jobs.in_state(START)
    response = api.request("POST", _command_path(api, job_id), data=hostile.huge_body(),
                           headers={"Content-Type": "application/json"})
    _refused_without_5xx(api, response, "a 2 MiB body")


@pytest.mark.requirement("ERR-02", "ERR-01")
@pytest.mark.parametrize("content_type", ["text/plain", "application/xml",
                                          "multipart/form-data; boundary=x"])
def test_wrong_content_type_is_not_a_server_error(content_type, api, jobs):
    job_id = jobs.in_state(START)
    response = api.request("POST", _command_path(api, job_id), data=b"command=SUBMITVERIFYING",
                           headers={"Content-Type": content_type})
    _refused_without_5xx(api, response, f"Content-Type {content_type}")
