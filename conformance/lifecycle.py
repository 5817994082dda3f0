"""One command against the oracle: send it, then judge the answer and the job afterwards.

Shared by the command matrix and the state machine, so both apply the same rules. The
documented ones decide on the server's own answer: NA-only commands are refused (CMD-06),
a refused command changes nothing (CMD-09), answers have the documented shape (CMD-03..05,
ERR-01). The lifecycle model's expectations (MOD-01 accepted commands move the job, MOD-02
refusals, MOD-04/05 answers) are deviations: reported, and failing only in strict mode.
When the server departs from the model, the model follows the server, so a later step is
never judged from a state the job is not in.
"""

from __future__ import annotations

from metastudio_conformance import expect, requirements
from metastudio_conformance.answers import Answer
from metastudio_conformance.client import ApiClient
from metastudio_conformance.model import JobModel, Model
from metastudio_conformance.outcomes import Violation


def run_command(api: ApiClient, model: Model, tenant: str, job_id: str, job: JobModel,
                body: dict, show_after: bool = True, matrix: str | None = None) -> bool:
    """Send `body` to the job and check everything the oracle says; True if executed.
    With `matrix`, the outcome is noted as one cell of the command x state grid."""
    before, command = job.state, body.get("command")
    prediction = model.predict(job, body, tenant)
    answer = Answer.of(api.command(job_id, body))
    deviations = len(getattr(api.run, "deviations", ()))
    cell = {"state": before, "command": command, "observed": _observed(answer),
            "documented": ("refused" if not requirements.command_allowed_for_tenant(
                command, tenant) else "either (not documented)"),
            "model": "accepted" if prediction.accepted else "refused"}
    try:
        executed = _judge(api, model, tenant, job_id, job, body, before, prediction, answer,
                          show_after)
    except Violation as violation:
        if matrix:
            api.run.note(matrix, {**cell, "verdict": "fail",
                                  "requirement": violation.requirement})
        raise
    if matrix:
        deviated = len(getattr(api.run, "deviations", ())) > deviations
        api.run.note(matrix, {**cell, "verdict": "deviation" if deviated else "pass"})
    return executed


def _observed(answer: Answer) -> str:
    result = answer.field("commond_result")
    return f"{answer.status} {result}" if result else str(answer.status)


def _judge(api, model, tenant, job_id, job, body, before, prediction, answer,
           show_after) -> bool:
    command = body.get("command")
    if not requirements.command_allowed_for_tenant(command, tenant):
        expect.that(api, requirements.refused, "CMD-06",
                    f"{command} for a standard tenant's job in {before}", answer)
    executed = not requirements.is_refusal(answer)
    if executed:
        expect.that(api, requirements.command_answer, answer)
        if not prediction.accepted:
            expect.deviation(api, "MOD-02", answer.describe(),
                             f"{command} in {before} is refused: {prediction.reason}")
    else:
        expect.that(api, requirements.error_body, answer)
        if prediction.accepted:
            expect.deviation(api, "MOD-01", answer.describe(),
                             f"{command} in {before} is accepted ({prediction.reason})")
        elif not model.refusal_ok(answer):
            expect.deviation(api, "MOD-02", answer.describe(),
                             f"a refusal in the profile's form ({model.refusal})")
    if executed and prediction.accepted:
        prediction.apply(job)
        _answer_fields(api, job, body, answer)
    if show_after:
        _judge_state_after(api, model, job_id, job, body, before, executed,
                           prediction.accepted)
    return executed


def _judge_state_after(api, model, job_id, job, body, before, executed, predicted) -> None:
    now = api.state_of(job_id)
    if not executed:
        expect.that(api, requirements.unchanged, "CMD-09", job_id, before, now)
        return
    if predicted and now != job.state:
        expect.deviation(api, "MOD-01", f"after {body.get('command')} the job is "
                         f"{now or 'gone'}", f"the job is in {job.state}")
    if not predicted or now != job.state:
        model.follow(job, body, now)


def _answer_fields(api: ApiClient, job: JobModel, body: dict, answer: Answer) -> None:
    command = body.get("command")
    if command == "CONFIRM_ANSWER":
        names = (body.get("comment_data") or {}).get("attachment_name") or []
        urls = answer.field("attachment_upload_url")
        if len(names) != len(urls or []):
            expect.deviation(api, "MOD-05", f"attachment_upload_url {urls!r}",
                             f"one URL per attachment_name ({len(names)})")
    if command == "GET_MULTIPART_UPLOADED" and job.parts_known:
        parts = answer.field("multipart_data")
        numbers = sorted(str(p.get("part_number")) for p in parts or [] if isinstance(p, dict))
        expected = [str(n) for n in sorted(job.uploaded)]
        if numbers != expected:
            expect.deviation(api, "MOD-04", f"multipart_data {parts!r}",
                             f"the uploaded parts {expected}")
