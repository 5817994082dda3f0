"""Legitimately different servers: documented-compatible choices a conformance suite must
accept. Each variant takes the other answer at one point where the seed and the docs are
silent (docs/silent-points.md quotes the sentence that leaves it open). Unlike faults,
variants apply to every answer, control interface included, and combine freely.

The first four are older options under registry names (`--alt-errors`, `--extra-fields`,
`--unknown-job-status 400`, `--refusal excute-failed`); `OPTION_SPELLINGS` ties the two
spellings together, so `--variants`/`--all-variants` reach them too.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace

from .framing import MAX_BODY
from .lifecycle import Guard, Rule, all_parts_uploaded
from .responses import (
    API_NOT_FOUND,
    INTERNAL_ERROR,
    INVALID_BODY,
    INVALID_PARAMETER,
    JOB_NOT_FOUND,
    MALFORMED_JSON,
    METHOD_NOT_ALLOWED,
    PROJECT_MISMATCH,
    UNAUTHORIZED,
    VALIDATION_FAILED,
    Response,
    error,
)


@dataclass(frozen=True)
class Variant:
    name: str
    description: str


REGISTRY: dict[str, Variant] = {v.name: v for v in (
    Variant("alt-errors", "other documented error codes (MSS.00000003 / MSS.10000003, "
            "MSS.00000002 / MSS.10000002, APIGW.0301 for a bad signature) and error_msg texts"),
    Variant("extra-fields", "undocumented extra fields in every JSON answer, errors included, "
            "and in jobs of Show/List"),
    Variant("unknown-job-400", "an unknown job answers 400 MSS.00000003, not 404 MSS.41000003"),
    Variant("excute-failed-refusal", "a command not allowed now answers 200 EXCUTE_FAILED, "
            "not 400"),
    Variant("lenient-upload-confirm", "CONFIRM_MULTIPART_UPLOADED succeeds before every part "
            "is uploaded"),
    Variant("confirm-upload-once", "a second CONFIRM_MULTIPART_UPLOADED is refused"),
    Variant("submit-unconfirmed", "SUBMITVERIFYING from WAIT_FILE_UPLOAD needs every part "
            "uploaded, not a prior CONFIRM_MULTIPART_UPLOADED"),
    Variant("resubmit-any-message", "SUBMITVERIFYING after a failed review does not need "
            "command_message UPDATE_VIDEO"),
    Variant("submit-to-manual-review", "SUBMITVERIFYING moves the job to MANUAL_VERIFYING "
            "(no automatic review), not AUTO_VERIFYING"),
    Variant("parts-query-anywhere", "GET_MULTIPART_UPLOADED is answered in every state"),
    Variant("answer-only-when-waiting", "CONFIRM_ANSWER is refused in JOB_PENDING"),
    Variant("answer-needs-comment", "CONFIRM_ANSWER without a comment_data object is refused"),
    Variant("decide-from-pending", "CONFIRM_ACCEPT and CONFIRM_REJECT are accepted in "
            "JOB_PENDING too"),
    Variant("no-seeded-parts", "a job seeded through the control interface in WAIT_FILE_UPLOAD "
            "has no part uploaded yet"),
    Variant("parts-without-etag", "multipart_data items carry part_number only, no etag"),
    Variant("omit-empty-arrays", "command answers leave out empty multipart_data and "
            "attachment_upload_url"),
    Variant("delete-204", "a successful DELETE answers 204 with no body, not 200"),
    Variant("delete-status-alternates", "successful DELETEs answer 200 and 204 in turn "
            "(an inconsistent target, as behind a load balancer mid-release: each answer "
            "is documented)"),
    Variant("method-405", "an undocumented method on a known path answers 405 with Allow, not "
            "400 MSS.00010004"),
    Variant("validate-job-first", "an unknown job is reported before a header or body error"),
    Variant("null-as-absent", "JSON null in an optional body field counts as the field absent"),
    Variant("absent-as-null", "every optional answer field the server leaves out is sent as "
            "JSON null instead, errors included (as Java services commonly serialise)"),
    Variant("accept-large-bodies", "bodies up to 16 MiB are read; a command body over 1 MiB "
            "answers 200 EXCUTE_FAILED and changes nothing"),
    Variant("reject-unknown-fields", "body fields the spec does not define are refused with 400"),
    Variant("require-json-content-type", "a body without Content-Type application/json is "
            "refused with 400 MSS.10000002"),
    Variant("short-app-user-id", "an X-App-UserId longer than 16 characters is refused with 400"),
    Variant("uuid-job-ids", "job ids are dashed UUIDs (36 characters), not 32 lower-case hex "
            "like the docs' example"),
    Variant("sdk-commands", "the SDK's later command and command_message values (the spec's "
            "x-also-accepted) are valid; commands without a transition are refused as not "
            "allowed now"),
)}

# Registry names of the options that predate the registry: name -> (Options field, value).
OPTION_SPELLINGS = {
    "alt-errors": ("alt_errors", True),
    "extra-fields": ("extra_fields", True),
    "unknown-job-400": ("unknown_job_status", 400),
    "excute-failed-refusal": ("refusal", "excute-failed"),
}

LARGE_BODY = 16 * 1024 * 1024  # what accept-large-bodies reads; MAX_BODY stays the norm
APP_USER_ID_MAX = 16  # short-app-user-id: short enough that generated ids cross it
GATEWAY_SIGNATURE_CODE = "APIGW.0301"

ALT_CODES = {
    INVALID_PARAMETER: VALIDATION_FAILED,
    VALIDATION_FAILED: INVALID_PARAMETER,
    INVALID_BODY: MALFORMED_JSON,
    MALFORMED_JSON: INVALID_BODY,
}

ALT_MESSAGES = {
    UNAUTHORIZED: "Authentication failed: the request carries no valid credentials.",
    GATEWAY_SIGNATURE_CODE: "Incorrect IAM authentication information: verify aksk "
                            "signature fail.",
    INVALID_BODY: "The request body could not be understood.",
    INVALID_PARAMETER: "A request parameter is not acceptable.",
    INTERNAL_ERROR: "The service met an unexpected condition.",
    API_NOT_FOUND: "No API is published at this address.",
    METHOD_NOT_ALLOWED: "This HTTP method cannot be used here.",
    PROJECT_MISMATCH: "The project of the request does not match its credentials.",
    MALFORMED_JSON: "The body is not well-formed JSON; check the Content-Type.",
    VALIDATION_FAILED: "Parameter check failed.",
    JOB_NOT_FOUND: "The training task cannot be found.",
}

EXTRA_JOB_FIELDS = {
    "queue_position": 0,
    "region_hint": "cn-north-4",
    "render_profile": {"gpu": "standard", "retries": 0},
}


class UnknownVariant(ValueError):
    pass


def parse_names(names) -> frozenset[str]:
    """Variant names from a list whose items may be comma-separated; unknown ones refused."""
    found = {n.strip() for item in names for n in str(item).split(",") if n.strip()}
    unknown = sorted(found - set(REGISTRY))
    if unknown:
        raise UnknownVariant(f"unknown variant {unknown[0]!r}; known: {', '.join(REGISTRY)}")
    return frozenset(found)


def body_limit(names: frozenset[str], default: int) -> int:
    """The largest body the server reads (accept-large-bodies raises it)."""
    return max(default, LARGE_BODY) if "accept-large-bodies" in names else default


def signature_code(alt_errors: bool) -> str:
    """error_code of a failed AK/SK check."""
    return GATEWAY_SIGNATURE_CODE if alt_errors else UNAUTHORIZED


def job_fields(extra_fields: bool) -> dict:
    """Undocumented fields to add to each job in Show and List answers."""
    return dict(EXTRA_JOB_FIELDS) if extra_fields else {}


# --- lifecycle variants: edits of the inferred transition table ---

def _not_yet_confirmed(job, body: dict) -> str | None:
    return "the upload is already confirmed" if job.parts_confirmed else None


def _confirmed_or_all_uploaded(job, body: dict) -> str | None:
    return None if job.parts_confirmed else all_parts_uploaded(job, body)


def _has_comment(job, body: dict) -> str | None:
    if isinstance(body.get("comment_data"), dict):
        return None
    return "CONFIRM_ANSWER needs comment_data"


def _both(first: Guard | None, second: Guard) -> Guard:
    if first is None:
        return second
    return lambda job, body: first(job, body) or second(job, body)


def _is(*commands: str, source: str | None = None) -> Callable[[Rule], bool]:
    return lambda r: r.command in commands and (source is None or source in r.sources)


def _drop_source(state: str):
    return lambda r, states: replace(r, sources=tuple(s for s in r.sources if s != state))


def _add_source(state: str):
    return lambda r, states: replace(r, sources=(*r.sources, state))


# In this order, so that lenient-upload-confirm plus confirm-upload-once keeps the latter.
_RULE_EDITS = (
    ("lenient-upload-confirm", _is("CONFIRM_MULTIPART_UPLOADED"),
     lambda r, states: replace(r, guard=None)),
    ("confirm-upload-once", _is("CONFIRM_MULTIPART_UPLOADED"),
     lambda r, states: replace(r, guard=_both(r.guard, _not_yet_confirmed))),
    ("submit-unconfirmed", _is("SUBMITVERIFYING", source="WAIT_FILE_UPLOAD"),
     lambda r, states: replace(r, guard=_confirmed_or_all_uploaded)),
    ("resubmit-any-message", _is("SUBMITVERIFYING", source="AUTO_VERIFY_FAILED"),
     lambda r, states: replace(r, guard=None)),
    ("submit-to-manual-review", _is("SUBMITVERIFYING"),
     lambda r, states: replace(r, target="MANUAL_VERIFYING")),
    ("parts-query-anywhere", _is("GET_MULTIPART_UPLOADED"),
     lambda r, states: replace(r, sources=tuple(states))),
    ("answer-only-when-waiting", _is("CONFIRM_ANSWER"), _drop_source("JOB_PENDING")),
    ("answer-needs-comment", _is("CONFIRM_ANSWER"),
     lambda r, states: replace(r, guard=_both(r.guard, _has_comment))),
    ("decide-from-pending", _is("CONFIRM_ACCEPT", "CONFIRM_REJECT"), _add_source("JOB_PENDING")),
)


class Variants:
    """The active variants and one hook per point where they change an answer."""

    def __init__(self, names=()):
        self.active = parse_names(names)
        self._schemas: dict[int, dict] = {}  # widened body schemas, by id of the spec's
        self._deletes = itertools.count()  # successful DELETEs so far (alternates)


    def __contains__(self, name: str) -> bool:
        return name in self.active

    def rules(self, rules: tuple[Rule, ...], states) -> tuple[Rule, ...]:
        """The transition table with the active lifecycle variants applied."""
        for name, matches, edit in _RULE_EDITS:
            if name in self:
                rules = tuple(edit(r, states) if matches(r) else r for r in rules)
        return rules

    def new_job_id(self) -> str:
        """A fresh job id: 32 lower-case hex like the docs' example, or a dashed UUID."""
        return str(uuid.uuid4()) if "uuid-job-ids" in self else uuid.uuid4().hex

    def seeds_uploaded_part(self) -> bool:
        return "no-seeded-parts" not in self

    def delete_status(self) -> int:
        first, other = (204, 200) if "delete-204" in self else (200, 204)
        if "delete-status-alternates" in self and next(self._deletes) % 2:
            return other
        return first

    def method_not_allowed(self, method: str, allowed: list[str]) -> Response:
        if "method-405" not in self:  # the docs' table: 400 MSS.00010004
            return error(400, METHOD_NOT_ALLOWED, f"method {method} not allowed")
        resp = error(405, METHOD_NOT_ALLOWED, f"method {method} not allowed")
        resp.headers["Allow"] = ", ".join(allowed)  # RFC 9110: a 405 lists what is allowed
        return resp

    def body_schema(self, schema: dict) -> dict:
        """The schema a body is validated against (sdk-commands widens the enumerations)."""
        if "sdk-commands" not in self:
            return schema
        if id(schema) not in self._schemas:
            self._schemas[id(schema)] = _widened(schema)
        return self._schemas[id(schema)]

    def job_first(self) -> bool:
        return "validate-job-first" in self

    def too_large_to_execute(self, size: int) -> bool:
        """A command body read only because accept-large-bodies raised the limit."""
        return "accept-large-bodies" in self and size > MAX_BODY

    def content_type_refusal(self, content_type: str | None) -> Response | None:
        media = (content_type or "").split(";", 1)[0].strip().lower()
        if "require-json-content-type" in self and media != "application/json":
            return error(400, MALFORMED_JSON,
                         f"Content-Type must be application/json, not {media or 'absent'}")
        return None

    def without_nulls(self, body: dict, schema: dict) -> dict:
        """body minus null members wherever the schema describes an object (null-as-absent).
        Led by the schema, so a hostile deep nesting is never walked."""
        if "null-as-absent" not in self:
            return body
        return _without_nulls(body, schema)

    def unknown_field_refusal(self, body: dict, schema: dict) -> Response | None:
        if "reject-unknown-fields" not in self:
            return None
        unknown = _unknown_fields(body, schema)
        if not unknown:
            return None
        return error(400, VALIDATION_FAILED, f"parameter validation failed: unknown field "
                     f"{unknown[0]}")

    def header_refusal(self, name: str, value: str) -> Response | None:
        if ("short-app-user-id" in self and name.lower() == "x-app-userid"
                and len(value) > APP_USER_ID_MAX):
            return error(400, INVALID_PARAMETER, f"Invalid parameter: {name} longer than "
                         f"{APP_USER_ID_MAX} characters")
        return None

    def sends_nulls(self) -> bool:
        return "absent-as-null" in self

    def rewrite(self, resp: Response, schema: dict | None = None) -> None:
        """Apply the variants to a finished answer (it has its X-Request-Id already);
        `schema` is the one the spec documents for it (absent-as-null reads it)."""
        payload = resp.payload
        if payload is None:
            return
        if "alt-errors" in self and resp.is_error and isinstance(payload.get("error_code"), str):
            code = ALT_CODES.get(payload["error_code"], payload["error_code"])
            payload["error_code"] = code
            payload["error_msg"] = ALT_MESSAGES.get(code, "The request could not be processed.")
        if "commond_result" in payload:
            self._shape_command_answer(payload)
        if "extra-fields" in self:
            payload["request_id"] = resp.headers.get("X-Request-Id", "")
            payload["trace"] = {"span_id": uuid.uuid4().hex[:16], "served_by": "reference"}
        if self.sends_nulls() and schema is not None:
            _nulls_for_absent(payload, schema)

    def _shape_command_answer(self, payload: dict) -> None:
        parts = payload.get("multipart_data")
        if "parts-without-etag" in self and isinstance(parts, list):
            payload["multipart_data"] = [{"part_number": p["part_number"]} for p in parts]
        if "omit-empty-arrays" in self:
            for name in ("multipart_data", "attachment_upload_url"):
                if payload.get(name) == []:
                    del payload[name]


