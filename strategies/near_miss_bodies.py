"""Near misses in request bodies: each enumeration value misspelt, maxLength+1, and each
field (the body itself too) in a neighbouring JSON type.

One probe sets one value at one path of the operation's valid body, and its twin
(`Probe.twin_body`) sets a valid one there, so a refusal beside a twin carried out can
only be for that value (conformance/twins.py). A wrong type wraps the twin's value
(`command` the query command the initial state carries out), so a server that unwraps it
would carry the probe out. Never probed as invalid: an enumeration's `x-also-accepted` values,
JSON null in an optional field and fields only the SDK knows (near_misses.py says why).
"""

from __future__ import annotations

import json
from typing import Any

from metastudio_conformance import requirements
from metastudio_conformance.strategies.near_miss_probe import (
    REFUSED,
    SAMPLE_TEXT,
    Meaning,
    Probe,
    base_body,
    body_schema,
    seed_unknown,
    under_test,
    valid_value,
)


def body_probes(spec: dict) -> list[Probe]:
    found = []
    for operation_id, method, definition, _ in under_test(spec):
        schema = body_schema(spec, definition)
        if schema is None:
            continue
        base = base_body(schema)
        build = _BodyBuilder(operation_id, method, base)
        found += build.root_types(schema)
        for name, member in schema.get("properties", {}).items():
            if not seed_unknown(member):
                found += build.field((name,), member)
    return found


class _BodyBuilder:
    """Probes of one operation's body: each sets one value at one path of the base body."""

    def __init__(self, operation_id: str, method: str, base: dict) -> None:
        self.operation_id, self.method, self.base = operation_id, method, base

    def root_types(self, schema: dict) -> list[Probe]:
        return [Probe(f"{self.method}:body:{label}", self.operation_id, REFUSED,
                      f"the body {json.dumps(value)} ({_spoken(label)}, not a JSON object)",
                      requirements.rule_broken([("body", (), "type")]), value,
                      twin_body=self.base, meaning=Meaning("the body", _spoken(label), "type"))
                for label, value in wrong_types(schema, self.base)]

    def field(self, path: tuple[str, ...], schema: dict) -> list[Probe]:
        def probe(label: str, value: Any, kind: str, how: str) -> Probe:
            dotted, sent = ".".join(path), json.dumps(value, ensure_ascii=False)
            item = sent if kind == "value" else _type_item(label)
            return Probe(f"{self.method}:{dotted}:{label}", self.operation_id, REFUSED,
                         f"`{dotted}` = {sent} ({how})",
                         requirements.rule_broken([("body", path, kind)]),
                         self._with(path, value),
                         twin_body=self._with(path, self._sample(path, schema)),
                         meaning=Meaning(f"`{dotted}`", item, kind))

        found = []
        for label, value, how in _value_misses(schema):
            found.append(probe(label, value, "value", how))
        for label, value in wrong_types(schema, self._sample(path, schema)):
            found.append(probe(label, value, "type",
                               f"{_spoken(label)}, not {_a(schema.get('type'))}"))
        for label, value in _wrong_items(schema):
            item_type = schema["items"].get("type")
            found.append(probe(label, value, "type", f"its second item "
                               f"{_spoken(label.removeprefix('item-'))}, not {_a(item_type)}"))
        for name, member in schema.get("properties", {}).items():
            if not seed_unknown(member):
                found += self.field((*path, name), member)
        return found

    def _sample(self, path: tuple[str, ...], schema: dict) -> Any:
        """The value the twin carries at `path` (for `command` the query command, which
        the initial state carries out), else a valid one: a wrong type wraps it, so a
        server that unwraps it would carry the probe out."""
        return self.base[path[0]] if len(path) == 1 and path[0] in self.base else (
            valid_value(schema))

    def _with(self, path: tuple[str, ...], value: Any) -> dict:
        """The base body with `value` at `path`, and only what leads there beside it."""
        body = dict(self.base)
        node = body
        for name in path[:-1]:
            node[name] = {}
            node = node[name]
        node[path[-1]] = value
        return body


def _documented_values(schema: dict) -> set:
    return {*schema.get("enum", []), *schema.get("x-also-accepted", [])}


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


def wrong_types(schema: dict, sample: Any) -> list[tuple[str, Any]]:
    """Values of a neighbouring JSON type, built from a valid one (null excluded)."""
    kind = schema.get("type")
    if kind == "string":
        return [("as-number", 1), ("as-boolean", True), ("as-list", [sample]),
                ("as-object", {"value": sample})]
    if kind == "object":
        return [("as-list", [sample]), ("as-string", json.dumps(sample))]
    if kind == "array":
        return [("as-bare-item", sample[0] if sample else SAMPLE_TEXT)]
    if kind in ("integer", "number", "boolean"):
        return [("as-string", json.dumps(sample)), ("as-list", [sample])]
    return []


def _spoken(label: str) -> str:
    return _a(label.removeprefix("as-").replace("-", " "))


def _type_item(label: str) -> str:
    """A wrong-type probe's item for grouped evidence: 'a number', or 'a list whose
    second item is a number'."""
    if label.startswith("item-"):
        return f"a list whose second item is {_spoken(label.removeprefix('item-'))}"
    return _spoken(label)


def _a(word: str | None) -> str:
    return f"{'an' if str(word)[:1] in 'aeiou' else 'a'} {word}"


def _wrong_items(schema: dict) -> list[tuple[str, Any]]:
    """An array whose second item has the wrong type: the first alone may be checked."""
    items = schema.get("items")
    if schema.get("type") != "array" or not items:
        return []
    good = valid_value(items)
    return [(label.replace("as-", "item-as-"), [good, wrong])
            for label, wrong in wrong_types(items, good)[:1]]
