"""`conformance.html`: one self-contained page, no script, readable from file://.

Every value from results.json goes through `html.escape`: evidence quotes what a server
answered, and a hostile server must not be able to inject markup into a published page.
"""

from __future__ import annotations

import re
from html import escape
from typing import Any

from metastudio_conformance.reports import document as doc

STYLE = """
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1f2328;
background:#fff}
main{max-width:1200px;margin:0 auto;padding:24px}
h1{font-size:26px;margin:0 0 8px}h2{font-size:20px;margin:32px 0 8px}
.headline{font-size:22px;font-weight:600;margin:12px 0}
.verdict-pass{color:#1a7f37}.verdict-fail{color:#cf222e}
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
.pass{background:#1a7f37}.fail{background:#cf222e}.error{background:#9a6700}
.not-covered{background:#6e7781}.disabled{background:#8c959f}
.source{font-size:13px;color:#57606a}.reason{color:#57606a;margin:4px 0}
tr.evidence td{background:#fff8f8}
footer{margin-top:32px;color:#57606a;font-size:13px}
@media print{pre{max-height:none}}
"""


def render(document: dict[str, Any], sections) -> str:
    rows = document["requirements"]
    target = doc.target(document)
    failing = doc.failing(rows)
    verdict = "verdict-fail" if failing else "verdict-pass"
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>MetaStudio conformance: {escape(target['url'])}</title>",
        f"<style>{STYLE}</style></head><body><main>",
        "<h1>MetaStudio training-job API conformance</h1>",
        f'<p class="headline {verdict}" id="headline">{escape(doc.headline(rows))}</p>',
        '<ul class="counts">',
        f"<li>Documented requirements: {escape(doc.breakdown(rows, 'documented'))}</li>",
        "<li>Lifecycle-model rules (profile, counted apart): "
        f"{escape(doc.breakdown(rows, 'model'))}</li>",
    ]
    if failing:
        links = ", ".join(f'<a href="#{_anchor(rid)}">{escape(rid)}</a>' for rid in failing)
        parts.append(f"<li>Failing: {links}</li>")
    parts += ["</ul>", "<h2>Run</h2>", '<table class="run">']
    parts += [f"<tr><th>{escape(label)}</th><td>{escape(value)}</td></tr>"
              for label, value in doc.run_facts(document, target)]
    parts.append("</table>")
    for kind, title, intro in sections:
        section = [row for row in rows if row.get("kind", "documented") == kind]
        if section:
            parts += _table(title, intro, section)
    parts += [
        f"<footer><p>Repeat the run: <code>{escape(doc.replay_command(document))}</code> "
        "(credentials from the environment).</p></footer>",
        "</main></body></html>",
        "",
    ]
    return "\n".join(parts)


def _table(title: str, intro: str, rows: list[dict[str, Any]]) -> list[str]:
    parts = [
        f"<h2>{escape(title)}</h2>", f"<p>{escape(intro)}</p>",
        '<table class="requirements"><thead><tr><th>Requirement</th><th>Status</th>'
        "<th>Source and seed sentence</th></tr></thead><tbody>",
    ]
    for row in rows:
        status = row["status"] if row["status"] in doc.STATUSES else "error"
        parts.append(
            f'<tr id="{_anchor(row["id"])}" class="status-{status}">'
            f'<td><code>{escape(row["id"])}</code> {_title(row.get("title", ""))}</td>'
            f'<td><span class="badge {status}">{escape(row["status"].upper())}</span></td>'
            f'<td><div class="source">{escape(row.get("source", ""))}</div>'
            f'<blockquote>{escape(row.get("quote", ""))}</blockquote></td></tr>'
        )
        evidence = row.get("evidence") or ""
        if row["status"] in ("fail", "error"):
            parts.append(f'<tr class="evidence"><td colspan="3"><strong>Evidence</strong>'
                         f"<pre>{escape(evidence)}</pre></td></tr>")
        elif row["status"] in ("not-covered", "disabled") and evidence:
            parts.append(f'<tr class="reason"><td colspan="3"><p class="reason">Why: '
                         f"{escape(evidence)}</p></td></tr>")
    parts.append("</tbody></table>")
    return parts


def _title(text: str) -> str:
    """Titles quote field names in backticks, as the oracle writes them: show them as code."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", escape(text))


def _anchor(rid: str) -> str:
    return "req-" + "".join(ch if ch.isalnum() or ch == "-" else "_" for ch in str(rid))
