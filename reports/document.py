"""A run's `results.json`, read once for every report, and the counts the reports print.

The format is written by `conformance.results.write`; this module checks only what the
reports rely on, so a hand-edited or truncated file gives one clear error instead of a
traceback in the middle of rendering.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

RESULTS_FILE = "results.json"
STATUSES = ("pass", "fail", "error", "not-covered", "disabled")
EXERCISED = ("pass", "fail", "error")  # statuses of requirements a run actually tested


class ReportError(ValueError):
    """The report folder holds no usable results.json; the message is one line."""


def load(report_dir: Path) -> dict[str, Any]:
    path = Path(report_dir) / RESULTS_FILE
    if not path.is_file():
        raise ReportError(f"no {RESULTS_FILE} in {report_dir}")
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ReportError(f"{path} cannot be read as JSON: {exc}") from None
    rows = document.get("requirements") if isinstance(document, dict) else None
    if not isinstance(rows, list) or not all(
        isinstance(row, dict) and {"id", "status"} <= set(row) for row in rows
    ):
        raise ReportError(f"{path} is not a conformance results file (no requirements list)")
    return document


def target(document: dict[str, Any]) -> dict[str, str]:
    """The target block with a URL fit to publish (no user:password@, no query)."""
    block = document.get("target") or {}
    return {
        "url": safe_url(block.get("url")),
        "project_id": str(block.get("project_id") or ""),
        "tenant": str(block.get("tenant") or ""),
        "auth": str(block.get("auth") or ""),
    }


def safe_url(url: Any) -> str:
    """Drop credentials and query strings a user may have put into the target URL."""
    if not url:
        return "bundled reference server"
    parts = urlsplit(str(url))
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def tally(rows: list[dict[str, Any]], kind: str) -> Counter:
    """Statuses of the requirements of one kind ("documented" or "model")."""
    return Counter(row["status"] for row in rows if row.get("kind", "documented") == kind)


def headline(rows: list[dict[str, Any]]) -> str:
    """'N of M documented requirements pass': M counts only what the run exercised."""
    counts = tally(rows, "documented")
    exercised = sum(counts[status] for status in EXERCISED)
    return f"{counts['pass']} of {exercised} documented requirements pass"


def breakdown(rows: list[dict[str, Any]], kind: str) -> str:
    """'1 fail, 4 not covered, ...' for one kind, naming only statuses that occur."""
    counts = tally(rows, kind)
    parts = [f"{counts[status]} {status.replace('-', ' ')}" for status in STATUSES
             if counts[status]]
    return ", ".join(parts) or "none"


def failing(rows: list[dict[str, Any]]) -> list[str]:
    return [row["id"] for row in rows if row["status"] in ("fail", "error")]


def replay_command(document: dict[str, Any]) -> str:
    """The command that repeats this run's generated cases (credentials from the env)."""
    parts = ["metastudio-conformance", "run", "--seed", str(document.get("seed", ""))]
    block = document.get("target") or {}
    if block.get("url"):
        parts += ["--target", safe_url(block["url"]), "--project-id",
                  str(block.get("project_id", ""))]
    if block.get("tenant") and block["tenant"] != "standard":
        parts += ["--tenant", str(block["tenant"])]
    if document.get("max_examples"):  # not recorded by every suite version
        parts += ["--max-examples", str(document["max_examples"])]
    return " ".join(parts)


def run_facts(document: dict[str, Any], target: dict[str, str]) -> list[tuple[str, str]]:
    """What was tested, when, and with which suite: the same list in both formats."""
    return [
        ("Target", target["url"]),
        ("Project", target["project_id"]),
        ("Tenant", target["tenant"]),
        ("Authentication", target["auth"]),
        ("Started (UTC)", str(document.get("started", ""))),
        ("Duration", f"{document.get('duration_s', '?')} s"),
        ("Requests sent", str(document.get("requests_sent", "?"))),
        ("Suite version", str(document.get("suite_version", ""))),
        ("Spec SHA-256", str(document.get("spec_sha256", ""))),
        ("Seed", str(document.get("seed", ""))),
    ]
