"""The matrices in `conformance.html`: the DELETE gate and a command x state grid per tenant.

The grid is the view a vendor reads at a glance: states as rows, commands as columns, each
cell the observed answer colored by its verdict, with the documented and the model's
expectation in its title (and listed below the grid for print and screen readers). Every
value is escaped; CSS classes come from fixed sets only.
"""

from __future__ import annotations

from html import escape
from typing import Any

from metastudio_conformance.reports import matrices as mx

STYLE = """
.matrix-summary{font-weight:600}.absent{color:#57606a;font-style:italic}
.legend span{display:inline-block;padding:0 8px;margin-right:8px;border:1px solid #d0d7de}
.grid-wrap{overflow-x:auto}
table.grid,table.gate{width:auto;font-size:12px}
table.grid th,table.grid td,table.gate th,table.gate td{padding:3px 6px}
table.grid thead th{font-size:11px;vertical-align:bottom;min-width:70px}
table.grid tbody th,table.gate td.state{font-family:ui-monospace,Menlo,Consolas,monospace;
white-space:nowrap;font-weight:400}
.v-pass{background:#dafbe1}.v-deviation{background:#ffd8a8}
.v-fail{background:#ffc1bd;font-weight:700}.v-none{background:#f6f8fa;color:#8c959f}
.v-unknown{background:#d0d7de}
td.doc-refused{box-shadow:inset 0 0 0 1px #6e7781}
"""
LEGEND = (
    '<p class="legend"><span class="v-pass">pass</span>'
    '<span class="v-deviation">deviation: departs from the lifecycle model, not a failure'
    '</span><span class="v-fail">fail: breaks a documented rule</span>'
    '<span class="v-none">– not run</span></p>'
)


KINDS = (mx.DELETE_GATE, *mx.COMMAND_GRIDS)  # in page order


def render(document: dict[str, Any]) -> list[str]:
    parts = _delete_gate(document)
    for kind in mx.COMMAND_GRIDS:
        parts += _command_grid(document, kind)
    return parts


def _heading(kind: mx.Kind) -> list[str]:
    return [f'<section class="matrix" id="matrix-{kind.name}">',
            f"<h2>{escape(kind.title)}</h2>", f"<p>{escape(kind.intro)}</p>"]


def _absent(document: dict[str, Any], kind: mx.Kind) -> list[str]:
    return [*_heading(kind), f'<p class="absent">{escape(mx.absent(document, kind))}</p>',
            "</section>"]


def _delete_gate(document: dict[str, Any]) -> list[str]:
    kind = mx.DELETE_GATE
    rows = mx.rows_of(document, kind)
    if rows is None:
        return _absent(document, kind)
    parts = [*_heading(kind),
             f'<p class="matrix-summary">{escape(mx.summary(rows, "states", mx.GATE_VERDICTS))}'
             "</p>", '<table class="gate"><thead><tr><th>State</th><th>Documented</th>'
             "<th>Observed status</th><th>Verdict</th></tr></thead><tbody>"]
    for row in rows:
        parts.append(
            f'<tr><td class="state">{escape(str(row.get("state", "")))}</td>'
            f'<td>{escape(str(row.get("documented", "")))}</td>'
            f'<td class="{_verdict_class(row)}">{escape(str(row.get("observed", "")))}</td>'
            f'<td class="{_verdict_class(row)}">{escape(_verdict(row))}</td></tr>')
    return [*parts, "</tbody></table>", "</section>"]


def _command_grid(document: dict[str, Any], kind: mx.Kind) -> list[str]:
    rows = mx.rows_of(document, kind)
    if rows is None:
        return _absent(document, kind)
    grid = mx.grid(rows)
    not_run = f", {grid.not_run} not run" if grid.not_run else ""
    parts = [*_heading(kind),
             f'<p class="matrix-summary">{escape(mx.summary(rows, "cells") + not_run)}</p>',
             LEGEND, '<p class="note">Each cell is the observed answer (status and '
             "<code>commond_result</code>); hover it for the documented and the model's "
             "expectation. Outlined: the documents require a refusal there.</p>",
             f'<div class="grid-wrap"><table class="grid" id="grid-{kind.name}"><thead><tr>'
             "<th>State \\ command</th>",
             *(f'<th scope="col">{_breakable(command)}</th>' for command in grid.commands),
             "</tr></thead><tbody>"]
    for state in grid.states:
        cells = "".join(_grid_cell(state, command, grid.cell(state, command))
                        for command in grid.commands)
        parts.append(f'<tr><th scope="row">{escape(state)}</th>{cells}</tr>')
    parts += ["</tbody></table></div>", *_departures(rows), "</section>"]
    return parts


def _grid_cell(state: str, command: str, row: dict[str, Any] | None) -> str:
    if row is None:
        title = f"{state} × {command}: not run (its test stopped earlier in this state)"
        return f'<td class="v-none" title="{escape(title)}">–</td>'
    classes = _verdict_class(row)
    if str(row.get("documented", "")).startswith("refused"):
        classes += " doc-refused"
    title = f"{state} × {command}: {mx.describe(row)}"
    return (f'<td class="{classes}" title="{escape(title)}">'
            f'{escape(str(row.get("observed", "")))}</td>')


def _departures(rows: list[dict[str, Any]]) -> list[str]:
    departures = mx.departures(rows)
    if not departures:
        return ["<p>No departure: every cell passed.</p>"]
    items = [f'<li class="{_verdict_class(row)}"><code>{escape(str(row.get("state", "")))}'
             f'</code> × <code>{escape(str(row.get("command", "")))}</code>: '
             f"{escape(mx.describe(row))}</li>" for row in departures]
    return ["<p>Departures:</p>", '<ul class="departures">', *items, "</ul>"]


def _verdict(row: dict[str, Any]) -> str:
    verdict = mx.verdict(row) or "?"
    return f"{verdict} ({row['requirement']})" if row.get("requirement") else verdict


def _verdict_class(row: dict[str, Any]) -> str:
    verdict = mx.verdict(row)
    return f"v-{verdict}" if verdict in mx.VERDICTS else "v-unknown"


def _breakable(name: str) -> str:
    """A long command name that may wrap after its underscores (escaped first)."""
    return escape(name).replace("_", "_<wbr>")
