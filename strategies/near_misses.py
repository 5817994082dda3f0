"""Near misses: values just outside each documented constraint of the requests under test.

Random generation rarely lands one character away from an enumeration value or on the
first code point of an excluded range; a server lenient exactly there passes a property
run. These probes go there on purpose, derived from the spec at collection time (pure
functions of a spec dict, the bundled one by default), so a value the spec gains is
probed without a new line here. Never probed as invalid: an enumeration's
`x-also-accepted` values (the SDK's later ones), JSON null in an optional field
(docs/silent-points.md #5) and fields only the SDK knows (a server built on the seed may
ignore them, #14).

Each probe says how it is judged (`kind`):
- REFUSED: the documents rule it out; `requirement` names the rule (CMD-02 a `command`
  outside the options, wrong type included; CMD-07 a wrong type in an optional field or
  below one; HDR-02 `X-App-UserId`; VAL-01 anything else documented);
- OBSERVED: only the spec's pattern rules it out, not the documents (an unassigned code
  point, CJK punctuation: not "Chinese characters"): noted, never failed;
- CONTROL: just outside the pattern's ranges, which the spec allows but the documents do
  not promise (#16: other characters are the server's choice): compared with the same
  request without it, noted, never failed.

This module is the entry point: every probe (`probes`), and what no probe covers
(`unprobed`). The body probes are built in near_miss_bodies.py, the header probes in
near_miss_headers.py, both on the `Probe` and the spec walk of near_miss_probe.py; their
public names are importable from here too.
"""

from __future__ import annotations

from metastudio_conformance import contract
from metastudio_conformance.strategies.near_miss_bodies import body_probes, wrong_types

# The lines marked F401 keep names importable from here as before the split. Not __all__:
# its strings would join the literals Hypothesis draws into generated cases, and the same
# seed would send other requests.
from metastudio_conformance.strategies.near_miss_headers import (
    IDEOGRAPH_NAMES,  # noqa: F401
    excluded_ranges,
    header_probes,
    is_ideograph,  # noqa: F401
)
from metastudio_conformance.strategies.near_miss_probe import (
    CONTROL,  # noqa: F401
    OBSERVED,  # noqa: F401
    QUERY_COMMAND,  # noqa: F401
    REFUSED,  # noqa: F401
    SAMPLE_TEXT,  # noqa: F401
    Probe,
    body_schema,
    seed_unknown,
    under_test,
    valid_value,
)


def probes(spec: dict | None = None) -> list[Probe]:
    """Every near miss of the operations under test: bodies, then headers."""
    spec = spec if spec is not None else contract.raw_spec()
    found = [*body_probes(spec), *header_probes(spec)]
    ids = [probe.id for probe in found]
    assert len(ids) == len(set(ids)), "probe ids must be unique"
    return found


# What no probe covers: a constraint the spec gains without a prober here shows up.

CONSTRAINTS = ("enum", "pattern", "format", "maxLength", "minLength", "minimum", "maximum",
               "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "minItems", "maxItems",
               "uniqueItems", "minProperties", "maxProperties")


def unprobed(spec: dict | None = None) -> list[str]:
    """The request-side constraints of the operations under test that no probe here
    covers. Left out by design: the credentials' headers (`x-auth-header`: AUTH-02's),
    `required` (CMD-01's test) and fields only the SDK documents."""
    spec = spec if spec is not None else contract.raw_spec()
    found = []
    for _, method, definition, parameters in under_test(spec):
        for parameter in parameters:
            if not parameter.get("x-auth-header"):
                found += _unprobed_parameter(method, parameter)
        schema = body_schema(spec, definition)
        if schema is not None:
            found += _unprobed_body(f"{method} body", schema)
    return found


def _unprobed_parameter(method: str, parameter: dict) -> list[str]:
    schema = parameter.get("schema", {})
    probed = parameter.get("in") == "header" and excluded_ranges(schema.get("pattern", ""))
    return [f"{method} {parameter['in']} {parameter['name']}: {key}" for key in CONSTRAINTS
            if key in schema and not (key == "pattern" and probed)]


def _unprobed_body(where: str, schema: dict) -> list[str]:
    if seed_unknown(schema):
        return []
    probed = {"enum", "maxLength"} if schema.get("type") == "string" and schema.get(
        "enum") else set()
    found = [f"{where}: {key}" for key in CONSTRAINTS if key in schema and key not in probed]
    if schema.get("type") and not wrong_types(schema, valid_value(schema)):
        found.append(f"{where}: type {schema['type']}")
    for name, member in schema.get("properties", {}).items():
        found += _unprobed_body(f"{where}.{name}", member)
    if isinstance(schema.get("items"), dict):
        found += _unprobed_body(f"{where}.items", schema["items"])
    return found
