"""Property tests generated from the contract by schemathesis, on real jobs.

Positive cases are aimed at a fresh job of the run's project, in a state picked from the
case itself (so a replay hits the same state); negative path parameters are left alone.
Beside the built-in checks and ours, two rules of the oracle apply to every positive case:
the DELETE status gate and the NA-only commands. A negative case is charged to the
documented rule it breaks (CMD-01, CMD-02, CMD-07, HDR-02), else VAL-01.
"""

from __future__ import annotations

import allure
import pytest
from schemathesis.core.parameters import ParameterLocation

from metastudio_conformance import requirements, schema
from metastudio_conformance.answers import Answer
from metastudio_conformance.cases import send_and_check, state_for

# Only the operations under test; Create, Show and List are supporting (tag `supporting`).
contract_schema = schema.for_this_run().include(tag="under-test")

# What every run of these tests exercises. The rules of ALSO run on every answer and fail
# those requirements when broken, but whether a case reaches them is chance, so their
# passes are claimed by the deterministic tests.
REQUIREMENTS = ("ERR-01", "ERR-02", "HDR-01", "RSP-01", "RSP-02", "RSP-03", "VAL-01", "VAL-02",
                "DEL-01", "DEL-02")
ALSO = ("CMD-01", "CMD-02", "CMD-03", "CMD-04", "CMD-05", "CMD-06", "CMD-07", "HDR-02",
        "RSP-05")


@pytest.fixture(scope="module")
def refused_only() -> dict[str, str]:
    """A job per state whose every command so far was refused. The next command case in
    that state may use it: the rules a command's answer is judged by do not depend on the
    state (the DELETE gate does: a DELETE case always gets a proven or a fresh job)."""
    return {}


@contract_schema.parametrize()
@pytest.mark.requirement(*REQUIREMENTS, also=ALSO)
def test_operation(case, settings, http_session, api, jobs, run_context, refused_only):
    allure.dynamic.parameter("operation", case.operation.label)
    state, job_id = None, None
    command = case.operation.method.upper() == "POST"
    if case.meta is None or not case.meta.is_negative_at(ParameterLocation.PATH):
        state = state_for(case, jobs.reachable_states())
        job_id = (command and refused_only.pop(state, None)) or jobs.in_state(state)
        case.path_parameters["project_id"] = settings.project_id
        case.path_parameters["job_id"] = job_id
    response = send_and_check(case, state, settings, http_session, api, run_context)
    if command and job_id and requirements.is_refusal(Answer.of(response)):
        refused_only[state] = job_id
