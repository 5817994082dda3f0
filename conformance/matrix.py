"""Every command in one state, in few requests, with the same verdicts as one job each.

The commands the model expects carried out each get a job of their own (they change it).
The rest are sent one after another to one job, and one Show after the last proves
CMD-09 for all of them at once: a refused command changes nothing, so the job must still
be in the state it started in. Only when that does not hold, or the server carries out a
command the model expected refused after earlier refusals on the same job, is the batch
sent again one command per job, exactly as `lifecycle.run_command` always did, so that a
finding names its command and is judged from the state the job really was in.
"""

from __future__ import annotations

from metastudio_conformance import expect, rules
from metastudio_conformance.command_step import CommandStep, check_step, run_command, send
from metastudio_conformance.outcomes import Violation
from metastudio_conformance.status import Status


def commands_in_state(api, jobs, model, tenant: str, state: str, bodies: list[dict],
                      matrix: str) -> None:
    """Each body sent in `state` and judged as `run_command` judges it, cells noted."""
    probe = jobs.model_of(None, state, model)
    alone = [body for body in bodies if model.predict(probe, body, tenant).accepted]
    for body in alone:
        _one_job_each(api, jobs, model, tenant, state, [body], matrix)
    rest = [body for body in bodies if body not in alone]
    while rest:
        rest = _batch(api, jobs, model, tenant, state, rest, matrix)


def _batch(api, jobs, model, tenant, state, bodies, matrix) -> list[dict]:
    """Refusals on one job until one body is carried out; returns the bodies not yet sent."""
    job_id = jobs.in_state(state)
    refused: list[CommandStep] = []
    for number, body in enumerate(bodies):
        step = send(api, model, tenant, job_id, jobs.model_of(job_id, state, model), body)
        if step.executed:
            if refused:  # was the job still in `state`? Unknown: each again, on its own
                _one_job_each(api, jobs, model, tenant, state,
                              [s.body for s in refused] + [body], matrix)
            else:
                check_step(step, show_after=True, matrix=matrix)
            return bodies[number + 1:]
        _judge_refusal(step, matrix)
        refused.append(step)
    if refused:
        now = api.state_of(job_id)
        if now != state:  # one of them changed the job: find which, one job each
            _one_job_each(api, jobs, model, tenant, state, [s.body for s in refused], matrix)
            expect.that(api, rules.refusal_changes_nothing, job=rules.JobSeen(job_id, state, now))
        for step in refused:
            api.run.note(matrix, step.noted)
    return []


def _judge_refusal(step: CommandStep, matrix: str) -> None:
    """A refusal's own answer, judged now; its cell waits for the Show that proves CMD-09."""
    deviations = len(getattr(step.api.run, "deviations", ()))
    try:
        step.judge_answer()
    except Violation as violation:
        step.api.run.note(matrix, {**step.cell(), "verdict": Status.FAIL,
                                   "requirement": violation.requirement})
        raise
    deviated = len(getattr(step.api.run, "deviations", ())) > deviations
    step.noted = {**step.cell(), "verdict": Status.DEVIATION if deviated else Status.PASS}


def _one_job_each(api, jobs, model, tenant, state, bodies, matrix) -> None:
    for body in bodies:
        job_id = jobs.in_state(state)
        run_command(api, model, tenant, job_id, jobs.model_of(job_id, state, model), body,
                    matrix=matrix)
