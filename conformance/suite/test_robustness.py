"""No input makes the server answer 5xx; malformed bodies are refused with the error body."""

from __future__ import annotations

import pytest
from hypothesis import given

from metastudio_conformance import contract, expect, rules
from metastudio_conformance.series import RefusalSeries
from metastudio_conformance.strategies import hostile

START = contract.initial_state()


def _send(api, job_id: str, data: bytes, content_type: str = "application/json"):
    """A command whose body is raw bytes; a 5xx answer is ERR-02 (the client says so)."""
    return api.call(contract.COMMAND_OPERATION, job_id, data=data,
                    headers={"Content-Type": content_type})


@pytest.mark.hypothesis  # runs max_examples examples (shards.cost)
@pytest.mark.requirement("ERR-02", "VAL-01", "ERR-01")
def test_malformed_body_is_refused(api, jobs):
    series = RefusalSeries(api, jobs, "VAL-01", START)  # one job, one Show at the end

    @given(payload=hostile.malformed_json())
    def example(payload):
        api.begin()
        series.refused(f"body {payload[:40]!r} (not JSON)",
                       lambda job_id: _send(api, job_id, payload))

    example()
    series.prove_unchanged()


@pytest.mark.requirement("ERR-02", "ERR-01")
def test_huge_body_is_not_a_server_error(api, jobs):
    """No size limit is documented: accepting or refusing 2 MiB are both correct; a 5xx
    is not, and a refusal carries the error body."""
    response = _send(api, jobs.in_state(START), hostile.huge_body())
    expect.that(api, rules.error_body, response)


@pytest.mark.requirement("ERR-02", "VAL-01", "ERR-01")
@pytest.mark.parametrize("content_type", ["text/plain", "application/xml",
                                          "multipart/form-data; boundary=x"])
def test_body_that_is_not_json_is_refused(content_type, api, jobs):
    job_id = jobs.in_state(START)
    expect.that(api, rules.parameters_checked, f"a {content_type} body",
                _send(api, job_id, b"command=SUBMITVERIFYING", content_type))
    expect.unchanged(api, rules.parameters_checked, job_id, START)
