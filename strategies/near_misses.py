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
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from metastudio_conformance import contract

REFUSED, OBSERVED, CONTROL = "refused", "observed", "control"

# The command every probe carries where `command` is not what it varies: it only reads
# (seed: "Information about uploaded parts has been obtained"), so a lenient server that
# runs a probe shows it in its answer, not by moving the job.
QUERY_COMMAND = "GET_MULTIPART_UPLOADED"
SAMPLE_TEXT = "conformance"  # a valid string where the spec gives no example
IDEOGRAPH_NAMES = ("CJK UNIFIED IDEOGRAPH", "CJK COMPATIBILITY IDEOGRAPH")


@dataclass(frozen=True, eq=False)
class Probe:
    id: str  # readable and unique: the pytest id
    operation: str  # operationId
    kind: str  # REFUSED, OBSERVED or CONTROL
    what: str  # the varied part, for the verdict
    requirement: str | None = None  # the rule a REFUSED probe tests
    body: Any = None  # the JSON body (None: no body)
    headers: dict[str, bytes] | None = None  # sent as UTF-8, as a client must


def probes(spec: dict | None = None) -> list[Probe]:
    """Every near miss of the operations under test: bodies, then headers."""
    spec = spec if spec is not None else contract.raw_spec()
    found = [*body_probes(spec), *header_probes(spec)]
    ids = [probe.id for probe in found]
    assert len(ids) == len(set(ids)), "probe ids must be unique"
    return found


# The spec, walked.


def _resolved(spec: dict, node: Any) -> Any:
    """`node` with its `$ref`s inlined from `spec` (any copy of the contract)."""
    if isinstance(node, dict):
        if "$ref" in node:
            kind, name = node["$ref"].split("/")[-2:]
            return _resolved(spec, spec["components"][kind][name])
        return {key: _resolved(spec, value) for key, value in node.items()}
    if isinstance(node, list):
        return [_resolved(spec, item) for item in node]
    return node


def _under_test(spec: dict) -> Iterator[tuple[str, str, dict, list[dict]]]:
    """(operationId, method, definition, parameters) of each operation under test."""
    for path_item in spec["paths"].values():
        shared = path_item.get("parameters", [])
        for method, definition in path_item.items():
            if isinstance(definition, dict) and "under-test" in definition.get("tags", []):
                parameters = _resolved(spec, [*shared, *definition.get("parameters", [])])
                yield definition["operationId"], method.upper(), definition, parameters


def _body_schema(spec: dict, definition: dict) -> dict | None:
    content = _resolved(spec, definition.get("requestBody", {})).get("content", {})
    return content.get("application/json", {}).get("schema")


def _seed_unknown(schema: dict) -> bool:
    """A field only the SDK documents: a server built on the seed may ignore it."""
    return schema.get("x-source") == "SDK"


def _documented_values(schema: dict) -> set:
    return {*schema.get("enum", []), *schema.get("x-also-accepted", [])}


def _sample(schema: dict) -> Any:
    """A valid value of `schema`, to build near misses and bodies from."""
    if "example" in schema:
        return schema["example"]
    if schema.get("enum"):
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "array":
        return [_sample(schema.get("items", {}))]
    if kind == "object":
        return {name: _sample(member) for name, member in schema.get("properties", {}).items()}
    return {"integer": 1, "number": 1, "boolean": True}.get(kind, SAMPLE_TEXT)


# Bodies.


def body_probes(spec: dict) -> list[Probe]:
    found = []
    for operation_id, method, definition, _ in _under_test(spec):
        schema = _body_schema(spec, definition)
        if schema is None:
            continue
        base = _base_body(schema)
        build = _BodyBuilder(operation_id, method, base)
        found += build.root_types(schema)
        for name, member in schema.get("properties", {}).items():
            if not _seed_unknown(member):
                found += build.field((name,), member, name in schema.get("required", []))
    return found


def _base_body(schema: dict) -> dict:
    """The required fields, `command` the query command where the spec lists it."""
    properties = schema.get("properties", {})
    body = {name: _sample(properties[name]) for name in schema.get("required", [])}
    if QUERY_COMMAND in properties.get("command", {}).get("enum", []):
        body["command"] = QUERY_COMMAND
    return body


def _body_rule(path: tuple[str, ...], required: bool, kind: str) -> str:
    """The requirement whose rule a body near miss tests."""
    if path[0] == "command":
        return "CMD-02"  # outside the documented options, a wrong type included
    if kind == "type" and not required:
        return "CMD-07"  # an optional field, or a member below one, of the wrong type
    return "VAL-01"


