"""Near misses in headers whose pattern excludes character ranges (`X-App-UserId`): one
Chinese character at the start, in the middle, at the end and at each range's edges,
and, as controls, the characters just outside the ranges.

The ranges are read from the spec's pattern itself (`^[^...]*$`), each boundary checked
against it: a range the spec gains is probed, and a pattern read wrongly gives no probes
(`near_misses.unprobed` then names it) rather than wrong ones.
"""

from __future__ import annotations

import re
from typing import Any

from metastudio_conformance import requirements
from metastudio_conformance.strategies import unicode_blocks
from metastudio_conformance.strategies.near_miss_probe import (
    CONTROL,
    OBSERVED,
    REFUSED,
    SAMPLE_TEXT,
    Meaning,
    Probe,
    base_body,
    body_schema,
    under_test,
)
from metastudio_conformance.strategies.unicode_blocks import IDEOGRAPH_NAMES  # noqa: F401

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
    for operation_id, method, definition, parameters in under_test(spec):
        schema = body_schema(spec, definition)
        body = base_body(schema) if schema else None
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
    """A Chinese character beyond doubt: a CJK unified or compatibility ideograph, by the
    block table, so the same on every Python (3.11's Unicode 14 lacks Extension H)."""
    return unicode_blocks.is_ideograph(point)


def _describe(point: int) -> str:
    return f"U+{point:04X} {unicode_blocks.character_name(point)}"


class _HeaderBuilder:
    """One header's probes on one operation: one character each, after a valid value."""

    def __init__(self, operation_id: str, method: str, body: Any, parameter: dict,
                 pattern: str, ranges: list[tuple[int, int]]) -> None:
        self.operation_id, self.method, self.body = operation_id, method, body
        self.name, self.pattern, self.ranges = parameter["name"], pattern, ranges
        self.plain = str(parameter.get("example", SAMPLE_TEXT))
        self.rule = requirements.rule_broken([("header", (self.name,), "pattern")])

    def probes(self) -> list[Probe]:
        """Positions, boundaries, controls; a value already probed is not sent again."""
        found = {}
        for probe in [*self._positions(), *self._boundaries(), *self._controls()]:
            found.setdefault(probe.headers[self.name], probe)
        return list(found.values())

    def _probe(self, label: str, kind: str, value: str, why: str) -> Probe:
        added = next(c for c in value if c not in self.plain)  # the one varied character
        return Probe(f"{self.method}:{self.name}:{label}", self.operation_id, kind,
                     f"{self.name} {value!r} ({why})",
                     self.rule if kind == REFUSED else None, self.body,
                     {self.name: value.encode("utf-8")}, twin_body=self.body,
                     twin_headers={self.name: self.plain.encode("utf-8")},
                     meaning=Meaning(self.name, unicode_blocks.label(ord(added)), "block"))

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

