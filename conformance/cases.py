"""One schemathesis case sent to the target and judged by every rule of the oracle.

Shared by the property tests (generated cases) and the sample answers (a few documented
requests, hand-picked, that run first): the same call, the same checks (`checks.for_run`)
and the same evidence, the failing exchange attached to each finding.
"""

from __future__ import annotations

import zlib

from schemathesis.core import NotSet

from metastudio_conformance import checks, evidence, recorder
from metastudio_conformance.outcomes import RunAborted


def state_for(case, states: list[str]) -> str:
    """Where a generated case's job is, picked from the case itself so a replay meets the
    same state. Half the cases act on a job in the initial state, where a tenant's upload
    commands succeed; the rest spread over every reachable state, where most are refused."""
    body = None if isinstance(case.body, NotSet) else case.body  # its repr has an address
    key = zlib.crc32(repr((body, sorted((case.headers or {}).items()))).encode())
    if key % 2:
        return states[0]
    return states[(key // 2) % len(states)]


def send_and_check(case, state: str | None, settings, http_session, api, run_context):
    """Send `case` on the run's session with its credentials; judge the answer, `state`
    being where the case's job is known to be (None: not known, or not a real job)."""
    extra = checks.for_run(run_context.model, run_context.deviate, state, settings.tenant)
    kwargs = {"auth": api.auth, "timeout": settings.request_timeout,
              "verify": settings.verify, "cert": settings.cert}
    response = case.call(base_url=settings.target, session=http_session, **kwargs)
    if response.status_code == 401:  # the preflight accepted these credentials
        raise RunAborted(f"the target refused the run's credentials mid-run "
                         f"({case.operation.label} answered 401)")
    try:
        case.validate_response(response, additional_checks=extra,
                               excluded_checks=checks.excluded(), transport_kwargs=kwargs)
    except BaseException as error:  # each finding carries the exchange it was found in
        exchange = "Failing exchange:\n" + evidence.full(response, case.operation.method)
        for leaf in recorder.leaves(error):
            if isinstance(getattr(leaf, "message", None), str):
                leaf.message += "\n" + exchange
        raise
    return response
