"""Outcomes per requirement: recorded from test reports, printed, and written as JSON.

Statuses: `pass`, `fail` (the server broke the requirement), `not-covered` (no test could
exercise it, with the reason), `disabled` (turned off by configuration), `error` (the
suite itself or the network broke, not the server).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import requests
from metastudio_conformance import checks, contract, requirements
from metastudio_conformance.jobs import NOT_COVERED

RANK = {"fail": 4, "error": 3, "pass": 2, "not-covered": 1, "disabled": 0}


class Recorder:
    def __init__(self) -> None:
        self.outcomes: dict[str, list[tuple[str, str, str]]] = {}

    def add(self, rid: str, status: str, nodeid: str, evidence: str) -> None:
        self.outcomes.setdefault(rid, []).append((status, nodeid, evidence))

    def record(self, nodeid, ids, report, excinfo) -> None:
        if report.passed:
            for rid in ids:
                self.add(rid, "pass", nodeid, "")
            return
        if report.skipped:
            reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else ""
            reason = reason.removeprefix("Skipped: ")
            status = "not-covered" if reason.startswith(NOT_COVERED) else "disabled"
            for rid in ids:
                self.add(rid, status, nodeid, reason.removeprefix(NOT_COVERED))
            return
        error = excinfo.value if excinfo else None
        for rid, status, evidence in classify(error, ids):
            self.add(rid, status, nodeid, evidence)

    def summary(self) -> dict[str, dict[str, Any]]:
        rows = {}
        for rid, requirement in requirements.REQUIREMENTS.items():
            outcomes = self.outcomes.get(rid, [])
            if not outcomes:
                status, evidence = "not-covered", "no test exercised it in this run"
            else:
                status = max((o[0] for o in outcomes), key=RANK.__getitem__)
                evidence = _evidence([o for o in outcomes if o[0] == status])
            rows[rid] = {
                "id": rid,
                "title": requirement.title,
                "source": requirement.source,
                "quote": requirement.quote,
                "kind": requirement.kind,
                "status": status,
                "evidence": evidence[:4000],
            }
        return rows


def _evidence(outcomes: list[tuple[str, str, str]]) -> str:
    """Failures in full, one per test; passes and skips summarised by reason."""
    if outcomes[0][0] in ("fail", "error"):
        return "\n\n".join(f"{nodeid}: {text}" for _, nodeid, text in outcomes)
    reasons: dict[str, list[str]] = {}
    for _, nodeid, text in outcomes:
        reasons.setdefault(text, []).append(nodeid)
    return "; ".join(
        f"{text or 'passed'} ({len(ids)} test{'s' if len(ids) > 1 else ''}: {ids[0]}"
        f"{', ...' if len(ids) > 1 else ''})"
        for text, ids in reasons.items()
    )


def classify(error: BaseException | None, ids: list[str]) -> list[tuple[str, str, str]]:
    """(requirement, status, evidence) for one failed test."""
    failures = list(leaves(error)) if error is not None else []
    found: list[tuple[str, str, str]] = []
    for leaf in failures:
        attributed = checks.requirements_of(leaf)
        if attributed:
            found.extend((rid, "fail", _first_lines(leaf)) for rid in attributed)
        elif isinstance(leaf, AssertionError):
            found.extend((rid, "fail", _first_lines(leaf)) for rid in ids)
        else:
            kind = "network" if isinstance(leaf, requests.RequestException) else "suite"
            found.extend((rid, "error", f"{kind} error: {_first_lines(leaf)}") for rid in ids)
    return found or [(rid, "error", "test failed without an exception") for rid in ids]


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


def write(path: Path, rows: dict[str, dict], settings, started: float, plugin) -> None:
    from metastudio_conformance import __version__

    document = {
        "suite_version": __version__,
        "spec_sha256": contract.spec_sha256(),
        "seed": settings.seed,
        "run_id": settings.run_id,
        "max_examples": settings.max_examples,
        "selection": plugin.selection,
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "duration_s": round(time.time() - started, 2),
        "requests_sent": plugin.test_requests,
        "cleanup_requests": plugin.requests_sent - plugin.test_requests,
        "first_failure": plugin.first_failure,
        "target": {
            "url": settings.target,
            "project_id": settings.project_id,
            "tenant": settings.tenant,
            "auth": settings.auth_kind,
        },
        "requirements": list(rows.values()),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def table(rows: dict[str, dict]) -> str:
    lines = [f"{'requirement':<12} {'status':<12} title"]
    for row in rows.values():
        lines.append(f"{row['id']:<12} {row['status'].upper():<12} {row['title']}")
    counts: dict[str, int] = {}
    for row in rows.values():
        counts[row["status"]] = counts.get(row["status"], 0) + 1
    lines.append(", ".join(f"{n} {status}" for status, n in sorted(counts.items())))
    return "\n".join(lines)
