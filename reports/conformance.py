"""The conformance report a vendor can publish: `conformance.md` and `conformance.html`.

Both come from `results.json` alone, so they can be rebuilt from an archived run. The
headline counts documented requirements only; the lifecycle model's rules (kind "model")
depend on a profile and are counted apart, as are requirements the run did not cover.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from metastudio_conformance.reports import conformance_html
from metastudio_conformance.reports import document as doc

MD_FILE, HTML_FILE = "conformance.md", "conformance.html"
SECTIONS = (
    ("documented", "Documented requirements",
     "Each traces to a sentence of the MetaStudio documentation or the official SDK."),
    ("model", "Lifecycle-model rules (profile)",
     "Inferred rules a target's profile may change; not part of the headline."),
)


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
    target = doc.target(document)
    lines = [
        "# MetaStudio training-job API conformance",
        "",
        f"**{doc.headline(rows)}.**",
        "",
        f"- Documented requirements: {doc.breakdown(rows, 'documented')}",
        f"- Lifecycle-model rules (profile, counted apart): {doc.breakdown(rows, 'model')}",
    ]
    failing = doc.failing(rows)
    if failing:
        lines.append(f"- Failing: {', '.join(failing)}")
    lines += ["", "## Run", "", "| | |", "|---|---|"]
    for label, value in doc.run_facts(document, target):
        lines.append(f"| {label} | {_cell(value)} |")
    for kind, title, intro in SECTIONS:
        section = [row for row in rows if row.get("kind", "documented") == kind]
        if not section:
            continue
        lines += ["", f"## {title}", "", intro, "",
                  "| Requirement | Status | Source | Seed sentence |", "|---|---|---|---|"]
        for row in section:
            lines.append(
                f"| **{_cell(row['id'])}** {_cell(row.get('title', ''))} | "
                f"{row['status'].upper()} | {_cell(row.get('source', ''))} | "
                f"{_cell(row.get('quote', ''))} |"
            )
    lines += _evidence_sections(rows)
    lines += ["", "---", "", f"Repeat the run: `{doc.replay_command(document)}` "
              "(credentials from the environment).", ""]
    return "\n".join(lines)


def _evidence_sections(rows: list[dict[str, Any]]) -> list[str]:
    """Failures with their evidence verbatim; reasons for what was not covered."""
    lines: list[str] = []
    failed = [row for row in rows if row["status"] in ("fail", "error")]
    if failed:
        lines += ["", "## Evidence of failures"]
        for row in failed:
            lines += ["", f"### {_cell(row['id'])} {row['status'].upper()}: "
                      f"{_cell(row.get('title', ''))}", "", _fence(row.get("evidence", ""))]
    skipped = [row for row in rows if row["status"] in ("not-covered", "disabled")]
    if skipped:
        lines += ["", "## Not covered or disabled", ""]
        for row in skipped:
            reason = _cell(row.get("evidence") or "no reason recorded")
            lines.append(f"- **{_cell(row['id'])}** ({row['status']}): {reason}")
    return lines


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
