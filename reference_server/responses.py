"""Response value and the MetaStudio error codes (api-facts, from the docs' error-code table).

Handlers return a `Response` with a dict payload; serialisation happens once, in the
connection (protocol.py), so fault hooks can rewrite payloads and headers before anything goes out.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

JSON_CONTENT_TYPE = "application/json;charset=UTF-8"

UNAUTHORIZED = "MSS.00000001"
INVALID_BODY = "MSS.00000002"
INVALID_PARAMETER = "MSS.00000003"
INTERNAL_ERROR = "MSS.00000004"
API_NOT_FOUND = "MSS.00010003"
METHOD_NOT_ALLOWED = "MSS.00010004"
PROJECT_MISMATCH = "MSS.00010009"
MALFORMED_JSON = "MSS.10000002"
VALIDATION_FAILED = "MSS.10000003"
JOB_NOT_FOUND = "MSS.41000003"


@dataclass
class Response:
    status: int
    payload: dict | None = None
    headers: dict[str, str] = field(default_factory=dict)
    close: bool = False  # answer, then drop the connection (body framing is unknown)
    text: str | None = None  # a non-JSON body (only faults produce one)
    content_type: str = JSON_CONTENT_TYPE
    delay: float = 0.0  # seconds to wait before answering (random-slow), without blocking

    @property
    def is_error(self) -> bool:
        return self.status >= 400

    @property
    def has_body(self) -> bool:
        return self.payload is not None or self.text is not None

    def encode(self) -> bytes:
        if self.text is not None:
            return self.text.encode("utf-8")
        if self.payload is None:
            return b""
        return json.dumps(self.payload, ensure_ascii=False).encode("utf-8")


def ok(payload: dict | None = None, status: int = 200) -> Response:
    return Response(status, payload)


def error(status: int, code: str, msg: str, *, close: bool = False) -> Response:
    return Response(status, {"error_code": code, "error_msg": msg}, close=close)


def internal_error() -> Response:
    return error(500, INTERNAL_ERROR, "Internal Error")
