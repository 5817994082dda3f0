"""How much of each requirement's domain a run tried: the cases behind its verdict.

A requirement's domain is the set of test cases that claim it: the states of the DELETE
gate (`test_delete_in_state[JOB_FINISH]`), the commands by state, the operations, the
near misses of each constrained field, the property tests. A case is *tried* when its
test judged the requirement (pass, fail or deviation); otherwise (not reachable here, not
run, deselected, another shard's, a suite error) it is not. A requirement that passed on
part of its domain is `partial`, never `pass`: a verdict claims no more than was checked.
Coverage is read from the test records, so workers' parts and merged shards add up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from metastudio_conformance.status import Status

TRIED = frozenset({Status.PASS, Status.FAIL, Status.DEVIATION})
SHOWN_NOT_TRIED = 200  # cases listed in results.json per requirement; the count has all


@dataclass
class Coverage:
    tried: list[str] = field(default_factory=list)  # test ids
    not_tried: list[tuple[str, str]] = field(default_factory=list)  # (test id, why)

    @property
    def cases(self) -> int:
        return len(self.tried) + len(self.not_tried)

    @property
    def full(self) -> bool:
        return not self.not_tried

    @property
    def fraction(self) -> str:
        """`5/15 cases`."""
        return f"{len(self.tried)}/{self.cases} case{'s' if self.cases != 1 else ''}"

    def as_json(self) -> dict[str, Any]:
        return {"tried": len(self.tried), "cases": self.cases,
                "tried_cases": [case_name(test) for test in self.tried],
                "not_tried": [{"case": case_name(test), "test": test, "reason": why}
                              for test, why in self.not_tried[:SHOWN_NOT_TRIED]]}


def of_requirements(tests: list[dict[str, Any]]) -> dict[str, Coverage]:
    """Coverage per requirement from the tests' records (`recorder.Recorder.tests`)."""
    found: dict[str, Coverage] = {}
    for test in tests:
        by_requirement = test.get("by_requirement") or {}
        evidence = test.get("evidence") or {}
        for rid in test.get("requirements") or ():
            coverage = found.setdefault(rid, Coverage())
            status = by_requirement.get(rid)
            if status in TRIED:
                coverage.tried.append(test["id"])
            else:
                why = evidence.get(rid) or test.get("reason") or str(status)
                coverage.not_tried.append((test["id"], why.splitlines()[0][:300]))
    return found


def status_of(status: Status, coverage: Coverage | None) -> Status:
    """A pass on part of the domain is `partial`; every other status stands."""
    if status == Status.PASS and coverage is not None and not coverage.full:
        return Status.PARTIAL
    return status


def case_name(test_id: str) -> str:
    """`test_delete_in_state[JOB_FINISH]` of a node id, without the module path."""
    return test_id.rsplit("::", 1)[-1]


def short_of_full(rows: dict[str, dict]) -> list[str]:
    """Documented requirements `--require-full-coverage` holds against: partial or not
    covered, each with its numbers."""
    short = []
    for row in rows.values():
        if row.get("kind") != "documented" or row["status"] not in (Status.PARTIAL,
                                                                     Status.NOT_COVERED):
            continue
        numbers = row.get("coverage") or {}
        short.append(f"{row['id']} {numbers.get('tried', 0)}/{numbers.get('cases', 0)}")
    return short
