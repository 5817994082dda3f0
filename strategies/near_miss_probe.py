"""What a near-miss probe is, and the spec read for building one.

The `Probe` and its three kinds (how it is judged: near_misses.py says each), and the
walk both builders share: the operations under test, their JSON body schemas, a valid
value for any schema and the valid body a probe varies. Pure functions of a spec dict, so
a value the spec gains is probed without a new line anywhere.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

REFUSED, OBSERVED, CONTROL = "refused", "observed", "control"

# The command every probe carries where `command` is not what it varies: it only reads
# (seed: "Information about uploaded parts has been obtained"), so a lenient server that
# runs a probe shows it in its answer, not by moving the job.
QUERY_COMMAND = "GET_MULTIPART_UPLOADED"
SAMPLE_TEXT = "conformance"  # a valid string where the spec gives no example


@dataclass(frozen=True)
class Meaning:
    """What a probe varies, to group the evidence of several: the subject (a header, a
    field), the item it tried (a Unicode block, a value, a type) and what items are."""

    subject: str  # "X-App-UserId", "`command`"
    item: str  # "CJK Extension G (Unicode 13.0)", '"SUBMITVERIFYINg"', "a number"
    noun: str  # "block", "value" or "type"


@dataclass(frozen=True, eq=False)
class Probe:
    id: str  # readable and unique: the pytest id
    operation: str  # operationId
    kind: str  # REFUSED, OBSERVED or CONTROL
    what: str  # the varied part, for the verdict
    requirement: str | None = None  # the rule a REFUSED probe tests
    body: Any = None  # the JSON body (None: no body)
    headers: dict[str, bytes] | None = None  # sent as UTF-8, as a client must
    # its valid twin, the request it differs from in the one varied part (twins.py)
    twin_body: Any = None
    twin_headers: dict[str, bytes] | None = None
    meaning: Meaning | None = None  # for the evidence grouped by meaning


# The spec, walked.


def resolved(spec: dict, node: Any) -> Any:
    """`node` with its `$ref`s inlined from `spec` (any copy of the contract)."""
    if isinstance(node, dict):
        if "$ref" in node:
            kind, name = node["$ref"].split("/")[-2:]
            return resolved(spec, spec["components"][kind][name])
        return {key: resolved(spec, value) for key, value in node.items()}
    if isinstance(node, list):
        return [resolved(spec, item) for item in node]
    return node


def under_test(spec: dict) -> Iterator[tuple[str, str, dict, list[dict]]]:
    """(operationId, method, definition, parameters) of each operation under test."""
    for path_item in spec["paths"].values():
        shared = path_item.get("parameters", [])
        for method, definition in path_item.items():
            if isinstance(definition, dict) and "under-test" in definition.get("tags", []):
                parameters = resolved(spec, [*shared, *definition.get("parameters", [])])
                yield definition["operationId"], method.upper(), definition, parameters


def body_schema(spec: dict, definition: dict) -> dict | None:
    content = resolved(spec, definition.get("requestBody", {})).get("content", {})
    return content.get("application/json", {}).get("schema")


def seed_unknown(schema: dict) -> bool:
    """A field only the SDK documents: a server built on the seed may ignore it."""
    return schema.get("x-source") == "SDK"


def valid_value(schema: dict) -> Any:
    """A valid value of `schema`, to build near misses and bodies from."""
    if "example" in schema:
        return schema["example"]
    if schema.get("enum"):
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "array":
        return [valid_value(schema.get("items", {}))]
    if kind == "object":
        return {name: valid_value(member) for name, member in schema.get("properties", {}).items()}
    return {"integer": 1, "number": 1, "boolean": True}.get(kind, SAMPLE_TEXT)


def base_body(schema: dict) -> dict:
    """The required fields, `command` the query command where the spec lists it."""
    properties = schema.get("properties", {})
    body = {name: valid_value(properties[name]) for name in schema.get("required", [])}
    if QUERY_COMMAND in properties.get("command", {}).get("enum", []):
        body["command"] = QUERY_COMMAND
    return body

