"""Outcomes per requirement and per test: recorded from test reports, printed, written.

Statuses: `pass`; `fail` (the target broke the requirement); `deviation` (a model rule the
target departs from, outside strict mode: not a failure); `not-covered` (nothing could
exercise it, with the reason); `disabled` (turned off by configuration); `error` (the
suite, the setup or the network broke, not the target's conformance).

Each finding is charged to the requirement it names, whatever test observed it; a test
that raises a requirement it does not name (markers `requirement(...)` and
`also=(...)`, plus the ambient ERR-02 and RSP-05) is a suite error, so what a test marks
and what it raises cannot drift apart.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import requests
from hypothesis.errors import Flaky

from metastudio_conformance import (
    checks,
    contract,
    coverage,
    evidence,
    learned,
    printable,
    probe_groups,
    requirements,
)
from metastudio_conformance.outcomes import AMBIENT, RunAborted, SuiteError, skip_status
from metastudio_conformance.status import FAILING, FINDINGS, UNTESTED, Placeholder, Status

RESULTS_VERSION = 4
# A claimed requirement of a test one of whose answers was a 5xx: ERR-02 took that answer,
# which says nothing about the other rules, so the requirement was not judged there. It
# is `not-covered` in the test (listed in its record's `not_judged`): a case not tried, so
# its row cannot be `pass` on the other tests' evidence, only `partial` (`coverage`).
NOT_JUDGED = "not judged: an answer of its test was a 5xx, charged to ERR-02 alone"


class Recorder:
    """Every test's record (`results.json` `tests`); the outcomes per requirement are read
    from them, so records from other processes or shards (`combine`) count the same."""

    def __init__(self, tests: list[dict[str, Any]] | None = None) -> None:
        self.tests: list[dict[str, Any]] = list(tests or [])

    @property
    def outcomes(self) -> dict[str, list[tuple[str, str, str]]]:
        """(status, test id, evidence) per requirement, in the order the tests ended."""
        found: dict[str, list[tuple[str, str, str]]] = {}
        for test in self.tests:
            evidence = test.get("evidence") or {}
            for rid, status in test["by_requirement"].items():
                found.setdefault(rid, []).append((status, test["id"], evidence.get(rid, "")))
        return found

    def not_run(self, nodeid: str, claims: list[str], outcome: Placeholder,
                reason: str) -> None:
        """A test that did not run here: deselected, in another shard, or the run stopped."""
        status = outcome.status
        self.tests.append({"id": nodeid, "requirements": claims, "status": status,
                           "outcome": outcome, "reason": reason, "seconds": 0.0,
                           "requests": 0, "by_requirement": dict.fromkeys(claims, status),
                           "evidence": dict.fromkeys(claims, reason)})

    def record(self, nodeid: str, marks: Marks, report, excinfo, deviations=(),
               seconds: float = 0.0, requests_sent: int = 0,
               observed=()) -> list[tuple[str, str, str]]:
        """Charge one test's outcome to requirements; returns what was charged.
        `observed`: violations the client saw, for a failure hypothesis reports only as
        flaky (a server failing now and then cannot be replayed)."""
        error = excinfo.value if excinfo else None
        if report.failed and observed and not any(
                checks.requirements_of(leaf) for leaf in leaves(error)):
            error = BaseExceptionGroup("seen by the client", list(observed)[:1])
        if report.passed:
            found = [(rid, Status.PASS, "") for rid in marks.claims]
        elif report.skipped:
            status = skip_status(error) or Status.NOT_COVERED
            found = [(rid, status, _skip_reason(report, error)) for rid in marks.claims]
        else:
            found = classify(error, marks)
        found = _with_deviations(found, deviations, marks)
        self.tests.append(_test_record(nodeid, marks, report, found, seconds, requests_sent))
        return found

    def summary(self, matrices: dict[str, list[dict]] | None = None) -> dict[str, dict[str, Any]]:
        """One row per requirement. A failure of near-miss probes (`matrices`) opens its
        evidence with what the target accepted, one line per subject (`grouped`)."""
        rows, grouped = {}, probe_groups.lines(matrices)
        domains = coverage.of_requirements(self.tests)
        for rid, requirement in requirements.REQUIREMENTS.items():
            outcomes = self.outcomes.get(rid, [])
            tried = domains.get(rid)
            if not outcomes:
                status, evidence = Status.NOT_COVERED, "no test in this run exercises it"
            else:
                status = Status.worst(o[0] for o in outcomes)
                evidence = _evidence([o for o in outcomes if o[0] == status])
                status = coverage.status_of(status, tried)
            lines = grouped.get(rid, []) if status == Status.FAIL else []
            if lines:
                evidence = "\n".join(lines) + "\n\n" + evidence
            rows[rid] = {"id": rid, "title": requirement.title, "source": requirement.source,
                         "quote": requirement.quote, "kind": requirement.kind,
                         "status": status, "evidence": evidence[:4000],
                         "coverage": (tried or coverage.Coverage()).as_json(),
                         **({"grouped": lines} if lines else {})}
        return rows


class Marks:
    """The requirements a test claims (`requirement(...)`: a pass counts for them) and
    those it may also find broken (`also=(...)`)."""

    def __init__(self, claims: list[str], also: list[str]) -> None:
        self.claims, self.also = claims, also

    def names(self, rid: str) -> bool:
        return rid in self.claims or rid in self.also or rid in AMBIENT


def classify(error: BaseException | None, marks: Marks) -> list[tuple[str, str, str]]:
    """(requirement, status, evidence) for one failed test."""
    found: list[tuple[str, str, str]] = []
    found_leaves = list(leaves(error)) if error is not None else []
    if any(checks.requirements_of(leaf) for leaf in found_leaves):
        # A server that fails now and then makes hypothesis' replay inconsistent: that
        # follows from the finding and is not a second problem.
        found_leaves = [leaf for leaf in found_leaves if not isinstance(leaf, Flaky)]
    for leaf in found_leaves:
        attributed = checks.requirements_of(leaf)
        for rid in attributed:
            if marks.names(rid):
                found.append((rid, Status.FAIL, _first_lines(leaf)))
            else:
                found.append((rid, Status.ERROR, f"suite error: the test raised {rid} but names "
                              f"only {', '.join(marks.claims + marks.also)}"))
        if not attributed:
            kind = ("network error" if isinstance(leaf, requests.RequestException) else
                    "setup error" if isinstance(leaf, SuiteError) else "suite error")
            text = f"{kind}: {_first_lines(leaf)}"
            if exchange := evidence.cut(leaf):  # an exchange cut short: what was sent, got
                text += "\n" + exchange
            found += [(rid, Status.ERROR, text) for rid in marks.claims]
    if not found:
        return [(rid, Status.ERROR, "test failed without an exception") for rid in marks.claims]
    charged = {rid for rid, _, _ in found}
    stopped = ", ".join(sorted(charged))
    why = NOT_JUDGED if any("ERR-02" in checks.requirements_of(leaf)
                            for leaf in found_leaves) else (
        f"its test stopped at {stopped} before checking it")
    found += [(rid, Status.NOT_COVERED, why) for rid in marks.claims if rid not in charged]
    return found


def aborted(error: BaseException | None) -> str | None:
    """The reason a run must stop after this test, if any."""
    for leaf in leaves(error) if error is not None else []:
        if isinstance(leaf, RunAborted):
            return str(leaf)
    return None


def _with_deviations(found, deviations, marks: Marks):
    """A model rule the test saw broken is a deviation, whatever else the test found."""
    deviated = {}
    for violation in deviations:  # the first of each requirement is its evidence
        status = Status.DEVIATION if marks.names(violation.requirement) else Status.ERROR
        deviated.setdefault(violation.requirement, (status, _first_lines(violation)))
    kept = [(rid, status, text) for rid, status, text in found
            if rid not in deviated or status in FAILING]
    return kept + [(rid, status, text) for rid, (status, text) in deviated.items()]


def _test_record(nodeid, marks, report, found, seconds, requests_sent) -> dict[str, Any]:
    statuses: dict[str, Status] = {}
    evidence: dict[str, str] = {}
    for rid, state, text in found:  # the worst status of each requirement, with its texts
        if rid not in statuses or state.rank > statuses[rid].rank:
            statuses[rid] = state
            evidence.pop(rid, None)
        if text and state == statuses[rid]:
            evidence[rid] = f"{evidence[rid]}\n\n{text}" if rid in evidence else text
    status = Status.worst(statuses.values()) if statuses else Status.ERROR
    reasons = [f"{rid}: {text.splitlines()[0]}" for rid, state, text in found
               if state != Status.PASS and text]
    not_judged = [rid for rid, state, text in found if text == NOT_JUDGED]
    return {"id": nodeid, "requirements": marks.claims, "status": status,
            "outcome": report.outcome, "reason": "; ".join(reasons)[:2000],
            "seconds": round(seconds, 3), "requests": requests_sent,
            "by_requirement": statuses, "evidence": evidence,
            **({"not_judged": not_judged} if not_judged else {})}


def _skip_reason(report, error: BaseException | None) -> str:
    if isinstance(getattr(error, "msg", None), str):
        return error.msg  # the reason as given, without the exception's class name
    reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else ""
    return reason.removeprefix("Skipped: ")


def _evidence(outcomes: list[tuple[str, str, str]]) -> str:
    """Failures in full, one per test; passes and skips summarised by reason."""
    if outcomes[0][0] in FINDINGS:
        return "\n\n".join(f"{nodeid}: {text}" for _, nodeid, text in outcomes)
    reasons: dict[str, list[str]] = {}
    for _, nodeid, text in outcomes:
        reasons.setdefault(text, []).append(nodeid)
    return "; ".join(
        f"{text or 'passed'} ({len(ids)} test{'s' if len(ids) > 1 else ''}: {ids[0]}"
        f"{', ...' if len(ids) > 1 else ''})"
        for text, ids in reasons.items()
    )


def leaves(error: BaseException):
    if isinstance(error, BaseExceptionGroup):
        for inner in error.exceptions:
            yield from leaves(inner)
    else:
        yield error


def _first_lines(error: BaseException, limit: int = 60) -> str:
    text = str(error).strip() or type(error).__name__
    lines = [line for line in text.splitlines() if line.strip()]
    return "\n".join(lines[:limit])


def write(path: Path, rows: dict[str, dict], context) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(printable.tree(document(rows, context)), indent=2, ensure_ascii=False)
    path.write_text(text + "\n", encoding="utf-8")


def document(rows: dict[str, dict], context) -> dict[str, Any]:
    """The results document of a run, or of one worker's part of it (`workers`)."""
    from metastudio_conformance import __version__

    settings = context.settings
    return {
        "results_version": RESULTS_VERSION,
        "suite_version": __version__,
        "spec_sha256": contract.spec_sha256(),
        "seed": settings.seed,
        "run_id": settings.run_id,
        "max_examples": settings.max_examples,
        "strict": context.strict,
        "require_full_coverage": settings.require_full_coverage,
        "selection": context.selection,
        "shard": settings.shard,
        "workers": settings.workers,
        "replay": context.replay,
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(context.started_wall)),
        "duration_s": round(time.time() - context.started_wall, 2),
        "requests_sent": context.test_requests,
        "cleanup_requests": (context.requests_sent - context.test_requests
                             + context.cleanup_elsewhere),
        "first_failure": context.first_failure,
        "aborted": context.abort_reason,
        "stopped": context.stopped,
        "reporting_error": context.reporting_error,
        "jobs": _jobs(context),
        "requests_per_requirement": requests_per_requirement(context.recorder.tests),
        "target": {
            "url": None if settings.bundled else settings.target,  # its port means nothing
            "project_id": settings.project_id,
            "tenant": settings.tenant,
            "auth": settings.auth_kind,
        },
        "requirements": list(rows.values()),
        "tests": context.recorder.tests,
        "matrices": context.matrices,
        "latency": _latency(context),
        "learned_model": learned.summary(getattr(getattr(context, "model", None), "learned",
                                                 None)),
    }


