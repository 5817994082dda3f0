"""The conformance report a vendor can publish: `conformance.md` and `conformance.html`.

Both come from `results.json` alone, so they can be rebuilt from an archived run. The
headline counts documented requirements only; the lifecycle model's rules (kind "model")
depend on a profile and are counted apart, and their deviations are not failures.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from metastudio_conformance.reports import conformance_html, learned_model
from metastudio_conformance.reports import document as doc
from metastudio_conformance.reports import matrices as mx
from metastudio_conformance.status import FAILING, UNTESTED, Status

MD_FILE, HTML_FILE = "conformance.md", "conformance.html"
SECTIONS = (
    ("documented", "Documented requirements",
     "Each traces to a sentence of the MetaStudio documentation or the official SDK."),
    ("model", "Lifecycle-model rules (profile)",
     "Inferred rules a target's profile may change; not part of the headline. A deviation "
     "is a departure from the chosen lifecycle model, not a failure."),
)
MODEL_NOTE = "counted apart: a deviation departs from the chosen lifecycle model, not a failure"


def write(report_dir: Path | str) -> tuple[Path, Path]:
    """Write conformance.md and conformance.html next to the run's results.json."""
    report_dir = Path(report_dir)
    document = doc.load(report_dir)
    md_path, html_path = report_dir / MD_FILE, report_dir / HTML_FILE
    md_path.write_text(markdown(document), encoding="utf-8")
    html_path.write_text(conformance_html.render(document, SECTIONS), encoding="utf-8")
    return md_path, html_path


def markdown(document: dict[str, Any]) -> str:
    rows = document["requirements"]
    lines = ["# MetaStudio training-job API conformance", "",
             f"**{doc.headline(rows)}.**", "",
             f"**{doc.model_headline(rows)}** ({MODEL_NOTE}).", ""]
    for label, ids in (("Failing", doc.failing(rows)), ("Deviations", doc.deviating(rows))):
        if ids:
            lines.append(f"- {label}: {', '.join(_cell(rid) for rid in ids)}")
    lines += ["", "## Run", "", "| | |", "|---|---|"]
    lines += [f"| {label} | {_cell(value)} |"
              for label, value in doc.run_facts(document, doc.target(document))]
    for kind, title, intro in SECTIONS:
        section = [row for row in rows if row.get("kind", "documented") == kind]
        if section:
            lines += _requirement_table(title, intro, section)
    lines += learned_model.markdown(document)
    lines += _evidence_sections(rows)
    lines += _delete_gate(document)
    for kind in mx.COMMAND_GRIDS:
        lines += _command_grid(document, kind)
    lines += _latency(document.get("latency"))
    return "\n".join([*lines, "", "---", "", _replay_line(document), ""])


def _requirement_table(title: str, intro: str, rows: list[dict[str, Any]]) -> list[str]:
    lines = ["", f"## {title}", "", intro, "",
             "| Requirement | Status | Cases tried | Source | Seed sentence |",
             "|---|---|---|---|---|"]
    lines += [f"| **{_cell(row['id'])}** {_cell(row.get('title', ''))} | "
              f"{_cell(row['status'].upper())} | {_cell(doc.cases(row))} | "
              f"{_cell(row.get('source', ''))} | {_cell(row.get('quote', ''))} |"
              for row in rows]
    return lines


def _evidence_sections(rows: list[dict[str, Any]]) -> list[str]:
    """Failures, then deviations, with their evidence verbatim; reasons for the rest."""
    lines: list[str] = []
    for title, statuses in (("Evidence of failures", FAILING),
                            ("Evidence of deviations from the lifecycle model (not failures)",
                             {Status.DEVIATION})):
        chosen = [row for row in rows if row["status"] in statuses]
        if chosen:
            lines += ["", f"## {title}"]
        for row in chosen:
            lines += ["", f"### {_cell(row['id'])} {_cell(row['status'].upper())}: "
                      f"{_cell(row.get('title', ''))}", "", _fence(row.get("evidence", ""))]
    partial = [row for row in rows if row["status"] == Status.PARTIAL]
    if partial:
        lines += ["", "## Partial: passed where tried, not tried everywhere", ""]
        for row in partial:
            lines.append(f"- **{_cell(row['id'])}** {_cell(doc.cases(row))}; not tried:")
            lines += [f"  - {_cell(reason)}" for reason in doc.not_tried(row)]
    skipped = [row for row in rows if row["status"] in UNTESTED]
    if skipped:
        lines += ["", "## Not covered or disabled", ""]
        for row in skipped:
            reason = _cell(row.get("evidence") or "no reason recorded")
            lines.append(f"- **{_cell(row['id'])}** ({_cell(row['status'])}): {reason}")
    return lines


