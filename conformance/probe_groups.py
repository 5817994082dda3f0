"""Evidence grouped by what it means: one line per subject of the near-miss probes a
target accepted, before the exchanges.

A probe's row in the `near_misses` matrix (test_near_misses.py) carries its meaning: the
subject it varies (a header, a field), the item it tried (a Unicode block, a misspelt
value, a JSON type), what the items are (`noun`) and whether the target accepted it
(a probe not judged, its valid twin refused too, counts neither way). A
server team then reads "X-App-UserId: accepted: CJK Extension G (Unicode 13.0), CJK
Extension H (Unicode 15.0); refused: every other block probed" instead of counting failing
probes: a character table from before 2020, not "you accept Chinese".
"""

from __future__ import annotations

from functools import cache
from typing import Any

from metastudio_conformance.strategies import near_misses
from metastudio_conformance.twins import MATRIX, NOT_JUDGED

ACCEPTED, REFUSED = "accepted", "refused"
FEW, MANY = 4, 8  # items named when all were accepted; at most, when some were refused


class _Group:
    """One subject's probes of one noun: per item, the probes accepted and refused."""

    def __init__(self, subject: str, noun: str) -> None:
        self.subject, self.noun = subject, noun
        self.items: dict[str, dict[str, list[str]]] = {}  # item -> outcome -> probes
        self.rules: list[str] = []  # the requirements its accepted probes broke

    def add(self, row: dict[str, Any]) -> None:
        outcome = ACCEPTED if row.get("outcome") == ACCEPTED else REFUSED
        seen = self.items.setdefault(str(row.get("item", "")), {ACCEPTED: [], REFUSED: []})
        seen[outcome].append(_short(str(row.get("probe", ""))))
        rule = row.get("requirement")
        if outcome == ACCEPTED and rule and rule not in self.rules:
            self.rules.append(rule)

    def line(self) -> str | None:
        """'subject: accepted: A, B; refused: every other <noun> probed', or None when the
        target refused every probe of the group."""
        accepted = [_accepted(item, seen) for item, seen in self.items.items()
                    if seen[ACCEPTED]]
        if not accepted:
            return None
        if all(not seen[REFUSED] for seen in self.items.values()):
            listed = ", ".join(accepted) if len(accepted) <= FEW else str(len(accepted))
            return f"{self.subject}: accepted: every {self.noun} probed ({listed}); refused: none"
        shown = ", ".join(accepted[:MANY])
        more = f" and {len(accepted) - MANY} more" if len(accepted) > MANY else ""
        return (f"{self.subject}: accepted: {shown}{more}; refused: every other {self.noun} "
                "probed")


def _accepted(item: str, seen: dict[str, list[str]]) -> str:
    """An item all of whose probes were accepted, or which of them were."""
    return item if not seen[REFUSED] else f"{item} (only {', '.join(seen[ACCEPTED])})"


def _short(probe: str) -> str:
    """'POST:X-App-UserId:U+9FFF-last-of-range' -> 'POST U+9FFF-last-of-range'."""
    method, _, rest = probe.partition(":")
    return f"{method} {rest.partition(':')[2] or rest}"


def lines(matrices: dict[str, list[dict]] | None) -> dict[str, list[str]]:
    """Per requirement, one line per subject whose near misses the target accepted, in
    the suite's order of the probes. Only probes the documents rule out count."""
    groups: dict[tuple[str, str], _Group] = {}
    rows = [row for row in (matrices or {}).get(MATRIX, []) if isinstance(row, dict)]
    for row in sorted(rows, key=_probe_order):  # workers and shards record in any order
        judged = row.get("verdict") != NOT_JUDGED  # beside a twin refused too: neither
        if row.get("documented") == REFUSED and row.get("subject") and judged:
            key = (str(row["subject"]), str(row.get("noun", "item")))
            groups.setdefault(key, _Group(*key)).add(row)
    found: dict[str, list[str]] = {}
    for group in groups.values():
        text = group.line()
        for rule in group.rules if text else []:
            found.setdefault(rule, []).append(text)
    return found


@cache
def _positions() -> dict[str, int]:
    return {probe.id: index for index, probe in enumerate(near_misses.probes())}


def _probe_order(row: dict[str, Any]) -> int:
    """Where the row's probe comes in the suite's probes (unknown ones last)."""
    return _positions().get(str(row.get("probe")), len(_positions()))


def outcome(refused: bool) -> str:
    """A probe's outcome as its matrix row records it."""
    return REFUSED if refused else ACCEPTED
