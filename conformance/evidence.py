"""One HTTP exchange as evidence: what was sent and what came back, credentials masked.

Used for every failure, property tests and deterministic tests alike: the failing
exchange is shown in full (method, URL, request headers and body, status, response
headers and body, each body cut to a preview), the test's earlier requests after it in
one line each. An exchange cut short (`cut`) shows the request and what had arrived.
"""

from __future__ import annotations

from typing import Any

from metastudio_conformance import printable
from metastudio_conformance.answers import json_body, show
from metastudio_conformance.exchange import cut_of
from metastudio_conformance.redact import MASK

BODY_PREVIEW = 600
CUT_HEADERS = 8  # headers of a cut answer shown (a flood has thousands)
WIRE_LINE = 700  # characters of a line of wire bytes
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


def cut(error: BaseException) -> str | None:
    """The exchange a bounded-exchange error cut (`exchange.cut_of`): the request, then
    what had arrived (the status line and headers if they had, the first and last bytes
    off the wire); None for any other error."""
    exchange = cut_of(error)
    if exchange is None:
        return None
    request = exchange.request
    lines = [f"{request.method} {request.url}"]
    lines += [f"  {name}: {value}" for name, value in _headers(request.headers)]
    if request.body:
        lines.append("  " + _preview(request.body))
    answer = exchange.answer
    if answer is None or answer.headers is None:
        lines.append("-> no complete status line and headers")
    else:
        fields = _headers(answer.headers)
        lines.append(f"-> {answer.status} {answer.reason}".rstrip()
                     + (f" ({len(fields)} headers, the first {CUT_HEADERS} shown)"
                        if len(fields) > CUT_HEADERS else ""))
        lines += [f"  {name}: {value}"[:200] for name, value in fields[:CUT_HEADERS]]
    lines.append(f"  {exchange.received} byte(s) arrived; the first: {bytes(exchange.first)!r}"
                 [:WIRE_LINE])
    if exchange.received > len(exchange.first):
        lines.append(f"  the last: {exchange.last!r}"[:WIRE_LINE])
    return printable.text("Cut exchange:\n" + "\n".join(lines))


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
