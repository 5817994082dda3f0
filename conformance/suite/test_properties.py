"""Property tests generated from the contract by schemathesis, on real jobs.

Positive cases are aimed at a fresh job of the run's project, in a state picked from the
case itself (so a replay hits the same state); negative path parameters are left alone.
Beside the built-in checks and ours, two rules of the oracle apply to every positive case:
the DELETE status gate and the NA-only commands.
"""

from __future__ import annotations

import zlib

import allure
import pytest
import schemathesis
from schemathesis.core.parameters import ParameterLocation

from conformance import checks

# Only the operations under test; Create, Show and List are supporting (tag `supporting`).
contract_schema = schemathesis.pytest.from_fixture("contract_schema").include(tag="under-test")

REQUIREMENTS = ("ERR-01", "ERR-02", "HDR-01", "CMD-03", "CMD-04", "CMD-05", "RSP-01", "RSP-02",
                "RSP-03", "RSP-04", "VAL-01", "VAL-02")


def _state_for(case, states: list[str]) -> str:
    key = repr((case.body, sorted((case.headers or {}).items()))).encode()
    return states[zlib.crc32(key) % len(states)]


@contract_schema.parametrize()
@pytest.mark.requirement(*REQUIREMENTS, "DEL-01", "DEL-02", "CMD-06")
def test_operation(case, settings, http_session, api, jobs):
    allure.dynamic.parameter("operation", case.operation.label)
    state = None
    if case.meta is None or not case.meta.is_negative_at(ParameterLocation.PATH):
        state = _state_for(case, jobs.reachable_states())
        case.path_parameters["project_id"] = settings.project_id
        case.path_parameters["job_id"] = jobs.in_state(state)
    extra = list(checks.ALL)
    if state is not None and case.meta is not None and not case.meta.generation.mode.is_negative:
        extra += checks.state_rules(state, settings.tenant)
    kwargs = {"auth": api.auth, "timeout": settings.request_timeout}
    response = case.call(base_url=settings.target, session=http_session, **kwargs)
    case.validate_response(response, additional_checks=extra, transport_kwargs=kwargs)
