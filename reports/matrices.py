"""The matrices a run records (results.json "matrices"), shaped for both report formats.

`delete_gate`: DELETE in each job state (state, documented allowed/refused, observed
status, verdict). `commands_standard` and `commands_na`: every command in every state, per
tenant kind (state, command, observed answer, documented and model expectation, verdict).
A verdict is `pass`, `deviation` (the lifecycle model expected otherwise: not a failure)
or `fail` (a documented rule broke; `requirement` names it).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from metastudio_conformance.status import Status

VERDICTS = (Status.PASS, Status.DEVIATION, Status.FAIL)  # the order summaries name them
GATE_VERDICTS = (Status.PASS, Status.FAIL)  # the delete gate judges documented rules only


@dataclass(frozen=True)
class Kind:
    name: str  # key in results.json "matrices"
    title: str
    intro: str
    test: str  # the suite's test function that fills it, to say why it is missing


DELETE_GATE = Kind(
    "delete_gate", "DELETE by job state",
    "DELETE sent to a job in each state. Documented: allowed in the deletable states, "
    "refused with the error body in every other state.",
    "test_delete_in_state")
COMMAND_GRIDS = (
    Kind("commands_standard", "Commands by state: standard tenant",
         "Every command sent to a job in every state, with a standard tenant's project. The "
         "documents require a refusal only for the NA-only commands; which other command is "
         "accepted where is the lifecycle model's expectation.",
         "test_commands_standard_tenant"),
    Kind("commands_na", "Commands by state: NA tenant",
         "The same for an NA-whitelisted project, which may also send the NA-only commands.",
         "test_commands_na_tenant"),
)


def rows_of(document: dict[str, Any], kind: Kind) -> list[dict[str, Any]] | None:
    """The matrix's rows, or None when the run recorded none."""
    block = document.get("matrices")
    rows = block.get(kind.name) if isinstance(block, dict) else None
    if not isinstance(rows, list):
        return None
    return [row for row in rows if isinstance(row, dict)] or None


def absent(document: dict[str, Any], kind: Kind) -> str:
    """Why a matrix is missing, in one sentence."""
    if not isinstance(document.get("matrices"), dict):
        return ("Not recorded: this results.json comes from a suite version that did not "
                "record matrices.")
    records = [test for test in document.get("tests") or []
               if isinstance(test, dict) and _function(test.get("id")) == kind.test]
    reasons = [str(test.get("reason") or "").split("; ")[0] for test in records
               if test.get("status") != Status.PASS]
    if records and any(reasons):
        return f"Not recorded: its tests ({kind.test}) did not get to it: " \
               f"{next(reason for reason in reasons if reason)}."
    selection = document.get("selection")
    left_out = f" (left out by -k {selection!r})" if selection else ""
    return f"Not recorded: its tests ({kind.test}) did not run in this run{left_out}."


def _function(nodeid: Any) -> str:
    return str(nodeid or "").split("::")[-1].partition("[")[0]


def verdict(row: dict[str, Any]) -> str:
    return str(row.get("verdict", ""))


def summary(rows: list[dict[str, Any]], unit: str, shown: tuple[str, ...] = VERDICTS) -> str:
    """'53 states: 52 pass, 1 fail', naming any verdict this version does not know."""
    counts = Counter(verdict(row) for row in rows)
    named = [*shown, *sorted(v for v in counts if v not in shown)]
    parts = [f"{counts[v]} {_plural(v, counts[v])}" for v in named]
    return f"{len(rows)} {unit}: {', '.join(parts)}"


def _plural(word: str, count: int) -> str:
    return word + "s" if word == Status.DEVIATION and count != 1 else word


def departures(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The cells that are not a plain pass, worst first, in run order within a verdict."""
    rows = [row for row in rows if verdict(row) != Status.PASS]
    return sorted(rows, key=lambda row: -_rank(row))


@dataclass
class Grid:
    """A command x state matrix as rows (states) and columns (commands), in run order."""

    states: list[str] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)
    cells: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)

    def cell(self, state: str, command: str) -> dict[str, Any] | None:
        return self.cells.get((state, command))

    @property
    def not_run(self) -> int:
        """Cells of the grid no test reached (a failure in a state stops its row)."""
        return len(self.states) * len(self.commands) - len(self.cells)


def grid(rows: list[dict[str, Any]]) -> Grid:
    """Rows and columns in the order the run met them; a cell seen twice keeps its worst."""
    shaped = Grid()
    for row in rows:
        state, command = str(row.get("state", "")), str(row.get("command", ""))
        if state not in shaped.states:
            shaped.states.append(state)
        if command not in shaped.commands:
            shaped.commands.append(command)
        kept = shaped.cells.get((state, command))
        if kept is None or _rank(row) > _rank(kept):
            shaped.cells[(state, command)] = row
    return shaped


def _rank(row: dict[str, Any]) -> int:
    """Higher is worse (`Status.rank`); a verdict matrices do not give counts as worst."""
    found = verdict(row)
    return Status(found).rank if found in VERDICTS else len(Status)


def describe(row: dict[str, Any]) -> str:
    """One cell in words: what was observed, what the documents and the model expect."""
    text = (f"observed {row.get('observed', '?')}; documented: "
            f"{row.get('documented', '?')}")
    if "model" in row:
        text += f"; model: {row['model']}"
    text += f"; verdict: {verdict(row) or '?'}"
    return text + (f" ({row['requirement']})" if row.get("requirement") else "")