def _delete_gate(document: dict[str, Any]) -> list[str]:
    kind = mx.DELETE_GATE
    rows = mx.rows_of(document, kind)
    lines = ["", f"## {kind.title}", "", kind.intro, ""]
    if rows is None:
        return [*lines, f"_{_cell(mx.absent(document, kind))}_"]
    lines += [f"{mx.summary(rows, 'states', mx.GATE_VERDICTS)}.", "",
              "| State | Documented | Observed status | Verdict |", "|---|---|---|---|"]
    lines += [f"| {_cell(row.get('state', ''))} | {_cell(row.get('documented', ''))} | "
              f"{_cell(row.get('observed', ''))} | {_verdict(row)} |" for row in rows]
    return lines


def _command_grid(document: dict[str, Any], kind: mx.Kind) -> list[str]:
    """States as rows, commands as columns, each cell the observed answer."""
    rows = mx.rows_of(document, kind)
    lines = ["", f"## {kind.title}", "", kind.intro, ""]
    if rows is None:
        return [*lines, f"_{_cell(mx.absent(document, kind))}_"]
    grid = mx.grid(rows)
    not_run = f", {grid.not_run} not run (–)" if grid.not_run else ""
    lines += [f"{mx.summary(rows, 'cells')}{not_run}. Each cell is the observed answer "
              "(status and `commond_result`).", "",
              "| State | " + " | ".join(_cell(c) for c in grid.commands) + " |",
              "|---" * (len(grid.commands) + 1) + "|"]
    for state in grid.states:
        cells = [_grid_cell(grid.cell(state, command)) for command in grid.commands]
        lines.append(f"| {_cell(state)} | " + " | ".join(cells) + " |")
    departures = mx.departures(rows)
    if not departures:
        return [*lines, "", "No departure: every cell passed."]
    lines += ["", "Departures (marked in the grid):", ""]
    return lines + [f"- {_cell(row.get('state', ''))} × {_cell(row.get('command', ''))}: "
                    f"{_cell(mx.describe(row))}" for row in departures]


def _latency(latency: dict[str, Any] | None) -> list[str]:
    """Exchange times per operation, and the hint to the vendor about kept-alive answers."""
    if not latency or not latency.get("operations"):
        return []
    lines = ["", "## Latency per operation", "",
             "Whole exchanges (connecting, sending, the whole answer), in milliseconds.", "",
             "| operation | answers | p50 | p95 | max | on reused connections |",
             "|---|---:|---:|---:|---:|---:|"]
    lines += [f"| {op} | {row['count']} | {row['p50_ms']:.1f} | {row['p95_ms']:.1f} | "
              f"{row['max_ms']:.1f} | {row['reused']} |"
              for op, row in latency["operations"].items()]
    if latency.get("hint"):
        lines += ["", f"**Hint to the vendor:** {_cell(latency['hint'])}."]
    return lines


def _grid_cell(row: dict[str, Any] | None) -> str:
    if row is None:
        return "–"
    observed = _cell(row.get("observed", ""))
    return observed if mx.verdict(row) == Status.PASS else f"**{observed}** ({_verdict(row)})"


def _verdict(row: dict[str, Any]) -> str:
    verdict = _cell(mx.verdict(row) or "?")
    if verdict == Status.PASS:
        return verdict
    requirement = f" {_cell(row['requirement'])}" if row.get("requirement") else ""
    return f"**{verdict.upper()}**{requirement}"


def _replay_line(document: dict[str, Any]) -> str:
    command = doc.replay(document)
    if command is None:
        return f"Repeat the run: {doc.NO_REPLAY}."
    return f"Repeat the run: {_code(command)} (credentials from the environment)."


def _code(text: str) -> str:
    """Inline code whose backtick fence is longer than any run of backticks inside."""
    text = " ".join(text.split())
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _cell(text: Any) -> str:
    """Text safe inside a Markdown table cell: one line, no pipes, no raw HTML."""
    text = " ".join(str(text).split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("|", "\\|")


def _fence(text: str) -> str:
    """A code block whose fence is longer than any backtick run inside the evidence."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{text.rstrip()}\n{fence}"
