"""Legitimately different servers: documented-compatible choices a conformance suite must
accept. Unlike faults, variants apply to every answer, control interface included.

- alt_errors: other `error_msg` texts everywhere, and the other code where the docs' table
  offers two for the same failure (MSS.00000003 "Invalid parameter" and MSS.10000003
  "parameter validation failed"; MSS.00000002 "Invalid body" and MSS.10000002 "request
  JSON malformed"); a failed AK/SK check answers the gateway's APIGW.0301 (the docs say
  gateway failures carry APIGW.* codes). Still {error_code: string, error_msg: string}.
- extra_fields: every JSON answer carries undocumented top-level fields, and jobs in
  Show/List carry undocumented job fields, as a newer service version might.
"""

from __future__ import annotations

import uuid

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
)

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


def signature_code(alt_errors: bool) -> str:
    """error_code of a failed AK/SK check."""
    return GATEWAY_SIGNATURE_CODE if alt_errors else UNAUTHORIZED


def job_fields(extra_fields: bool) -> dict:
    """Undocumented fields to add to each job in Show and List answers."""
    return dict(EXTRA_JOB_FIELDS) if extra_fields else {}


def rewrite(resp: Response, *, alt_errors: bool, extra_fields: bool) -> None:
    """Apply the variants to a finished answer (it has its X-Request-Id already)."""
    payload = resp.payload
    if payload is None:
        return
    if alt_errors and resp.is_error and isinstance(payload.get("error_code"), str):
        code = ALT_CODES.get(payload["error_code"], payload["error_code"])
        payload["error_code"] = code
        payload["error_msg"] = ALT_MESSAGES.get(code, "The request could not be processed.")
    if extra_fields:
        payload["request_id"] = resp.headers.get("X-Request-Id", "")
        payload["trace"] = {"span_id": uuid.uuid4().hex[:16], "served_by": "reference"}
