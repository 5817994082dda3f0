"""`conformance.html`: one self-contained page, no script, readable from file://.

Every value from results.json goes through `html.escape`: evidence quotes what a server
answered, and a hostile server must not be able to inject markup into a published page.
"""

from __future__ import annotations

import re
from html import escape
from typing import Any

from metastudio_conformance.reports import document as doc
from metastudio_conformance.reports import learned_model, matrices_html
from metastudio_conformance.status import UNTESTED, Status

STYLE = """
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1f2328;
background:#fff}
main{max-width:1320px;margin:0 auto;padding:24px}
h1{font-size:26px;margin:0 0 8px}h2{font-size:20px;margin:32px 0 8px}
.headline{font-size:22px;font-weight:600;margin:12px 0 4px}
.model-headline{font-size:17px;font-weight:600;margin:4px 0 12px}
.verdict-pass{color:#1a7f37}.verdict-fail{color:#cf222e}.verdict-deviation{color:#9a4d00}
.note{font-weight:400;color:#57606a;font-size:14px}
nav.contents{margin:8px 0;font-size:14px}
table{border-collapse:collapse;width:100%;margin:8px 0}
th,td{border:1px solid #d0d7de;padding:6px 8px;text-align:left;vertical-align:top}
th{background:#f6f8fa}
table.run th{width:180px}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:13px}
pre{white-space:pre-wrap;word-break:break-word;background:#f6f8fa;border:1px solid #d0d7de;
padding:8px;margin:4px 0;max-height:480px;overflow:auto}
blockquote{margin:4px 0;padding:0 8px;border-left:3px solid #d0d7de;color:#57606a}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-weight:600;
font-size:12px;color:#fff;white-space:nowrap}
.pass{background:#1a7f37}.partial{background:#4d8f5e}.fail{background:#cf222e}
.error{background:#9a6700}.cases{font-size:12px;color:#57606a;white-space:nowrap}
.deviation{background:#bc4c00}.not-covered{background:#6e7781}.disabled{background:#8c959f}
.unknown{background:#24292f}
.source{font-size:13px;color:#57606a}.reason{color:#57606a;margin:4px 0}
tr.evidence td{background:#fff8f8}tr.evidence.deviation-evidence td{background:#fff8f0}
footer{margin-top:32px;color:#57606a;font-size:13px}
@media print{pre{max-height:none}}
""" + matrices_html.STYLE

EVIDENCE = {Status.FAIL: "Evidence", Status.ERROR: "Evidence",
            Status.DEVIATION: "Evidence of the deviation (a departure from the lifecycle "
                              "model, not a failure)"}


def render(document: dict[str, Any], sections) -> str:
    rows = document["requirements"]
    target = doc.target(document)
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>MetaStudio conformance: {escape(target['url'])}</title>",
        f"<style>{STYLE}</style></head><body><main>",
        "<h1>MetaStudio training-job API conformance</h1>",
        *_headlines(rows),
        _contents(sections),
        "<h2>Run</h2>", '<table class="run">',
        *(f"<tr><th>{escape(label)}</th><td>{escape(value)}</td></tr>"
          for label, value in doc.run_facts(document, target)),
        "</table>",
    ]
    for kind, title, intro in sections:
        section = [row for row in rows if row.get("kind", "documented") == kind]
        if section:
            parts += _table(kind, title, intro, section)
    parts += learned_model.html(document)
    parts += matrices_html.render(document)
    parts += [f"<footer><p>{_replay(document)}</p></footer>", "</main></body></html>", ""]
    return "\n".join(parts)


