"""The report section of a run held to a learned model (results.json `learned_model`):
where the model was learned, and which silent points it did not learn."""

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


def markdown(document: dict[str, Any]) -> list[str]:
    facts = lines(document)
    if not facts:
        return []
    return ["", f"## {TITLE}", "", "| | |", "|---|---|",
            *(f"| {label} | {_cell(text)} |" for label, text in facts)]


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def html(document: dict[str, Any]) -> list[str]:
    facts = lines(document)
    if not facts:
        return []
    return [f'<h2 id="learned-model">{TITLE}</h2>', '<table class="run">',
            *(f"<tr><th>{escape(label)}</th><td>{escape(text)}</td></tr>"
              for label, text in facts), "</table>"]