def _latency(context) -> dict | None:
    """Exchange times per operation (`latency`); None for a merged or parallel run, whose
    parts' samples are not kept."""
    latencies = getattr(context, "latencies", None)
    return latencies.summary() if latencies is not None and latencies.samples else None


def _jobs(context) -> dict[str, int]:
    """The run's jobs, its workers' included (`combine.absorb`)."""
    counts = context.job_counts()
    return {key: value + context.jobs_elsewhere.get(key, 0) for key, value in counts.items()}


def requests_per_requirement(tests: list[dict]) -> dict[str, int]:
    """The requests of the tests that claim each requirement (a test's requests count for
    every requirement it claims), in requirement order."""
    totals: dict[str, int] = {}
    for test in tests:
        for rid in test["requirements"]:
            totals[rid] = totals.get(rid, 0) + test["requests"]
    return {rid: totals[rid] for rid in requirements.REQUIREMENTS if rid in totals}


def reasons(rows: dict[str, dict], recorder: Recorder) -> list[str]:
    """One line per reason requirements went untested: how many, why, which ones. The
    reasons say what would cover them (an option to give, a state to reach)."""
    grouped: dict[tuple[str, str], list[str]] = {}
    for rid, row in rows.items():
        if row["status"] not in UNTESTED:
            continue
        texts = {text for status, _, text in recorder.outcomes.get(rid, [])
                 if status == row["status"]} or {row["evidence"]}
        for text in sorted(texts)[:2]:  # the main reasons; results.json has every test's
            grouped.setdefault((row["status"], text), []).append(rid)
    return [f"{len(ids)} {status.replace('-', ' ')}: {text} ({', '.join(ids)})"
            for (status, text), ids in sorted(grouped.items(), key=lambda g: -len(g[1]))
            ] + partial_reasons(rows)


