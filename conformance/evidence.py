"""One HTTP exchange as evidence: what was sent and what came back, credentials masked.

Used for every failure, property tests and deterministic tests alike: the failing
exchange is shown in full (method, URL, request headers and body, status, response
headers and body, each body cut to a preview), the test's earlier requests after it in
one line each.
"""

from __future__ import annotations

from typing import Any

from metastudio_conformance import printable
from metastudio_conformance.answers import json_body, show
from metastudio_conformance.redact import MASK

BODY_PREVIEW = 600
CREDENTIAL_HEADERS = ("authorization", "x-auth-token")
QUIET_HEADERS = ("user-agent", "accept", "accept-encoding", "connection", "content-length",
                 "date", "server")


def full(response, documented_method: str | None = None) -> str:
    """The exchange of `response` (requests' or schemathesis') in full.
    `documented_method`: the method the spec gives the operation, so a probe with another
    method says it was an undocumented one."""
    request = response.request
    lines = [f"{request.method} {request.url}"]
    if documented_method and request.method.upper() != documented_method.upper():
        lines[0] += (f"  (an undocumented method: the spec gives this path "
                     f"{documented_method.upper()}; schemathesis probes others)")
    lines += [f"  {name}: {value}" for name, value in _headers(request.headers)]
    if request.body:
        lines.append("  " + _preview(request.body))
    reason = getattr(response, "reason", None) or getattr(response, "message", "")
    lines.append(f"-> {response.status_code} {reason}".rstrip())
    lines += [f"  {name}: {value}" for name, value in _headers(response.headers)]
    if response.content:
        lines.append("  " + _preview(response.content))
    return printable.text("\n".join(lines))


def brief(method: str, path: str, sent: Any, status: int, received: Any) -> str:
    """One earlier request of a test, on two lines."""
    sent_text = "" if sent is None else " " + _compact(sent)
    got = "" if received in (None, "") else " " + _compact(received)
    return printable.text(f"{method} {path}{sent_text}\n  -> {status}{got}")


def _headers(headers) -> list[tuple[str, str]]:
    shown = []
    for name, value in headers.items():
        if name.lower() in QUIET_HEADERS:
            continue
        if isinstance(value, list):  # schemathesis keeps every value of a header
            value = ", ".join(value)
        text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
        shown.append((name, MASK if name.lower() in CREDENTIAL_HEADERS else text))
    return shown


def _preview(body: bytes | str) -> str:
    raw = body.encode() if isinstance(body, str) else body
    parsed = json_body(raw)
    if parsed is not None:
        return show(parsed, BODY_PREVIEW)
    text = raw[:BODY_PREVIEW].decode("utf-8", "replace")
    return repr(text) + (f" ... ({len(raw)} bytes)" if len(raw) > BODY_PREVIEW else "")


def _compact(value: Any) -> str:
    return show(value, 300)
