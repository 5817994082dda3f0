"""Deliberate defects, each breaking exactly one requirement, to prove the suite catches it.

A fault is a name in the registry plus a check at one hook point; no handler is copied.
The requirement IDs are the suite's oracle IDs. Faults touch API requests only: the app
serves control-interface requests and upload PUTs with `Faults()` (none active), and only
API requests advance the request counter.
"""

from __future__ import annotations

import itertools
import re
import threading
from dataclasses import dataclass, replace
from http import HTTPStatus

from jsonschema import Draft4Validator

from .lifecycle import Outcome
from .responses import Response, internal_error

SUCCESS = "EXCUTE_SUCCESS"  # the wire spelling (seed)


@dataclass(frozen=True)
class Fault:
    name: str
    requirement: str
    description: str


REGISTRY: dict[str, Fault] = {f.name: f for f in (
    Fault("missing-command-accepted", "CMD-01",
          "a command body without `command` answers 200 EXCUTE_SUCCESS"),
    Fault("unknown-command-accepted", "CMD-02",
          "an undocumented `command` string answers 200 EXCUTE_SUCCESS"),
    Fault("command-result-typo-fixed", "CMD-03",
          "command answers carry `command_result` instead of the documented `commond_result`"),
    Fault("part-number-integer", "CMD-04",
          "GET_MULTIPART_UPLOADED reports `part_number` as an integer, not a string"),
    Fault("na-command-for-standard", "CMD-06",
          "NA-only commands are executed for standard (non-NA) tenants"),
    Fault("no-request-id", "HDR-01", "no response carries an X-Request-Id header"),
    Fault("chinese-user-id-accepted", "HDR-02",
          "an X-App-UserId with Chinese characters is accepted"),
    Fault("error-without-msg", "ERR-01", "error bodies carry no `error_msg`"),
    Fault("500-on-malformed-json", "ERR-02", "a malformed JSON body answers 500"),
    Fault("delete-in-training", "DEL-02", "DELETE also succeeds while the job is TRAINING"),
    Fault("delete-keeps-job", "DEL-03", "DELETE answers 200 but the job stays"),
    Fault("auth-not-enforced", "AUTH-01", "requests without valid credentials are served"),
    Fault("execute-success-typo", "CMD-03",
          "`commond_result` says EXECUTE_SUCCESS instead of the wire's EXCUTE_SUCCESS"),
    Fault("commond-result-missing", "CMD-03",
          "accepted command answers carry no `commond_result` (other fields stay)"),
    Fault("multipart-data-not-list", "CMD-04",
          "`multipart_data` is an object keyed by part number instead of a list"),
    Fault("wrong-content-type", "RSP-02", "JSON answers are sent as Content-Type text/html"),
    Fault("no-request-id-on-errors", "HDR-01", "4xx and 5xx answers carry no X-Request-Id"),
    Fault("no-request-id-on-delete", "HDR-01", "DELETE answers carry no X-Request-Id"),
    Fault("error-code-number", "ERR-01",
          "`error_code` is a JSON number (e.g. 10000003), not a string"),
    Fault("text-plain-errors", "ERR-01",
          "every 4xx is a text/plain page like `400 Bad Request` (status kept)"),
    Fault("error-with-status-200", "CMD-02",
          "an undocumented `command` value answers status 200 with the error body, not 400"),
    Fault("comment-data-types-accepted", "CMD-07",
          "`comment_data` and its members are not type-checked; such commands are executed"),
    Fault("500-on-empty-body", "ERR-02", "a command with an empty body answers 500"),
    Fault("delete-refused-in-job-finish", "DEL-01",
          "DELETE in JOB_FINISH is refused with 400 although the state is deletable"),
    Fault("delete-deletes-another-job", "DEL-04",
          "a successful DELETE also deletes the project's oldest other job"),
    Fault("second-delete-succeeds", "DEL-03",
          "DELETE of a job this project already deleted answers 200 instead of not-found"),
    Fault("refused-command-mutates", "CMD-09",
          "a command refused for the job's state still moves the job (to AUTO_VERIFYING)"),
    Fault("submit-changes-nothing", "CMD-08",
          "SUBMITVERIFYING answers EXCUTE_SUCCESS but the job keeps its state"),
    Fault("confirm-answer-wrong-url-count", "MOD-05",
          "CONFIRM_ANSWER returns one attachment_upload_url fewer than attachment_name"),
    Fault("multipart-forgets-parts", "MOD-04",
          "GET_MULTIPART_UPLOADED omits the highest part once two or more are uploaded"),
    Fault("bad-signature-accepted", "AUTH-02",
          "AK/SK requests with the right access key pass whatever the signature or date"),
    Fault("cross-project-delete", "AUTH-03",
          "DELETE finds the job by id in any project, so a project deletes others' jobs"),
    Fault("error-info-string", "RSP-03",
          "accepted command answers carry `error_info` as an empty string, not an object"),
    Fault("random-500", "ERR-02",
          "every 50th API request answers 500 with the error body (a counter, not random)"),
    Fault("random-slow", "RSP-05",
          "every 20th API request sleeps 3 s before it is answered (a counter, not random)"),
)}

