"""One run from its parts: the workers of a parallel run, or the shards of a sharded one.

A part is a results document (`results.document`). Its test records carry each
requirement's status and evidence, so the requirement rows are recomputed from the joined
records (`results.Recorder`) and say exactly what a run in one process would say. The
same `absorb` adds a worker's part to the controller's context and a shard's results to
`metastudio-conformance merge`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from metastudio_conformance.recorder import Recorder
from metastudio_conformance.status import Placeholder

# Which record of a test wins when parts disagree: one that ran beats one that did not.
PRECEDENCE = {outcome: rank for rank, outcome in enumerate(Placeholder)}


@dataclass
class Tally:
    """What `absorb` adds up; a RunContext has the same fields."""

    recorder: Recorder = field(default_factory=Recorder)
    matrices: dict[str, list[dict]] = field(default_factory=dict)
    requests_sent: int = 0
    test_requests: int = 0
    cleanup_elsewhere: int = 0
    jobs_elsewhere: dict[str, int] = field(default_factory=dict)
    first_failure: dict | None = None
    abort_reason: str | None = None
    stopped: str | None = None
    reporting_error: str | None = None


def absorb(into, part: dict) -> None:
    """Add one part (a results document) to a RunContext or a Tally."""
    into.recorder.tests = join_tests(into.recorder.tests, part.get("tests") or [])
    for name, rows in (part.get("matrices") or {}).items():
        into.matrices.setdefault(name, []).extend(rows)
    into.requests_sent += part.get("requests_sent") or 0
    into.test_requests += part.get("requests_sent") or 0
    into.cleanup_elsewhere += part.get("cleanup_requests") or 0
    for key, count in (part.get("jobs") or {}).items():
        into.jobs_elsewhere[key] = into.jobs_elsewhere.get(key, 0) + count
    into.first_failure = earliest(into.first_failure, part.get("first_failure"))
    into.abort_reason = joined(into.abort_reason, part.get("aborted"))
    into.stopped = joined(into.stopped, part.get("stopped"))
    into.reporting_error = joined(into.reporting_error, part.get("reporting_error"))


def join_tests(tests: list[dict], more: list[dict]) -> list[dict]:
    """One record per test id, in order of first appearance; a test that ran wins over
    a placeholder (another shard's test, a deselected one, one the run never reached)."""
    joined = {test["id"]: test for test in tests}
    for test in more:
        old = joined.get(test["id"])
        if old is None or _precedence(test) > _precedence(old):
            joined[test["id"]] = test
    return list(joined.values())


def _precedence(test: dict) -> int:
    return PRECEDENCE.get(test.get("outcome"), len(PRECEDENCE))


def earliest(first: dict | None, other: dict | None) -> dict | None:
    if first is None or (other is not None and other["seconds"] < first["seconds"]):
        return other
    return first


def joined(text: str | None, more: str | None) -> str | None:
    if not more or (text and more in text):
        return text
    return f"{text}; {more}" if text else more


def fill_unrun(into, collected: list[tuple[str, list[str]]], reason: str) -> None:
    """Tests collected to run here but never reached are not covered, with the reason."""
    seen = {test["id"] for test in into.recorder.tests}
    for nodeid, claims in collected:
        if nodeid not in seen:
            into.recorder.not_run(nodeid, claims, Placeholder.NOT_RUN, reason)