def _headlines(rows: list[dict[str, Any]]) -> list[str]:
    """The documented headline, the model rules apart, and links to what broke."""
    verdict = "verdict-fail" if doc.failing(rows) else "verdict-pass"
    model = "verdict-deviation" if doc.deviating(rows) else ""
    parts = [f'<p class="headline {verdict}" id="headline">{escape(doc.headline(rows))}</p>',
             f'<p class="model-headline {model}" id="model-headline">'
             f"{escape(doc.model_headline(rows))} <span class=\"note\">(counted apart: a "
             "deviation departs from the chosen lifecycle model, not a failure)</span></p>"]
    links = [(label, ids) for label, ids in (("Failing", doc.failing(rows)),
                                             ("Deviations", doc.deviating(rows))) if ids]
    if links:
        parts.append('<ul class="counts">')
        parts += [f"<li>{label}: " + ", ".join(
            f'<a href="#{_anchor(rid)}">{escape(rid)}</a>' for rid in ids) + "</li>"
            for label, ids in links]
        parts.append("</ul>")
    return parts


def _contents(sections) -> str:
    links = [(f"section-{kind}", title) for kind, title, _ in sections]
    links += [(f"matrix-{kind.name}", kind.title) for kind in matrices_html.KINDS]
    return ('<nav class="contents">Sections: ' + " · ".join(
        f'<a href="#{anchor}">{escape(title)}</a>' for anchor, title in links) + "</nav>")


def _table(kind: str, title: str, intro: str, rows: list[dict[str, Any]]) -> list[str]:
    parts = [
        f'<h2 id="section-{escape(kind)}">{escape(title)}</h2>', f"<p>{escape(intro)}</p>",
        '<table class="requirements"><thead><tr><th>Requirement</th><th>Status</th>'
        "<th>Source and seed sentence</th></tr></thead><tbody>",
    ]
    for row in rows:
        status = row["status"] if row["status"] in doc.STATUSES else "unknown"
        parts.append(
            f'<tr id="{_anchor(row["id"])}" class="status-{status}">'
            f'<td><code>{escape(str(row["id"]))}</code> {_title(row.get("title", ""))}</td>'
            f'<td><span class="badge {status}">{escape(row["status"].upper())}</span>'
            f'<div class="cases">{escape(doc.cases(row))}</div></td>'
            f'<td><div class="source">{escape(str(row.get("source", "")))}</div>'
            f'<blockquote>{escape(str(row.get("quote", "")))}</blockquote></td></tr>'
        )
        parts += _evidence(row)
    parts.append("</tbody></table>")
    return parts


def _evidence(row: dict[str, Any]) -> list[str]:
    """Failures and deviations with their evidence verbatim; why for what did not run."""
    evidence = str(row.get("evidence") or "")
    if row["status"] in EVIDENCE:
        extra = " deviation-evidence" if row["status"] == Status.DEVIATION else ""
        return [f'<tr class="evidence{extra}"><td colspan="3"><strong>'
                f"{escape(EVIDENCE[row['status']])}</strong><pre>{escape(evidence)}</pre>"
                "</td></tr>"]
    if row["status"] == Status.PARTIAL:
        items = "".join(f"<li>{escape(reason)}</li>" for reason in doc.not_tried(row))
        return [f'<tr class="reason"><td colspan="3"><p class="reason">Passed where tried; '
                f"not tried:</p><ul class=\"reason\">{items}</ul></td></tr>"]
    if row["status"] in UNTESTED and evidence:
        return [f'<tr class="reason"><td colspan="3"><p class="reason">Why: '
                f"{escape(evidence)}</p></td></tr>"]
    return []


def _replay(document: dict[str, Any]) -> str:
    command = doc.replay(document)
    if command is None:
        return f"Repeat the run: {escape(doc.NO_REPLAY)}."
    return (f"Repeat the run: <code>{escape(command)}</code> "
            "(credentials from the environment).")


def _title(text: Any) -> str:
    """Titles quote field names in backticks, as the oracle writes them: show them as code."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", escape(str(text)))


def _anchor(rid: Any) -> str:
    return "req-" + "".join(ch if ch.isalnum() or ch == "-" else "_" for ch in str(rid))