FAIL_EVERY, SLOW_EVERY = 50, 20


class UnknownFault(ValueError):
    pass


def without_ill_typed_comment_data(body: dict, schema: dict) -> dict:
    """body minus whatever of `comment_data` does not match the schema, so it can run."""
    sub = schema["properties"]["comment_data"]
    value = body.get("comment_data")
    if not isinstance(value, dict):
        return {k: v for k, v in body.items() if k != "comment_data"}
    members = sub.get("properties", {})
    kept = {k: v for k, v in value.items()
            if k not in members or Draft4Validator(members[k]).is_valid(v)}
    return {**body, "comment_data": kept}


class Faults:
    slow_seconds = 3.0  # random-slow; a test may shorten it on one instance

    def __init__(self, names=()):
        unknown = [n for n in names if n not in REGISTRY]
        if unknown:
            raise UnknownFault(
                f"unknown fault {unknown[0]!r}; known: {', '.join(sorted(REGISTRY))}"
            )
        self.active = frozenset(names)
        self._counter = itertools.count(1)
        self._counter_lock = threading.Lock()

    def __contains__(self, name: str) -> bool:
        return name in self.active

    # --- hook points, in the order a request meets them ---

    def on_api_request(self) -> tuple[Response | None, float]:
        """Called once per API request, before routing: the counting faults. Returns the
        answer that replaces the request's, if any, and the seconds to hold the answer
        back (the server waits without blocking its other connections)."""
        with self._counter_lock:
            n = next(self._counter)
        delay = self.slow_seconds if "random-slow" in self and n % SLOW_EVERY == 0 else 0.0
        if "random-500" in self and n % FAIL_EVERY == 0:
            return internal_error(), delay
        return None, delay

    def enforce_auth(self) -> bool:
        return "auth-not-enforced" not in self

    def verify_signature(self) -> bool:
        return "bad-signature-accepted" not in self

    def enforce_header_pattern(self, header: str) -> bool:
        return not ("chinese-user-id-accepted" in self and header.lower() == "x-app-userid")

    def empty_command_body(self) -> Response | None:
        return internal_error() if "500-on-empty-body" in self else None

    def malformed_json(self) -> Response | None:
        return internal_error() if "500-on-malformed-json" in self else None

    def tolerates(self, err, body: dict) -> bool:
        """Whether a command-body validation error is let through (then answered 200)."""
        if "missing-command-accepted" in self and err.validator == "required":
            return "command" in err.validator_value and "command" not in body
        if "unknown-command-accepted" in self and list(err.path) == ["command"]:
            return isinstance(body.get("command"), str)
        return False

    def runs_despite(self, errors: list) -> bool:
        """Whether a command with these validation errors is executed all the same."""
        return "comment-data-types-accepted" in self and bool(errors) and all(
            list(e.absolute_path)[:1] == ["comment_data"] for e in errors)

    def validation_status(self, is_command: bool, where: str = "") -> int:
        """400, or 200 for a command whose `command` value is the invalid part."""
        wrong_command = is_command and where == "command"
        return 200 if wrong_command and "error-with-status-200" in self else 400

    def is_na(self, project_id: str, na_projects: frozenset[str]) -> bool:
        return project_id in na_projects or "na-command-for-standard" in self

    def after_command(self, job, command: str, before: str, outcome: Outcome) -> Outcome:
        """Runs under the store lock right after the lifecycle decided on a command."""
        if not self.active:  # the common case: nothing to rewrite, no copy to make
            return outcome
        if not outcome.accepted:
            if "refused-command-mutates" in self and outcome.refused_for == "state":
                job.state = "AUTO_VERIFYING" if before != "AUTO_VERIFYING" else "WAIT_FILE_UPLOAD"
            return outcome
        if "submit-changes-nothing" in self and command == "SUBMITVERIFYING":
            job.state = before
        fields = dict(outcome.fields or {})
        urls = fields.get("attachment_upload_url")
        if "confirm-answer-wrong-url-count" in self and urls:
            fields["attachment_upload_url"] = urls[:-1]
        parts = fields.get("multipart_data")
        if "multipart-forgets-parts" in self and parts and len(parts) >= 2:
            highest = max(parts, key=lambda p: int(p["part_number"]))
            fields["multipart_data"] = [p for p in parts if p is not highest]
        return replace(outcome, fields=fields)

    def deletable(self, states: frozenset[str]) -> frozenset[str]:
        if "delete-in-training" in self:
            states = states | {"TRAINING"}
        if "delete-refused-in-job-finish" in self:
            states = states - {"JOB_FINISH"}
        return states

    def delete_removes(self) -> bool:
        return "delete-keeps-job" not in self

    def delete_finds_any_project(self) -> bool:
        return "cross-project-delete" in self

    def delete_again_succeeds(self) -> bool:
        return "second-delete-succeeds" in self

    def delete_takes_another(self) -> bool:
        return "delete-deletes-another-job" in self

    def finish(self, resp: Response, method: str = "") -> Response:
        """Last rewrite of every API response, errors included."""
        if not self.active:
            return resp
        if ("no-request-id" in self or ("no-request-id-on-errors" in self and resp.is_error)
                or ("no-request-id-on-delete" in self and method == "DELETE")):
            resp.headers.pop("X-Request-Id", None)
        if resp.payload is None:
            return resp
        if "wrong-content-type" in self:
            resp.content_type = "text/html"
        if resp.is_error:
            return self._finish_error(resp)
        self._finish_command_answer(resp.payload)
        return resp

    def _finish_error(self, resp: Response) -> Response:
        payload = resp.payload
        if "error-without-msg" in self:
            payload.pop("error_msg", None)
        if "error-code-number" in self and isinstance(payload.get("error_code"), str):
            payload["error_code"] = int(re.sub(r"\D", "", payload["error_code"]) or 0)
        if "text-plain-errors" in self and resp.status < 500:
            resp.payload, resp.content_type = None, "text/plain"
            resp.text = f"{resp.status} {HTTPStatus(resp.status).phrase}"
        return resp

    def _finish_command_answer(self, payload: dict) -> None:
        # only command answers carry these fields
        if payload.get("commond_result") == SUCCESS:
            if "execute-success-typo" in self:
                payload["commond_result"] = "EXECUTE_SUCCESS"
            if "commond-result-missing" in self:
                del payload["commond_result"]
            if "error-info-string" in self:  # only the schema says what error_info is
                payload["error_info"] = ""
        if "command-result-typo-fixed" in self and "commond_result" in payload:
            payload["command_result"] = payload.pop("commond_result")
        parts = payload.get("multipart_data")
        if "part-number-integer" in self and isinstance(parts, list):
            for part in parts:
                part["part_number"] = int(part["part_number"])
        if "multipart-data-not-list" in self and isinstance(parts, list):
            payload["multipart_data"] = {p["part_number"]: p for p in parts}
