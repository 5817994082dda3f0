"""The report sections of the silent points: the learned model a run was held to
(results.json `learned_model`: where it was learned, which points it did not learn), and
how this target answered each silent point (matrix `silent_points`), beside the learned
answer when there is one."""

from __future__ import annotations

from html import escape
from typing import Any

TITLE = "Learned model"


def lines(document: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, text) facts of the section; none when the run's model was not learned."""
    learned = document.get("learned_model")
    if not isinstance(learned, dict):
        return []
    facts = [("learned from", f"{learned.get('learned_from')} (run {learned.get('run_id')})"),
             ("held to it", "which command is allowed in which state (MOD-01, MOD-02), "
                            "refusal (MOD-02), unknown job (MOD-03), every other silent "
                            "point (MOD-06, the silent_points matrix): the model rule fails "
                            "where this target answers otherwise")]
    for key, label in (("inconsistent", "answered both ways there (either passes)"),
                       ("not_learned", "not learned (unknown: either answer passes)")):
        points = learned.get(key) or []
        if points:
            facts.append((label, ", ".join(map(str, points))))
    return facts


POINTS_TITLE = "Silent points"
POINTS_INTRO = ("Where the documents leave more than one answer open (docs/silent-points.md), "
                "what this target chose, read from a probe beside its twin. Every choice is "
                "correct; under a learned model (run --model) MOD-06 fails where this target "
                "chose otherwise than the learned one.")


def point_rows(document: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(point, this target, learned, verdict) per silent point probed."""
    matrices = document.get("matrices")
    rows = matrices.get("silent_points") if isinstance(matrices, dict) else None
    return [(str(row.get("title") or row.get("point")),
             str(row.get("answer") if row.get("answer") is not None else "cannot tell"),
             str(row.get("learned") or "-"), str(row.get("verdict") or ""))
            for row in rows or [] if isinstance(row, dict)]


def markdown(document: dict[str, Any]) -> list[str]:
    out = []
    facts = lines(document)
    if facts:
        out += ["", f"## {TITLE}", "", "| | |", "|---|---|",
                *(f"| {label} | {_cell(text)} |" for label, text in facts)]
    rows = point_rows(document)
    if rows:
        out += ["", f"## {POINTS_TITLE}", "", POINTS_INTRO, "",
                "| silent point | this target | learned | verdict |", "|---|---|---|---|",
                *("| " + " | ".join(_cell(cell) for cell in row) + " |" for row in rows)]
    return out


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def html(document: dict[str, Any]) -> list[str]:
    out = []
    facts = lines(document)
    if facts:
        out += [f'<h2 id="learned-model">{TITLE}</h2>', '<table class="run">',
                *(f"<tr><th>{escape(label)}</th><td>{escape(text)}</td></tr>"
                  for label, text in facts), "</table>"]
    rows = point_rows(document)
    if rows:
        out += [f'<h2 id="silent-points">{POINTS_TITLE}</h2>', f"<p>{escape(POINTS_INTRO)}</p>",
                '<table class="matrix"><tr><th>silent point</th><th>this target</th>'
                "<th>learned</th><th>verdict</th></tr>",
                *("<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>"
                  for row in rows), "</table>"]
    return out
