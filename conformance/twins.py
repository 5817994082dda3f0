"""Minimal pairs: every probe beside its valid twin, sent first in the same state.

A probe (a near miss, a wrong type, a broken framing) differs from a valid request in one
respect. Its refusal proves that the target checks that respect only if the target was
seen to carry out the twin, in the same run and the same state: otherwise the refusal may
be for anything else (the state, the tenant). So each probe's test sends the twin first,
records both answers side by side in the `near_misses` matrix, and judges a refusal only
beside a twin carried out; a refusal beside a twin refused is not covered, never a pass.
An acceptance is a finding whatever the twin did.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from metastudio_conformance import requirements
from metastudio_conformance.answers import Answer
from metastudio_conformance.outcomes import not_covered

MATRIX = "near_misses"
NOT_JUDGED = "not judged"  # the row's verdict when the twin was not carried out


def carried_out(answer: Answer) -> bool:
    """The request was carried out: a 2xx that is not 200 EXCUTE_FAILED (seed: "200 with
    commond_result = EXCUTE_SUCCESS means success")."""
    return 200 <= answer.status < 300 and not requirements.is_refusal(answer)


def observed(answer: Answer) -> str:
    """An answer as a matrix cell: the status, and `commond_result` where there is one."""
    result = answer.field("commond_result")
    return f"{answer.status} {result}" if result else str(answer.status)


def twin_cells(twin: Answer, how: str) -> dict:
    """The twin's part of a probe's row: what it was, what it got, whether it ran."""
    return {"twin": how, "twin_observed": observed(twin), "twin_carried_out": carried_out(twin)}


def refusal_judged(api, row: dict, probe: Answer, twin: Answer, what: str) -> None:
    """Return if the probe's answer can be judged; else note the row and end the test not
    covered: the probe was refused, and so was its twin, so the refusal proves nothing."""
    if carried_out(twin) or not requirements.is_refusal(probe):
        return
    api.run.note(MATRIX, {**row, "verdict": NOT_JUDGED})
    not_covered(f"{what}: refused, but its valid twin was refused too ({twin.describe()}), "
                "so the refusal may have another reason; not judged")


class SharedJob:
    """One job in a state for several probes, kept only while Show confirms that every
    probe left it as it was."""

    def __init__(self, jobs, state: str, per_job: int = 10) -> None:
        self.jobs, self.state, self.per_job = jobs, state, per_job
        self.job_id, self.uses, self.tracked = None, 0, False

    @contextmanager
    def use(self) -> Iterator[str]:
        """The shared job; dropped if the body raises (a probe that changed it fails)."""
        if self._stale() or self.uses >= self.per_job:
            self.job_id, self.uses = self.jobs.in_state(self.state), 0
            self.tracked = self.job_id in self.jobs.created
        self.uses += 1
        try:
            yield self.job_id
        except BaseException:
            self.job_id = None
            raise

    def _stale(self) -> bool:
        """None yet, or deleted since to respect max_live_jobs (no longer tracked)."""
        return self.job_id is None or (self.tracked and self.job_id not in self.jobs.created)


def probe_params(probes, keep) -> Iterator:
    """pytest params of the probes `keep(probe)` chooses, each claiming its requirement
    (if any) and ERR-01, named by its id."""
    import pytest

    for probe in probes:
        if keep(probe):
            claims = (probe.requirement, "ERR-01") if probe.requirement else ("ERR-01",)
            yield pytest.param(probe, id=probe.id, marks=pytest.mark.requirement(*claims))
