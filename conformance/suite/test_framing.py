"""Framing probes: the command body itself malformed, each beside its valid twin.

Every probe (strategies/framing.py) is sent on a job in the initial state right after its
twin, the same body well framed, which the target must be seen to carry out: then a
refusal can only be for the framing. What the documents rule out (no body, an empty one,
JSON that is not an object, cut short or followed by garbage, not UTF-8, nested 10,000
deep) must be refused (VAL-01) with the error body and leave the job as it was; what they
leave open (a BOM, a duplicate key, another or no Content-Type, a chunked body) is noted
in the `near_misses` matrix, never failed. No probe may be answered 5xx (ERR-02, the
client's). docs/silent-points.md, "Request framing", has the table.
"""

from __future__ import annotations

import pytest

from metastudio_conformance import contract, expect, requirements, rules
from metastudio_conformance.strategies import framing
from metastudio_conformance.strategies.framing import JSON_TYPE, OBSERVED, REFUSED
from metastudio_conformance.twins import (
    MATRIX,
    SharedJob,
    carried_out,
    observed,
    probe_params,
    refusal_judged,
    twin_cells,
)

START = contract.initial_state()
PROBES = framing.probes(contract.raw_spec())
TWIN = "the same body as JSON with Content-Length, sent first on the same job"


def _params(verdict: str):
    return probe_params(PROBES, lambda probe: probe.verdict == verdict)


@pytest.fixture(scope="module")
def framing_job(jobs) -> SharedJob:
    return SharedJob(jobs, START)


def _send(api, probe, job_id: str, data: bytes | None, content_type: str | None,
          chunked: bool = False):
    headers = {"Content-Type": content_type} if content_type else {}
    return api.call(probe.operation, job_id, data=data, headers=headers, chunked=chunked)


def _pair(api, probe, job_id: str):
    """The twin's answer, then the probe's response, on the same job."""
    twin = expect.answer(_send(api, probe, job_id, probe.twin, JSON_TYPE))
    return twin, _send(api, probe, job_id, probe.data, probe.content_type, probe.chunked)


def _row(probe, answer, twin) -> dict:
    return {"probe": probe.id, "operation": probe.operation, "sent": probe.what,
            "observed": observed(answer), "documented": probe.documented,
            "requirement": probe.requirement, **twin_cells(twin, TWIN)}


@pytest.mark.parametrize("probe", _params(REFUSED))
def test_malformed_framing_is_refused(probe, api, framing_job):
    with framing_job.use() as job_id:
        twin, response = _pair(api, probe, job_id)
        answer = expect.answer(response)
        row = _row(probe, answer, twin)
        refusal_judged(api, row, answer, twin, probe.what)
        unit = requirements.unit(probe.requirement)  # refused, and the job left as it was
        expect.noted(api, MATRIX, row, unit, probe.what, response)
        expect.that(api, rules.error_body, response)
        expect.unchanged(api, unit, job_id, START)


@pytest.mark.parametrize("probe", _params(OBSERVED))
def test_open_framing_is_noted(probe, api, jobs):
    """The documents leave it open: carried out like its twin or refused are both
    correct; a 4xx still carries the error body."""
    job_id = jobs.in_state(START)
    twin, response = _pair(api, probe, job_id)
    answer = expect.answer(response)
    outcome = ("like its twin" if carried_out(answer) and observed(answer) == observed(twin)
               else "refused" if requirements.is_refusal(answer) else "differs")
    api.run.note(MATRIX, {**_row(probe, answer, twin), "verdict": "observed",
                          "outcome": outcome})
    expect.that(api, rules.error_body, response)
