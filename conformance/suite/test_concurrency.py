"""Concurrent commands and DELETEs on one job: serialised, no lost update, no 5xx.

A job whose upload is confirmed may either be submitted for review (then it is no longer
deletable) or deleted (then it cannot be submitted): whatever the interleaving, exactly one
of the two may succeed, at most once, and the job must end up matching the winner.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from metastudio_conformance import contract, expect, requirements, rules
from metastudio_conformance.client import ApiClient
from metastudio_conformance.outcomes import not_covered
from metastudio_conformance.rules import JobSeen

SUBMITS, DELETES, READS = 4, 4, 4


@pytest.mark.requirement("DEL-03", "MOD-01", "ERR-02")
@pytest.mark.parametrize("round_", range(3))
def test_submit_and_delete_race(round_, settings, api, jobs, lifecycle_model):
    initial = contract.initial_state()
    job_id = jobs.in_state(initial)
    confirm = api.command(job_id, {"command": "CONFIRM_MULTIPART_UPLOADED"})
    if requirements.is_refusal(expect.answer(confirm)):
        not_covered("the target refused to confirm the seeded job's upload, so it cannot be "
                    "submitted")
    calls = ([("submit", {"command": "SUBMITVERIFYING"})] * SUBMITS
             + [("delete", None)] * DELETES
             + [("read", {"command": "GET_MULTIPART_UPLOADED"})] * READS)
    with requests.Session() as session, ThreadPoolExecutor(len(calls)) as pool:
        racer = api.sibling(session)
        outcomes = list(pool.map(lambda call: _send(racer, job_id, *call), calls))
    api.transcript.extend(racer.transcript)

    if not expect.deviation(api, rules.moves_as_modelled, "SUBMITVERIFYING racing DELETE",
                            race=outcomes):
        return  # no single winner: nothing to say where the job should be
    deleted = any(kind == "delete" and requirements.is_delete_success(answer.status)
                  for kind, answer in outcomes)
    state = api.state_of(job_id)
    if deleted:
        expect.that(api, rules.gone, "the race's winning DELETE",
                    job=JobSeen(job_id, None, state))
        return
    winner = lifecycle_model.seeded(initial)
    winner.confirmed = True
    lifecycle_model.predict(winner, {"command": "SUBMITVERIFYING"}, settings.tenant).apply(winner)
    expect.deviation(api, rules.moves_as_modelled, "the race's winning SUBMITVERIFYING",
                     job=JobSeen(job_id, winner.state, state))


def _send(api: ApiClient, job_id: str, kind: str, body):
    response = api.delete(job_id) if kind == "delete" else api.command(job_id, body)
    return kind, expect.answer(response)
