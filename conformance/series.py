"""Many requests that must be refused, sent to one job and proven harmless by one Show.

The validation tests send dozens of malformed requests, each of which must be refused
and leave the job as it was. A job each and a Show after each cost three requests where
one will do: the examples share one job, and one Show after the last proves that none of
them changed it (the CMD-09 rule, for requests refused as malformed). Only if that Show
finds the job changed are they sent again, one fresh job each with a Show after, so the
finding names the request that did it. A request that was carried out ends the job's
turn: the next one gets a fresh job, so hypothesis' replay of a failing example meets
the state that example met.
"""

from __future__ import annotations

from collections.abc import Callable

import requests

from metastudio_conformance import expect, requirements
from metastudio_conformance.outcomes import Violation
from metastudio_conformance.rules import JobSeen

Request = Callable[[str], requests.Response]  # the request, sent to the given job id


class RefusalSeries:
    def __init__(self, api, jobs, requirement: str, state: str) -> None:
        self.api, self.jobs, self.requirement, self.state = api, jobs, requirement, state
        self.unit = requirements.unit(requirement)  # refused, and the job left as it was
        self.job_id: str | None = None
        self.sent: list[tuple[str, Request]] = []  # to the current job, since its proof

    def job(self) -> str:
        if self.job_id is None:
            self.job_id, self.sent = self.jobs.in_state(self.state), []
        return self.job_id

    def refused(self, what: str, request: Request) -> requests.Response:
        """`request` must be refused (this series' requirement); its harmlessness is proven
        by `prove_unchanged` at the end."""
        job_id = self.job()
        self.sent.append((what, request))
        response = request(job_id)
        if not requirements.is_refusal(expect.answer(response)):
            self.job_id = None  # carried out: the job may have changed
        expect.that(self.api, self.unit, what, response)
        return response

    def prove_unchanged(self) -> None:
        """One Show: the job is still in its state, so no request of the series changed
        it; otherwise find the one that did."""
        if self.job_id is None:
            return
        job_id, self.job_id = self.job_id, None
        now = self.api.state_of(job_id)
        if now == self.state:
            self.jobs.pool.lend(job_id, self.state)  # proven: free for the next test
            return
        for what, request in self.sent:
            self.api.begin()
            alone = self.jobs.in_state(self.state)
            request(alone)
            try:
                expect.unchanged(self.api, self.unit, alone, self.state)
            except Violation as violation:
                violation.message += f"\n(the request that changed it: {what})"
                raise
        expect.that(self.api, self.unit, job=JobSeen(job_id, self.state, now))