class _BodyBuilder:
    """Probes of one operation's body: each sets one value at one path of the base body."""

    def __init__(self, operation_id: str, method: str, base: dict) -> None:
        self.operation_id, self.method, self.base = operation_id, method, base

    def root_types(self, schema: dict) -> list[Probe]:
        return [Probe(f"{self.method}:body:{label}", self.operation_id, REFUSED,
                      f"the body {json.dumps(value)} ({_spoken(label)}, not a JSON object)",
                      "VAL-01", value)
                for label, value in _wrong_types(schema, self.base)]

    def field(self, path: tuple[str, ...], schema: dict, required: bool) -> list[Probe]:
        def probe(label: str, value: Any, kind: str, how: str) -> Probe:
            dotted = ".".join(path)
            return Probe(f"{self.method}:{dotted}:{label}", self.operation_id, REFUSED,
                         f"`{dotted}` = {json.dumps(value, ensure_ascii=False)} ({how})",
                         _body_rule(path, required, kind), self._with(path, value))

        found = []
        for label, value, how in _value_misses(schema):
            found.append(probe(label, value, "value", how))
        for label, value in _wrong_types(schema, _sample(schema)):
            found.append(probe(label, value, "type",
                               f"{_spoken(label)}, not {_a(schema.get('type'))}"))
        for label, value in _wrong_items(schema):
            item_type = schema["items"].get("type")
            found.append(probe(label, value, "type", f"its second item "
                               f"{_spoken(label.removeprefix('item-'))}, not {_a(item_type)}"))
        for name, member in schema.get("properties", {}).items():
            if not _seed_unknown(member):
                found += self.field((*path, name), member, required)
        return found

    def _with(self, path: tuple[str, ...], value: Any) -> dict:
        """The base body with `value` at `path`, and only what leads there beside it."""
        body = dict(self.base)
        node = body
        for name in path[:-1]:
            node[name] = {}
            node = node[name]
        node[path[-1]] = value
        return body


