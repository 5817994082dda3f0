"""The statuses a requirement can have, defined once and ranked, and the outcomes that
stand for a test that did not run here.

Both are `StrEnum`s: a status is the same string in results.json
(docs/results.schema.json), compares equal to the plain string read back from a part or
a shard, and sorts as that string does. Rank is a property, not `<`, so sorting a table
of statuses still gives the order it always did.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class Status(StrEnum):
    """A requirement's outcome in one test, or in the whole run; listed worst first, and
    the worst one found wins (`worst`)."""

    FAIL = "fail"  # the target broke the requirement
    ERROR = "error"  # the suite, the setup or the network broke, not the target
    DEVIATION = "deviation"  # a model rule the target departs from, outside strict mode
    PARTIAL = "partial"  # passed where tried, but only part of its domain was (`coverage`)
    PASS = "pass"
    NOT_COVERED = "not-covered"  # nothing could exercise it here; the reason says why
    DISABLED = "disabled"  # turned off by configuration (-k, no writes allowed)

    @property
    def rank(self) -> int:
        """Higher is worse: `disabled` 0 ... `fail` 6."""
        return len(_WORST_FIRST) - 1 - _WORST_FIRST.index(self)

    @classmethod
    def worst(cls, statuses: Iterable[str]) -> Status:
        """The worst of known statuses (plain strings read back from JSON included)."""
        return max((cls(status) for status in statuses), key=lambda status: status.rank)


_WORST_FIRST = tuple(Status)
# Groups of statuses; as frozensets of StrEnum members they also hold the plain strings
# of a results.json, so the reports ask `row["status"] in FAILING` of any status, even one
# this version does not know.
FAILING = frozenset({Status.FAIL, Status.ERROR})  # what the reports list as failing
FINDINGS = FAILING | {Status.DEVIATION}  # shown with their evidence in full
UNTESTED = frozenset({Status.NOT_COVERED, Status.DISABLED})  # shown with the reason why
JUDGED = frozenset(Status) - UNTESTED  # said something about the requirement
PASSING = frozenset({Status.PASS, Status.PARTIAL})  # no finding where it was tried


class Placeholder(StrEnum):
    """The outcome of a test record that stands for a test that did not run here, in
    place of pytest's passed, failed or skipped. Listed weakest first: when parts of one
    run disagree, a test that ran beats any placeholder, and a later one here beats an
    earlier one (`combine.join_tests`)."""

    OTHER_SHARD = "other-shard"  # it runs in another shard (--shard)
    NOT_RUN = "not-run"  # the run stopped or was interrupted before it, or its shard failed
    DESELECTED = "deselected"  # left out by -k

    @property
    def status(self) -> Status:
        """What the test's requirements get from it: -k is configuration (disabled); the
        others could not run here (not covered)."""
        return Status.DISABLED if self is Placeholder.DESELECTED else Status.NOT_COVERED
