"""Property tests generated from the contract by schemathesis, on real jobs.

Positive cases are aimed at a fresh job of the run's project, in a state picked from the
case itself (so a replay hits the same state); negative path parameters are left alone.
Beside the built-in checks and ours, two rules of the oracle apply to every positive case:
the DELETE status gate and the NA-only commands. A negative case is charged to the
documented rule it breaks (CMD-01, CMD-02, CMD-07, HDR-02), else VAL-01.
"""

from __future__ import annotations

import zlib

import allure
import pytest
from schemathesis.core.parameters import ParameterLocation

from metastudio_conformance import checks, exchanges, results, schema
from metastudio_conformance.outcomes import RunAborted

# Only the operations under test; Create, Show and List are supporting (tag `supporting`).
contract_schema = schema.for_this_run().include(tag="under-test")

# What every run of these tests exercises. The rules of ALSO run on every answer and fail
# those requirements when broken, but whether a case reaches them is chance, so their
# passes are claimed by the deterministic tests.
REQUIREMENTS = ("ERR-01", "ERR-02", "HDR-01", "RSP-01", "RSP-02", "RSP-03", "VAL-01", "VAL-02",
                "DEL-01", "DEL-02")
ALSO = ("CMD-01", "CMD-02", "CMD-03", "CMD-04", "CMD-05", "CMD-06", "CMD-07", "HDR-02",
        "RSP-05")


def _state_for(case, states: list[str]) -> str:
    """Half the cases act on a job in the initial state, where a tenant's upload commands
    succeed; the rest spread over every reachable state, where most are refused."""
    key = zlib.crc32(repr((case.body, sorted((case.headers or {}).items()))).encode())
    if key % 2:
        return states[0]
    return states[(key // 2) % len(states)]


@contract_schema.parametrize()
@pytest.mark.requirement(*REQUIREMENTS, also=ALSO)
def test_operation(case, settings, http_session, api, jobs, run_context):
    allure.dynamic.parameter("operation", case.operation.label)
    state = None
    if case.meta is None or not case.meta.is_negative_at(ParameterLocation.PATH):
        state = _state_for(case, jobs.reachable_states())
        case.path_parameters["project_id"] = settings.project_id
        case.path_parameters["job_id"] = jobs.in_state(state)
    extra = checks.for_run(run_context.model, run_context.deviate, state, settings.tenant)
    kwargs = {"auth": api.auth, "timeout": settings.request_timeout,
              "verify": settings.verify, "cert": settings.cert}
    response = case.call(base_url=settings.target, session=http_session, **kwargs)
    if response.status_code == 401:  # the preflight accepted these credentials
        raise RunAborted(f"the target refused the run's credentials mid-run "
                         f"({case.operation.label} answered 401)")
    try:
        case.validate_response(response, additional_checks=extra,
                               excluded_checks=checks.REPLACED, transport_kwargs=kwargs)
    except BaseException as error:  # each finding carries the exchange it was found in
        evidence = "Failing exchange:\n" + exchanges.full(response, case.operation.method)
        for leaf in results.leaves(error):
            if isinstance(getattr(leaf, "message", None), str):
                leaf.message += "\n" + evidence
        raise