def _value_misses(schema: dict) -> list[tuple[str, Any, str]]:
    """Strings just outside an enumeration: each value misspelt once, and one character
    over maxLength. None is documented (x-also-accepted included) or repeated."""
    if schema.get("type") != "string" or not schema.get("enum"):
        return []
    documented, seen, found = _documented_values(schema), set(), []
    for value in schema["enum"]:
        for how, miss in _misspellings(value):
            if miss not in documented and miss not in seen:
                seen.add(miss)
                found.append((f"{value}:{how}", miss, f"{value} {how.replace('-', ' ')}"))
    limit = schema.get("maxLength")
    if limit is not None and schema["enum"][0]:
        first = schema["enum"][0]
        too_long = (first * (limit // len(first) + 2))[: limit + 1]
        found.append(("maxLength+1", too_long, f"{limit + 1} characters, over maxLength "
                                               f"{limit} and outside the options"))
    return found


def _misspellings(value: str) -> list[tuple[str, str]]:
    """One slip each: a prefix or suffix compare, case folding or trimming let it pass."""
    middle = len(value) // 2
    misses = [("trailing-space", value + " ")]
    if value:
        misses = [
            ("middle-changed", value[:middle] + _other(value[middle]) + value[middle + 1:]),
            ("last-repeated", value + value[-1]),
            ("last-removed", value[:-1]),
            ("case-flipped", _flip_first_cased(value)),
            *misses,
        ]
    return [(how, miss) for how, miss in misses if miss != value]


def _other(character: str) -> str:
    """A different character of the same kind (the next letter or digit)."""
    for first, size in (("A", 26), ("a", 26), ("0", 10)):
        if 0 <= ord(character) - ord(first) < size:
            return chr(ord(first) + (ord(character) - ord(first) + 1) % size)
    return "X"


def _flip_first_cased(value: str) -> str:
    for index, character in enumerate(value):
        if character.swapcase() != character:
            return value[:index] + character.swapcase() + value[index + 1:]
    return value


def _wrong_types(schema: dict, sample: Any) -> list[tuple[str, Any]]:
    """Values of a neighbouring JSON type, built from a valid one (null excluded)."""
    kind = schema.get("type")
    if kind == "string":
        return [("as-number", 1), ("as-boolean", True), ("as-list", [sample])]
    if kind == "object":
        return [("as-list", [sample]), ("as-string", json.dumps(sample))]
    if kind == "array":
        return [("as-bare-item", sample[0] if sample else SAMPLE_TEXT)]
    if kind in ("integer", "number", "boolean"):
        return [("as-string", json.dumps(sample)), ("as-list", [sample])]
    return []


def _spoken(label: str) -> str:
    return label.replace("as-", "a ").replace("-", " ")


def _a(word: str | None) -> str:
    return f"{'an' if str(word)[:1] in 'aeiou' else 'a'} {word}"


def _wrong_items(schema: dict) -> list[tuple[str, Any]]:
    """An array whose second item has the wrong type: the first alone may be checked."""
    items = schema.get("items")
    if schema.get("type") != "array" or not items:
        return []
    good = _sample(items)
    return [(label.replace("as-", "item-as-"), [good, wrong])
            for label, wrong in _wrong_types(items, good)[:1]]


# Headers with a pattern that excludes character ranges (X-App-UserId).

_NEGATED_CLASS = re.compile(r"\^\[\^(?P<body>.+)\]\*\$", re.DOTALL)
_ESCAPE = re.compile(r"\\(?:u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8})|x([0-9a-fA-F]{2})|(.))",
                     re.DOTALL)


def excluded_ranges(pattern: str) -> list[tuple[int, int]] | None:
    """The code point ranges of a pattern `^[^...]*$`, or None for another form. Every
    boundary is checked against the pattern itself, so a misread class gives None."""
    match = _NEGATED_CLASS.fullmatch(pattern)
    if not match:
        return None
    ranges = _ranges(_atoms(match["body"]))
    if ranges is None:
        return None
    compiled = re.compile(pattern)
    edges = [chr(point) for pair in ranges for point in pair]
    return ranges if not any(compiled.search(edge) for edge in edges) else None


def _atoms(body: str) -> list[tuple[str, bool]]:
    """The characters of a class body, each with whether it was escaped."""
    atoms, index = [], 0
    while index < len(body):
        escape = _ESCAPE.match(body, index)
        if escape:
            hexa = escape[1] or escape[2] or escape[3]
            atoms.append((chr(int(hexa, 16)) if hexa else escape[4], True))
            index = escape.end()
        else:
            atoms.append((body[index], False))
            index += 1
    return atoms


def _ranges(atoms: list[tuple[str, bool]]) -> list[tuple[int, int]] | None:
    found, index = [], 0
    while index < len(atoms):
        first = ord(atoms[index][0])
        if index + 2 < len(atoms) and atoms[index + 1] == ("-", False):
            found.append((first, ord(atoms[index + 2][0])))
            index += 3
        else:
            found.append((first, first))
            index += 1
    return found if all(low <= high for low, high in found) else None


def header_probes(spec: dict) -> list[Probe]:
    found = []
    for operation_id, method, definition, parameters in _under_test(spec):
        schema = _body_schema(spec, definition)
        body = _base_body(schema) if schema else None
        for parameter in parameters:
            pattern = parameter.get("schema", {}).get("pattern")
            if parameter.get("in") != "header" or parameter.get("x-auth-header") or not pattern:
                continue
            ranges = excluded_ranges(pattern)
            if ranges:
                found += _HeaderBuilder(operation_id, method, body, parameter,
                                        pattern, ranges).probes()
    return found


def is_ideograph(point: int) -> bool:
    """A Chinese character beyond doubt: a CJK unified or compatibility ideograph."""
    return unicodedata.name(chr(point), "").startswith(IDEOGRAPH_NAMES)


def _describe(point: int) -> str:
    return f"U+{point:04X} {unicodedata.name(chr(point), 'unassigned')}"


class _HeaderBuilder:
    """One header's probes on one operation: one character each, after a valid value."""

    def __init__(self, operation_id: str, method: str, body: Any, parameter: dict,
                 pattern: str, ranges: list[tuple[int, int]]) -> None:
        self.operation_id, self.method, self.body = operation_id, method, body
        self.name, self.pattern, self.ranges = parameter["name"], pattern, ranges
        self.plain = str(parameter.get("example", SAMPLE_TEXT))
        self.rule = "HDR-02" if self.name.lower() == "x-app-userid" else "VAL-01"

    def probes(self) -> list[Probe]:
        """Positions, boundaries, controls; a value already probed is not sent again."""
        found = {}
        for probe in [*self._positions(), *self._boundaries(), *self._controls()]:
            found.setdefault(probe.headers[self.name], probe)
        return list(found.values())

    def _probe(self, label: str, kind: str, value: str, why: str) -> Probe:
        return Probe(f"{self.method}:{self.name}:{label}", self.operation_id, kind,
                     f"{self.name} {value!r} ({why})",
                     self.rule if kind == REFUSED else None, self.body,
                     {self.name: value.encode("utf-8")})

    def _positions(self) -> list[Probe]:
        """One ideograph at the start, in the middle, at the end of a valid value."""
        point = self._typical_ideograph()
        if point is None:
            return []
        ideograph, middle = chr(point), len(self.plain) // 2
        values = {"at-start": ideograph + self.plain,
                  "in-middle": self.plain[:middle] + ideograph + self.plain[middle:],
                  "at-end": self.plain + ideograph}
        return [self._probe(f"U+{point:04X}-{where}", REFUSED, value,
                            f"{_describe(point)} {where.replace('-', ' the ')}")
                for where, value in values.items()]

    def _typical_ideograph(self) -> int | None:
        """The first ideograph of the widest range in the Basic Multilingual Plane: one
        every notion of "Chinese characters" includes."""
        basic = sorted((r for r in self.ranges if r[1] <= 0xFFFF),
                       key=lambda r: r[0] - r[1])
        return next((p for r in basic if (p := _first_ideograph(range(r[0], r[1] + 1)))),
                    None)

    def _boundaries(self) -> list[Probe]:
        """Each range's first and last code point; where one is no ideograph, the spec
        alone excludes it (observed) and the nearest ideograph inside is probed too."""
        found = []
        for low, high in self.ranges:
            span = f"the spec's excluded range U+{low:04X}..U+{high:04X}"
            for edge, inward in ((low, range(low, high + 1)), (high, range(high, low - 1, -1))):
                where = "first" if edge == low else "last"
                if is_ideograph(edge):
                    found.append(self._probe(f"U+{edge:04X}-{where}-of-range", REFUSED,
                                             self.plain + chr(edge),
                                             f"{_describe(edge)}, {where} of {span}"))
                    continue
                found.append(self._probe(f"U+{edge:04X}-{where}-of-range", OBSERVED,
                                         self.plain + chr(edge),
                                         f"{_describe(edge)}, {where} of {span}; no "
                                         "document calls it a Chinese character"))
                point = _first_ideograph(inward)
                if point is not None and point not in (low, high):
                    found.append(self._probe(f"U+{point:04X}-{where}-ideograph-of-range",
                                             REFUSED, self.plain + chr(point),
                                             f"{_describe(point)}, {where} ideograph of {span}"))
        return found

    def _controls(self) -> list[Probe]:
        """The code points just outside each range that the pattern allows."""
        compiled, found = re.compile(self.pattern), []
        for low, high in self.ranges:
            for point in (low - 1, high + 1):
                if _sendable(point) and compiled.search(self.plain + chr(point)):
                    found.append(self._probe(f"U+{point:04X}-outside", CONTROL,
                                             self.plain + chr(point),
                                             f"{_describe(point)}, just outside U+{low:04X}.."
                                             f"U+{high:04X}: the spec allows it"))
        return list({probe.id: probe for probe in found}.values())


def _first_ideograph(points: range) -> int | None:
    return next((point for point in points if is_ideograph(point)), None)


def _sendable(point: int) -> bool:
    """A code point a header can carry as UTF-8: no control character, no surrogate."""
    return 0x20 < point <= 0x10FFFF and point != 0x7F and not 0xD800 <= point <= 0xDFFF


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
    for _, method, definition, parameters in _under_test(spec):
        for parameter in parameters:
            if not parameter.get("x-auth-header"):
                found += _unprobed_parameter(method, parameter)
        schema = _body_schema(spec, definition)
        if schema is not None:
            found += _unprobed_body(f"{method} body", schema)
    return found


def _unprobed_parameter(method: str, parameter: dict) -> list[str]:
    schema = parameter.get("schema", {})
    probed = parameter.get("in") == "header" and excluded_ranges(schema.get("pattern", ""))
    return [f"{method} {parameter['in']} {parameter['name']}: {key}" for key in CONSTRAINTS
            if key in schema and not (key == "pattern" and probed)]


def _unprobed_body(where: str, schema: dict) -> list[str]:
    if _seed_unknown(schema):
        return []
    probed = {"enum", "maxLength"} if schema.get("type") == "string" and schema.get(
        "enum") else set()
    found = [f"{where}: {key}" for key in CONSTRAINTS if key in schema and key not in probed]
    if schema.get("type") and not _wrong_types(schema, _sample(schema)):
        found.append(f"{where}: type {schema['type']}")
    for name, member in schema.get("properties", {}).items():
        found += _unprobed_body(f"{where}.{name}", member)
    if isinstance(schema.get("items"), dict):
        found += _unprobed_body(f"{where}.items", schema["items"])
    return found
