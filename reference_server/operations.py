"""One function per operationId: the documented shapes, nothing about HTTP framing or auth.

Each handler gets the app and a `Call` (validated JSON body, path params, base URL) and
returns a Response. Bodies were already checked against the spec's schema by the app.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from jsonschema import Draft4Validator

from . import variants
from .contract import Operation
from .lifecycle import Outcome
from .responses import (
    INVALID_PARAMETER,
    JOB_NOT_FOUND,
    Response,
    error,
    ok,
)
from .store import Job, UploadTarget, rfc3339

SUCCESS, FAILED = "EXCUTE_SUCCESS", "EXCUTE_FAILED"  # the wire spelling (seed)
UPLOAD_PREFIX = "/upload/"
COMMAND = "Execute2dModelTrainingCommandByUser"
SEEDED_PART = b"seeded video part"
TOO_LARGE = Outcome(False, "request body too large to execute", refused_for="size")


@dataclass
class Call:
    project_id: str
    job_id: str | None
    body: dict | None
    query: dict[str, str]
    base_url: str
    op: Operation | None = None  # the spec's operation being served
    tolerated: bool = False  # a fault let an invalid command body through
    too_large: bool = False  # accept-large-bodies read a body it will not execute


def _md5(data: bytes) -> str:
    # an object-store ETag, not security: allowed on FIPS systems too
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def not_found(app, job_id: str) -> Response:
    if app.options.unknown_job_status == 400:
        return error(400, INVALID_PARAMETER, f"Invalid parameter: job {job_id} does not exist")
    return error(404, JOB_NOT_FOUND, f"job {job_id} does not exist")


def _upload_url(app, call: Call, kind: str, part: int = 0) -> str:
    token = app.store.new_upload(UploadTarget(call.project_id, call.job_id or "", kind, part))
    return f"{call.base_url}{UPLOAD_PREFIX}{token}"


def _summary(job: Job, extra: dict | None = None) -> dict:
    out = {"job_id": job.job_id, "name": job.name, "state": job.state, "tags": list(job.tags),
           "create_time": rfc3339(job.create_time),
           "last_update_time": rfc3339(job.last_update_time), **(extra or {})}
    if job.batch_name is not None:
        out["batch_name"] = job.batch_name
    return out


def create(app, call: Call) -> Response:
    body = call.body
    job = Job(project_id=call.project_id, job_id=app.variants.new_job_id(), name=body["name"],
              state=app.contract.initial_state,
              batch_name=body.get("batch_name"), tags=list(body.get("tags", [])),
              contact=body.get("contact"), model_version=body.get("model_version"),
              command_message=body.get("command_message"),
              part_count=int(body["video_multipart_count"]))
    job.log("USER_CREATE_JOD")  # sic: the SDK's spelling of this log type
    app.store.add(job)
    call.job_id = job.job_id
    answer = {"job_id": job.job_id, "training_video_upload_url": [
        _upload_url(app, call, "video", n) for n in range(1, job.part_count + 1)]}
    # every other single upload URL the spec's answer documents (cover, ID cards, grant)
    for name, prop in call.op.success_schema["properties"].items():
        if name.endswith("_upload_url") and prop.get("type") == "string":
            answer[name] = _upload_url(app, call, name.removesuffix("_upload_url"))
    return ok(answer)


def show(app, call: Call) -> Response:
    def view(job: Job | None):
        if job is None:
            return None
        out = _summary(job, variants.job_fields(app.options.extra_fields))
        out.update(project_id=job.project_id,
                   operation_logs=[dict(e) for e in job.operation_logs],
                   comment_logs=[dict(e) for e in job.comment_logs])
        out.update({k: v for k, v in (("contact", job.contact),
                                      ("model_version", job.model_version)) if v is not None})
        return out

    found = app.store.update(call.project_id, call.job_id, view)
    return ok(found) if found is not None else not_found(app, call.job_id)


def _query_value(raw: str, schema: dict):
    if schema.get("type") == "integer" and re.fullmatch(r"-?[0-9]{1,18}", raw):
        return int(raw)
    return raw


def list_jobs(app, call: Call) -> Response:
    values = {}
    for name, schema in call.op.query_schemas.items():
        if name not in call.query:
            if "default" in schema:
                values[name] = schema["default"]
            continue
        value = _query_value(call.query[name], schema)
        problem = next(Draft4Validator(schema).iter_errors(value), None)
        if problem is not None:
            return error(400, INVALID_PARAMETER, f"Invalid parameter {name}: {problem.message}")
        values[name] = value
    extra = variants.job_fields(app.options.extra_fields)
    rows = app.store.view(call.project_id, lambda j: _summary(j, extra))[::-1]  # newest first
    if "state" in values:
        wanted = {s.strip() for s in values["state"].split(",")}
        rows = [r for r in rows if r["state"] in wanted]
    for key, match in (("batch_name", lambda r, v: r.get("batch_name") == v),
                       ("tag", lambda r, v: v in r["tags"]),
                       ("job_id", lambda r, v: r["job_id"] == v)):
        if key in values:
            rows = [r for r in rows if match(r, values[key])]
    offset = values.get("offset", 0)
    page = rows[offset:offset + values.get("limit", len(rows))]
    return ok({"count": len(rows), "jobs": page})


def delete(app, call: Call) -> Response:
    faults = app.faults
    deletable = faults.deletable(app.contract.deletable_states)
    project = call.project_id
    if faults.delete_finds_any_project():
        project = app.store.owner(call.job_id) or project
    if faults.delete_again_succeeds() and app.store.was_removed(project, call.job_id):
        return ok(None)

    def refuse(job: Job | None):
        if job is None:
            return not_found(app, call.job_id)
        if job.state not in deletable:
            return error(400, INVALID_PARAMETER,
                         f"Invalid parameter: job in state {job.state} cannot be deleted")
        return None

    refusal = app.store.remove_unless(project, call.job_id, refuse,
                                      remove=faults.delete_removes())
    if refusal is None and faults.delete_takes_another():
        app.store.remove_oldest(project, keep=call.job_id)
    # seed: 200, X-Request-Id, no body (delete-204: the 204 the SDK also parses)
    return refusal or ok(None, status=app.variants.delete_status())


def command(app, call: Call) -> Response:
    na = app.faults.is_na(call.project_id, app.options.na_projects)

    def run(job: Job | None):
        if job is None:
            return None
        if call.tolerated:  # pretend it worked, change nothing
            return Outcome(True)
        if call.too_large:
            return TOO_LARGE
        before = job.state
        outcome = app.lifecycle.execute(
            job, call.body, na_tenant=na,
            make_url=lambda _name: _upload_url(app, call, "attachment"))
        return app.faults.after_command(job, call.body["command"], before, outcome)

    outcome = app.store.update(call.project_id, call.job_id, run)
    if outcome is None:
        return not_found(app, call.job_id)
    if outcome.accepted:
        return ok({"commond_result": SUCCESS, **(outcome.fields or {})})
    # a body accepted but too large to execute is a failed execution in either style
    if app.options.refusal == "excute-failed" or outcome.refused_for == "size":
        return ok({"commond_result": FAILED, "excute_failed_msg": outcome.reason})
    return error(400, INVALID_PARAMETER, f"Invalid parameter: {outcome.reason}")


def seed_job(app, call: Call) -> Response:
    state = call.body["state"]
    job = Job(project_id=call.project_id, job_id=app.variants.new_job_id(),
              name=f"seeded-{state.lower()}", state=state)
    if state == app.contract.initial_state and app.variants.seeds_uploaded_part():
        # its one part is uploaded but not confirmed, so the documented workflow continues
        job.parts[1] = _md5(SEEDED_PART)
    app.store.add(job)
    return ok({"job_id": job.job_id, "state": job.state}, status=201)


def reset(app, call: Call) -> Response:
    app.store.reset()
    return ok(None, status=204)


def upload(app, token: str, body: bytes) -> Response:
    etag = _md5(body)
    if not app.store.complete_upload(token, etag):
        return error(400, INVALID_PARAMETER, "Invalid parameter: upload URL unknown or used")
    resp = ok(None)
    resp.headers["ETag"] = f'"{etag}"'
    return resp


HANDLERS = {
    "Create2dModelTrainingJob": create,
    "Show2dModelTrainingJob": show,
    "List2dModelTrainingJob": list_jobs,
    "Delete2dModelTrainingJob": delete,
    COMMAND: command,
    "SeedJob": seed_job,
    "Reset": reset,
}
