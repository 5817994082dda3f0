"""One command against the oracle: send it, then judge the answer and the job afterwards.

Shared by the command matrix and the state machine, so both apply the same rules:
documented ones (CMD-06 NA-only, CMD-09 refusals change nothing, ERR-01 error body) and
the model's (MOD-01 accepted commands move the job, MOD-02 refusal form, MOD-05 answers).
"""

from __future__ import annotations

from metastudio_conformance import expect, requirements
from metastudio_conformance.client import ApiClient
from metastudio_conformance.model import JobModel, Model


def body_of(response):
    try:
        return response.json()
    except ValueError:
        return None


def run_command(api: ApiClient, model: Model, tenant: str, job_id: str, job: JobModel,
                body: dict, show_after: bool = True) -> bool:
    """Send `body` to the job and check everything the oracle says; True if accepted."""
    before = job.state
    prediction = model.predict(job, body, tenant)
    response = api.command(job_id, body)
    answer = body_of(response)
    refused = requirements.is_refusal(response.status_code, answer)
    command = body.get("command")
    if prediction.accepted:
        if refused or response.status_code != 200:
            expect.violation(api, "MOD-01", expect.describe(response),
                             f"{command} in {before} is accepted ({prediction.reason})")
        prediction.apply(job)
        _answer_fields(api, job, body, answer)
    else:
        if not refused:
            rid = ("CMD-06" if not requirements.command_allowed_for_tenant(command, tenant)
                   else "MOD-02")
            expect.violation(api, rid, expect.describe(response),
                             f"{command} in {before} is refused: {prediction.reason}")
        if not model.refusal_ok(response.status_code, answer):
            expect.violation(api, "MOD-02", expect.describe(response),
                             f"a refusal in the profile's form ({model.refusal})")
        if response.status_code >= 400:
            expect.error_body(api, response)
    if show_after:
        now = api.state_of(job_id)
        if now != job.state:
            rid = "MOD-01" if prediction.accepted else "CMD-09"
            expect.violation(api, rid, f"after {command} the job is {now or 'gone'}",
                             f"the job is in {job.state}")
    return prediction.accepted


def _answer_fields(api: ApiClient, job: JobModel, body: dict, answer) -> None:
    command = body.get("command")
    if command == "CONFIRM_ANSWER":
        names = (body.get("comment_data") or {}).get("attachment_name") or []
        urls = answer.get("attachment_upload_url") if isinstance(answer, dict) else None
        if len(names) != len(urls or []):
            expect.violation(api, "MOD-05", f"attachment_upload_url {urls!r}",
                             f"one URL per attachment_name ({len(names)})")
    if command == "GET_MULTIPART_UPLOADED":
        parts = answer.get("multipart_data") if isinstance(answer, dict) else None
        numbers = sorted(str(p.get("part_number")) for p in parts or [] if isinstance(p, dict))
        expected = [str(n) for n in sorted(job.uploaded)]
        if numbers != expected:
            expect.violation(api, "MOD-04", f"multipart_data {parts!r}",
                             f"the uploaded parts {expected}")