def _widened(node):
    if isinstance(node, list):
        return [_widened(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _widened(value) for key, value in node.items()}
    if "enum" in node and "x-also-accepted" in node:
        out["enum"] = [*node["enum"], *node["x-also-accepted"]]
    return out


def _without_nulls(body: dict, schema: dict) -> dict:
    members = schema.get("properties", {})
    out = {}
    for key, value in body.items():
        if value is None:
            continue
        sub = members.get(key, {})
        out[key] = _without_nulls(value, sub) if isinstance(value, dict) and sub else value
    return out


def _nulls_for_absent(value, schema: dict) -> None:
    """Every optional property the schema lists and `value` leaves out becomes null, in
    place, in nested objects and arrays of objects too (led by the schema)."""
    if isinstance(value, list):
        for item in value:
            _nulls_for_absent(item, schema.get("items", {}))
        return
    if not isinstance(value, dict):
        return
    required = set(schema.get("required", []))
    for name, member in schema.get("properties", {}).items():
        if name in value:
            _nulls_for_absent(value[name], member)
        elif name not in required:
            value[name] = None


def _unknown_fields(body: dict, schema: dict, prefix: str = "") -> list[str]:
    members = schema.get("properties")
    if members is None:
        return []
    found = []
    for key, value in body.items():
        if key not in members:
            found.append(prefix + key)
        elif isinstance(value, dict):
            found += _unknown_fields(value, members[key], f"{prefix}{key}.")
    return found
