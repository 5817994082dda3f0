"""Near misses: a value just outside each documented request constraint, one item each.

The probes come from the spec (`strategies/near_misses.py`): each enumeration value
misspelt once, each field in a neighbouring JSON type, `X-App-UserId` with one Chinese
character at the start, in the middle, at the end and at the edges of the spec's
excluded ranges. A probe the documents rule out must be refused and leave the job as it
was; what only the spec's pattern rules out, and the characters just outside it, are
noted in the `near_misses` matrix of results.json, never failed (docs/silent-points.md
#16: beyond "no Chinese characters" the server chooses).
"""

from __future__ import annotations

from contextlib import contextmanager

import pytest

from metastudio_conformance import contract, expect, probe_groups, requirements, rules
from metastudio_conformance.strategies import near_misses
from metastudio_conformance.strategies.near_misses import CONTROL, OBSERVED, REFUSED

START = contract.initial_state()
MATRIX = probe_groups.MATRIX
PROBES = near_misses.probes()
PROBES_PER_JOB = 10  # a refused probe leaves its job as it was: the next one may use it


def _params(kind: str):
    for probe in PROBES:
        if probe.kind == kind:
            claims = (probe.requirement, "ERR-01") if probe.requirement else ("ERR-01",)
            yield pytest.param(probe, id=probe.id, marks=pytest.mark.requirement(*claims))


class SharedJob:
    """One job in the initial state for several probes, kept only while Show confirms
    that every probe left it as it was."""

    def __init__(self, jobs) -> None:
        self.jobs, self.job_id, self.uses, self.tracked = jobs, None, 0, False

    @contextmanager
    def use(self):
        """The shared job; dropped if the body raises (a probe that changed it fails)."""
        if self._stale() or self.uses >= PROBES_PER_JOB:
            self.job_id, self.uses = self.jobs.in_state(START), 0
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


@pytest.fixture(scope="module")
def shared_job(jobs) -> SharedJob:
    return SharedJob(jobs)


def _send(api, probe, job_id: str, varied: bool = True):
    return api.call(probe.operation, job_id, body=probe.body,
                    headers=probe.headers if varied else None)


def _row(probe, answer, documented: str) -> dict:
    """The probe's matrix row; its meaning groups the evidence (probe_groups.py)."""
    result = answer.field("commond_result")
    meaning = vars(probe.meaning) if probe.meaning else {}
    return {"probe": probe.id, "operation": probe.operation, "sent": probe.what,
            "observed": f"{answer.status} {result}" if result else str(answer.status),
            "documented": documented, "requirement": probe.requirement, **meaning,
            "outcome": probe_groups.outcome(requirements.is_refusal(answer))}


@pytest.mark.parametrize("probe", _params(REFUSED))
def test_near_miss_is_refused(probe, api, shared_job):
    with shared_job.use() as job_id:
        response = _send(api, probe, job_id)
        unit = requirements.unit(probe.requirement)  # refused, and the job left as it was
        expect.noted(api, MATRIX, _row(probe, expect.answer(response), "refused"), unit,
                     probe.what, response)
        expect.unchanged(api, unit, job_id, START)


@pytest.mark.parametrize("probe", _params(OBSERVED))
def test_spec_only_exclusion_is_noted(probe, api, jobs):
    """The spec's pattern excludes it, no document calls it Chinese: either answer is
    correct; a 4xx still carries the error body."""
    answer = expect.answer(_send(api, probe, jobs.in_state(START)))
    api.run.note(MATRIX, {**_row(probe, answer, "either (the spec's pattern refuses it)"),
                          "verdict": "observed"})
    expect.that(api, rules.error_body, answer)


@pytest.fixture(scope="module")
def plain_answers() -> dict[tuple, int]:
    """Per operation and body, the status of the request every control probe varies, without the
    varied header: the same request on a fresh job each time, so asked once."""
    return {}


@pytest.mark.parametrize("probe", _params(CONTROL))
def test_character_outside_the_pattern_is_noted(probe, api, jobs, plain_answers):
    """The spec allows it, the documents do not promise it: noted as answered like the
    same request without it or not (each on a fresh job), never failed."""
    plain = (probe.operation, repr(probe.body))
    if plain not in plain_answers:
        plain_answers[plain] = expect.answer(_send(api, probe, jobs.in_state(START),
                                                   varied=False)).status
    answer = expect.answer(_send(api, probe, jobs.in_state(START)))
    without = plain_answers[plain]
    api.run.note(MATRIX, {**_row(probe, answer, "either (the spec's pattern allows it)"),
                          "without_it": without, "verdict": "observed",
                          "outcome": "like without it" if answer.status == without
                          else "differs"})
    expect.that(api, rules.error_body, answer)
