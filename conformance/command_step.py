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

from dataclasses import dataclass

from metastudio_conformance import expect, requirements, rules
from metastudio_conformance.answers import Answer
from metastudio_conformance.client import ApiClient
from metastudio_conformance.lifecycle_model import JobModel, Model, Prediction
from metastudio_conformance.outcomes import Violation
from metastudio_conformance.rules import JobSeen
from metastudio_conformance.status import Status


@dataclass
class CommandStep:
    """One command sent to one job: what the model predicted and what came back."""

    api: ApiClient
    model: Model
    tenant: str
    job_id: str
    job: JobModel
    body: dict
    before: str
    prediction: Prediction
    answer: Answer
    noted: dict | None = None  # its cell of the command x state grid, once judged
    after: str | None = None  # the job's state a Show found after it was carried out

    @property
    def command(self):
        return self.body.get("command")

    @property
    def executed(self) -> bool:
        return not requirements.is_refusal(self.answer)

    def judge_answer(self) -> None:
        api, answer, command, before = self.api, self.answer, self.command, self.before
        if not requirements.command_allowed_for_tenant(command, self.tenant):
            expect.that(api, rules.na_only_refused,
                        f"{command} for a standard tenant's job in {before}", answer)
        expect.that(api, rules.command_answer if self.executed else rules.error_body, answer)
        what, reason = f"{command} in {before}", self.prediction.reason
        if self.prediction.accepted:
            expect.deviation(api, rules.moves_as_modelled, what, answer, reason=reason)
        else:
            learned = self.model.learned and self.model.learned.said("refusal")
            expect.deviation(api, rules.refused_as_modelled, what, answer, self.model.refusal,
                             reason, learned=learned or None)

    def judge_state_after(self) -> None:
        now, job = self.api.state_of(self.job_id), self.job
        self.after = now
        if not self.executed:
            expect.that(self.api, rules.refusal_changes_nothing,
                        job=JobSeen(self.job_id, self.before, now))
            return
        if self.prediction.accepted:
            expect.deviation(self.api, rules.moves_as_modelled, self.command,
                             job=JobSeen(self.job_id, job.state, now))
        if not self.prediction.accepted or now != job.state:
            self.model.follow(job, self.body, now)

    def judge_answer_fields(self) -> None:
        """MOD-04/MOD-05: what an accepted command's answer reports, by the model."""
        if self.command == "CONFIRM_ANSWER":
            names = (self.body.get("comment_data") or {}).get("attachment_name") or []
            expect.deviation(self.api, rules.urls_as_modelled, self.answer, names)
        if self.command == "GET_MULTIPART_UPLOADED" and self.job.parts_known:
            learned = self.job.seeded and self.model.learned and self.model.learned.said(
                "seeded_parts")
            expect.deviation(self.api, rules.parts_as_modelled, self.answer, self.job.uploaded,
                             learned=learned or None)

    def cell(self) -> dict:
        """This step as a cell of the command x state grid."""
        allowed = requirements.command_allowed_for_tenant(self.command, self.tenant)
        result = self.answer.field("commond_result")
        cell = {"state": self.before, "command": self.command,
                "observed": f"{self.answer.status} {result}" if result
                else str(self.answer.status),
                "documented": "either (not documented)" if allowed else "refused",
                "model": "accepted" if self.prediction.accepted else "refused"}
        code = self.answer.field("error_code")  # what `learn` keeps of a refusal
        if isinstance(code, str):
            cell["error_code"] = code
        if self.executed and self.after is not None:
            cell["after"] = self.after  # where it led (`learn`)
        return cell


def send(api: ApiClient, model: Model, tenant: str, job_id: str, job: JobModel,
         body: dict) -> CommandStep:
    """Send `body` to the job; the step knows what the model predicted."""
    prediction = model.predict(job, body, tenant)
    return CommandStep(api, model, tenant, job_id, job, body, job.state, prediction,
                       Answer.of(api.command(job_id, body)))


def run_command(api: ApiClient, model: Model, tenant: str, job_id: str, job: JobModel,
                body: dict, show_after: bool = True, matrix: str | None = None) -> bool:
    """Send `body` to the job and check everything the oracle says; True if executed.
    With `matrix`, the outcome is noted as one cell of the command x state grid."""
    step = send(api, model, tenant, job_id, job, body)
    return check_step(step, show_after, matrix)


def check_step(step: CommandStep, show_after: bool, matrix: str | None) -> bool:
    """Judge a sent step (its answer, its fields, the job after it) and note its matrix
    cell; True if the server carried the command out."""
    api, job, prediction = step.api, step.job, step.prediction
    deviations = len(getattr(api.run, "deviations", ()))
    try:
        step.judge_answer()
        if step.executed and prediction.accepted:
            prediction.apply(job)
            step.judge_answer_fields()
        if show_after:
            step.judge_state_after()
    except Violation as violation:
        if matrix:
            api.run.note(matrix, {**step.cell(), "verdict": Status.FAIL,
                                  "requirement": violation.requirement})
        raise
    if matrix:
        deviated = len(getattr(api.run, "deviations", ())) > deviations
        api.run.note(matrix, {**step.cell(), "verdict": Status.DEVIATION if deviated
                                               else Status.PASS})
    return step.executed