PARTIAL_REASONS_SHOWN = 5


def partial_reasons(rows: dict[str, dict]) -> list[str]:
    """Why the partial requirements were not tried on their whole domain: the commonest
    reasons, each with the requirements it cut short."""
    grouped: dict[str, set[str]] = {}
    for rid, row in rows.items():
        if row["status"] != Status.PARTIAL:
            continue
        for case in row["coverage"]["not_tried"]:
            grouped.setdefault(case["reason"], set()).add(rid)
    if not grouped:
        return []
    partial = [rid for rid, row in rows.items() if row["status"] == Status.PARTIAL]
    order = sorted(grouped.items(), key=lambda g: (-len(g[1]), g[0]))
    numbers = ", ".join(f"{rid} {_cases(rows[rid])}" for rid in partial)
    lines = [f"{len(partial)} partial (passed where tried; cases not tried): {numbers}"]
    lines += [f"  not tried: {text} ({', '.join(sorted(ids, key=partial.index))})"
              for text, ids in order[:PARTIAL_REASONS_SHOWN]]
    if len(order) > PARTIAL_REASONS_SHOWN:
        lines.append(f"  ... {len(order) - PARTIAL_REASONS_SHOWN} more reasons: results.json "
                     "requirements[].coverage.not_tried")
    return lines


def _cases(row: dict) -> str:
    """`5/15`: the cases that judged the requirement, of all that claim it."""
    numbers = row.get("coverage") or {}
    return f"{numbers.get('tried', 0)}/{numbers.get('cases', 0)}"


def table(rows: dict[str, dict]) -> str:
    lines = [f"{'requirement':<12} {'status':<12} {'cases':<9} title"]
    for row in rows.values():
        lines.append(f"{row['id']:<12} {row['status'].upper():<12} {_cases(row):<9} "
                     f"{row['title']}")
    counts: dict[str, int] = {}
    for row in rows.values():
        counts[row["status"]] = counts.get(row["status"], 0) + 1
    lines.append(", ".join(f"{n} {status}" for status, n in sorted(counts.items())))
    return "\n".join(lines)
