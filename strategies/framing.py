"""Framing probes: the body itself malformed, each one respect away from a valid twin.

The near misses (near_misses.py) vary values inside a well-formed JSON object; these vary
the body around it: absent, empty, not an object, cut short, followed by garbage, not
UTF-8, nested 10,000 deep, or carried differently (a BOM, a duplicate key, another
Content-Type, chunked). Each probe is built from its twin, the valid body the target is
first seen to carry out (the query command, which changes no job), so a refusal can only
come from the one difference.

Each probe says how it is judged (`verdict`):
- REFUSED: not the documented JSON object body (seed Table 3: the body parameters of a
  JSON request), so VAL-01: refused (4xx, or 200 EXCUTE_FAILED), never 5xx (ERR-02);
- OBSERVED: the documents leave it open (docs/silent-points.md, "Request framing"): what
  the target did is noted in the `near_misses` matrix, never failed; a 5xx is still ERR-02.

docs/silent-points.md has the table of probes with the sentence or the silent point each
verdict rests on.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from metastudio_conformance.strategies.near_miss_probe import (
    OBSERVED,
    REFUSED,
    base_body,
    body_schema,
    under_test,
)

JSON_TYPE = "application/json"
DEPTH = 10_000  # "nesting 10,000 levels deep": ten times a default recursion limit
NOT_AN_OBJECT = "refused: the body is not the documented JSON object (VAL-01)"


@dataclass(frozen=True)
class Framed:
    """One framing probe: the bytes sent and how, beside its twin's."""

    id: str  # readable and unique: the pytest id
    operation: str  # operationId
    verdict: str  # REFUSED or OBSERVED
    what: str  # the one difference from the twin, for the verdict
    documented: str  # what the documents say of it, or the silent point
    data: bytes | None  # the body sent (None: no body, Content-Length 0)
    twin: bytes  # the valid body it differs from, sent as JSON with Content-Length
    content_type: str | None = JSON_TYPE  # None: no Content-Type header
    chunked: bool = False  # sent with Transfer-Encoding: chunked
    requirement: str | None = None  # VAL-01 for a REFUSED probe


def probes(spec: dict) -> list[Framed]:
    """Every framing probe of every operation under test that has a JSON body."""
    found = []
    for operation_id, method, definition, _ in under_test(spec):
        schema = body_schema(spec, definition)
        if schema is not None:
            found += _of_operation(operation_id, method, base_body(schema))
    ids = [probe.id for probe in found]
    assert len(ids) == len(set(ids)), "framing probe ids must be unique"
    return found


def _of_operation(operation_id: str, method: str, body: dict) -> list[Framed]:
    twin = json.dumps(body).encode()
    utf8_twin = json.dumps({**body, "comment_data": {"comment_title": "café"}},
                           ensure_ascii=False).encode()
    first = next(iter(body))

    def refused(label: str, what: str, data: bytes | None, **how) -> Framed:
        return Framed(f"{method}:framing:{label}", operation_id, REFUSED, what,
                      NOT_AN_OBJECT, data, how.pop("twin", twin), requirement="VAL-01",
                      **how)

    def observed(label: str, what: str, documented: str, data: bytes, **how) -> Framed:
        return Framed(f"{method}:framing:{label}", operation_id, OBSERVED, what,
                      documented, data, twin, **how)

    return [
        refused("no-body", "no body at all (nor Content-Type)", None, content_type=None),
        refused("empty-body", "an empty body, Content-Length: 0", b""),
        *(refused(f"json-{label}", f"the body {text} (JSON, not an object)", text.encode())
          for label, text in (("null", "null"), ("array", "[]"), ("string", '""'),
                              ("zero", "0"), ("true", "true"))),
        refused("truncated", "the twin without its last byte", twin[:-1]),
        refused("trailing-garbage", "the twin followed by `x`", twin + b"x"),
        refused("not-utf8", "the twin's comment_title `café` in Latin-1, not UTF-8",
                utf8_twin.replace("é".encode(), "é".encode("latin-1")), twin=utf8_twin),
        refused("nested-10000", f"the twin inside {DEPTH:,} nested arrays",
                b"[" * DEPTH + twin + b"]" * DEPTH),
        observed("bom", "the twin after a UTF-8 byte order mark",
                 "open: RFC 8259 8.1 lets a parser ignore a BOM or refuse it",
                 b"\xef\xbb\xbf" + twin),
        observed("duplicate-key", f"the twin with `{first}` given twice, the same value",
                 "open: RFC 8259 4 leaves duplicate names to the parser",
                 twin[:-1] + b", " + twin[1:]),
        observed("text-plain", "the twin declared Content-Type: text/plain",
                 "open: the documents name no Content-Type", twin, content_type="text/plain"),
        observed("no-content-type", "the twin without a Content-Type header",
                 "open: the documents name no Content-Type", twin, content_type=None),
        observed("chunked", "the twin sent with Transfer-Encoding: chunked",
                 "like Content-Length, or 411 (RFC 9112 7.1, 6.3; RFC 9110 15.5.12)",
                 twin, chunked=True),
    ]
