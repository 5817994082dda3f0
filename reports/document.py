"""A run's `results.json`, read once for every report, and the counts the reports print.

The format is written by `conformance.results.write`; this module checks only what the
reports rely on, so a hand-edited or truncated file gives one clear error instead of a
traceback in the middle of rendering.
"""

from __future__ import annotations

import json
import re
import shlex
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from metastudio_conformance.status import FAILING, Status

RESULTS_FILE = "results.json"
# Every status a requirement can have (conformance/status.py), in the order the headlines
# name them; `deviation` is a model rule the target departs from outside strict mode, not
# a failure.
STATUSES = (Status.PASS, Status.PARTIAL, Status.FAIL, Status.DEVIATION, Status.ERROR,
            Status.NOT_COVERED, Status.DISABLED)


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
        isinstance(row, dict) and {"id", "status"} <= set(row)
        and isinstance(row["status"], str) for row in rows
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


def target_name(document: dict[str, Any]) -> str:
    """The target as a report's title names it: host and path without the port (a test
    server's is drawn at random, so no two nights would share a name), or "bundled
    reference server"."""
    url = target(document)["url"]
    parts = urlsplit(url)
    return f"{parts.hostname}{parts.path.rstrip('/')}" if parts.hostname else url


def safe_url(url: Any) -> str:
    """Drop credentials and query strings a user may have put into the target URL."""
    if not url:
        return "bundled reference server"
    try:
        parts = urlsplit(str(url))
        host = parts.hostname or ""
        if parts.port:
            host = f"{host}:{parts.port}"
    except ValueError:  # a bad port or bracket: show nothing of it rather than a secret
        return "(not a valid URL)"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def tally(rows: list[dict[str, Any]], kind: str) -> Counter:
    """Statuses of the requirements of one kind ("documented" or "model")."""
    return Counter(row["status"] for row in rows if row.get("kind", "documented") == kind)


def headline(rows: list[dict[str, Any]]) -> str:
    """'N of M documented requirements pass, P partial, F fail, C not covered': M is every
    documented requirement, so what the run could not test still shows; N passed on their
    whole domain, P only where tried (`coverage`); other statuses when present."""
    counts = tally(rows, "documented")
    total = sum(counts.values())
    return ", ".join([f"{counts[Status.PASS]} of {total} documented requirements pass",
                      *_phrases(counts, always=(Status.PARTIAL, Status.FAIL,
                                                Status.NOT_COVERED))])


def model_headline(rows: list[dict[str, Any]]) -> str:
    """'Model rules: N pass, D deviations, ...': departures from the chosen lifecycle model
    are counted apart from the documented requirements and are not failures."""
    counts = tally(rows, "model")
    return "Model rules: " + ", ".join(
        [f"{counts[Status.PASS]} pass", *_phrases(counts, always=(Status.DEVIATION,))])


def _phrases(counts: Counter, always: tuple[str, ...]) -> list[str]:
    """'1 fail', '2 deviations', ... for every status but pass: `always` ones even at 0,
    the rest (also statuses this version does not know) only when they occur."""
    order = [*always, *(s for s in STATUSES if s not in always), *sorted(counts)]
    named = dict.fromkeys(s for s in order if s != Status.PASS and (s in always or counts[s]))
    return [_phrase(counts[status], status) for status in named]


def _phrase(count: int, status: str) -> str:
    word = "not covered" if status == Status.NOT_COVERED else status
    plural = count != 1 and status in (Status.DEVIATION, Status.ERROR)
    return f"{count} {word}{'s' if plural else ''}"


def failing(rows: list[dict[str, Any]]) -> list[str]:
    return [row["id"] for row in rows if row["status"] in FAILING]


def deviating(rows: list[dict[str, Any]]) -> list[str]:
    return [row["id"] for row in rows if row["status"] == Status.DEVIATION]


NO_REPLAY = "this run did not record a replay command (results.json of an older suite)"


def replay(document: dict[str, Any]) -> str | None:
    """The replay command the run built (`document["replay"]`), fit to publish: a target URL
    in it loses user:password@ and its query, as everywhere in the reports. None when the
    run did not record one."""
    command = document.get("replay")
    if not isinstance(command, str) or not command.strip():
        return None
    try:
        words = shlex.split(command)
    except ValueError:  # unbalanced quotes: clean the URLs in place
        return re.sub(r"\S+://\S+", lambda match: safe_url(match.group()), command)
    safe = [_safe_argument(word) for word in words]
    return command if safe == words else shlex.join(safe)  # verbatim when nothing to hide


def _safe_argument(word: str) -> str:
    if "://" not in word:
        return word
    option, equals, value = word.partition("=")
    if equals and option.startswith("--"):
        return f"{option}={safe_url(value)}"
    return safe_url(word)


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
        *_parts(document),
    ]


def _parts(document: dict[str, Any]) -> list[tuple[str, str]]:
    """How the run was split, when it was: a shard, a merge of shards, workers."""
    facts = []
    if document.get("shard"):
        facts.append(("Shard", f"{document['shard']} (the other shards' tests are not "
                      "covered here)"))
    if document.get("shards"):
        facts.append(("Shards merged", ", ".join(map(str, document["shards"]))))
    for shard in document.get("failed_shards") or ():
        then = "its results are joined" if shard.get("results_joined") else "no results"
        facts.append(("Shard failed", f"{shard.get('name')}: exit {shard.get('exit_code')} "
                      f"({shard.get('meaning')}); {then}"))
    if isinstance(document.get("workers"), int) and document["workers"] > 1:
        facts.append(("Workers", str(document["workers"])))
    if document.get("stopped"):
        facts.append(("Stopped early", str(document["stopped"])))
    return facts


def cases(row: dict[str, Any]) -> str:
    """'5/15 cases': how many of the cases claiming the requirement judged it (`coverage`);
    empty for a results.json older than coverage."""
    numbers = row.get("coverage")
    if not numbers:
        return ""
    return f"{numbers['tried']}/{numbers['cases']} case{'s' if numbers['cases'] != 1 else ''}"


NOT_TRIED_SHOWN = 8  # reasons per requirement in a report; results.json has every case


def not_tried(row: dict[str, Any]) -> list[str]:
    """Why cases of a partial requirement were not tried: 'reason (N cases: a, b, ...)'."""
    grouped: dict[str, list[str]] = {}
    for case in (row.get("coverage") or {}).get("not_tried") or []:
        grouped.setdefault(case["reason"], []).append(case["case"])
    lines = [f"{reason} ({len(names)} case{'s' if len(names) != 1 else ''}: "
             f"{', '.join(names[:3])}{', ...' if len(names) > 3 else ''})"
             for reason, names in sorted(grouped.items(), key=lambda g: -len(g[1]))]
    if len(lines) > NOT_TRIED_SHOWN:
        lines = [*lines[:NOT_TRIED_SHOWN],
                 f"... {len(lines) - NOT_TRIED_SHOWN} more reasons in results.json"]
    return lines
