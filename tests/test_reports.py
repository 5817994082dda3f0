"""The report builders on hand-made results: counting, escaping, secrets, exit codes.

Fast: no suite run and no Node. The end-to-end and browser checks are in
test_reports_nightly.py.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections import Counter
from html import escape
from pathlib import Path

import pytest

from metastudio_conformance.reports import allure_extras, allure_html, conformance
from metastudio_conformance.reports import document as doc
from metastudio_conformance.requirements import REQUIREMENTS

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = '<script>alert("x")</script> | ```fence``` & </pre>'
STATUS_CYCLE = ["pass", "pass", "fail", "not-covered", "pass", "error", "disabled"]


def _results(**target) -> dict:
    rows = []
    for index, requirement in enumerate(REQUIREMENTS.values()):
        status = STATUS_CYCLE[index % len(STATUS_CYCLE)]
        evidence = {"fail": f"test_x.py::t[{index}]: {requirement.id}: broke\n{HOSTILE}",
                    "error": "network error: ConnectionError",
                    "not-covered": "no NA project configured (na_project_id)",
                    "disabled": "turned off by the profile"}.get(status, "")
        rows.append({"id": requirement.id, "title": requirement.title,
                     "source": requirement.source, "quote": requirement.quote,
                     "kind": requirement.kind, "status": status, "evidence": evidence})
    return {
        "suite_version": "0.1.0", "spec_sha256": "ab" * 32, "seed": 4242,
        "started": "2026-01-02T03:04:05Z", "duration_s": 12.5, "requests_sent": 321,
        "target": {"url": "https://metastudio.example.com", "project_id": "p" * 32,
                   "tenant": "standard", "auth": "token", **target},
        "requirements": rows,
    }


def _report_dir(tmp_path: Path, document: dict) -> Path:
    report_dir = tmp_path / "report"
    report_dir.mkdir()
    (report_dir / "results.json").write_text(json.dumps(document), encoding="utf-8")
    return report_dir


def test_headline_counts_documented_requirements_apart_from_model_and_not_covered(tmp_path):
    document = _results()
    md_path, html_path = conformance.write(_report_dir(tmp_path, document))
    documented = Counter(r["status"] for r in document["requirements"]
                         if r["kind"] == "documented")
    model = Counter(r["status"] for r in document["requirements"] if r["kind"] == "model")
    assert model and documented["not-covered"], "the fixture must exercise both"
    exercised = documented["pass"] + documented["fail"] + documented["error"]
    headline = f"{documented['pass']} of {exercised} documented requirements pass"
    md, html = md_path.read_text(), html_path.read_text()
    assert f"**{headline}.**" in md
    assert f'id="headline">{headline}</p>' in html
    assert f"{documented['not-covered']} not covered" in md
    assert f"{model['pass']} pass" in md.split("Lifecycle-model rules")[1].splitlines()[0]


def test_every_requirement_has_one_row_with_status_source_and_quote(tmp_path):
    document = _results()
    md_path, html_path = conformance.write(_report_dir(tmp_path, document))
    md, html = md_path.read_text(), html_path.read_text()
    for row in document["requirements"]:
        rows = [line for line in md.splitlines() if line.startswith(f"| **{row['id']}** ")]
        assert len(rows) == 1, row["id"]
        assert f"| {row['status'].upper()} |" in rows[0]
        assert html.count(f'<tr id="req-{row["id"]}"') == 1
        assert f'<span class="badge {row["status"]}">' in html.split(f'id="req-{row["id"]}"')[1]
    # Pipes inside a seed sentence must not split the Markdown row into more cells.
    cmd01 = next(line for line in md.splitlines() if line.startswith("| **CMD-01** "))
    assert len(re.findall(r"(?<!\\)\|", cmd01)) == 5


def test_failure_evidence_is_shown_verbatim_and_escaped(tmp_path):
    document = _results()
    md_path, html_path = conformance.write(_report_dir(tmp_path, document))
    md, html = md_path.read_text(), html_path.read_text()
    failed = [r for r in document["requirements"] if r["status"] == "fail"]
    assert failed
    for row in failed:
        assert row["evidence"] in md  # inside a fence, untouched
        assert f"<pre>{escape(row['evidence'])}</pre>" in html
    assert "<script>" not in html and "alert(&quot;x&quot;)" in html
    # The fence around evidence holding ``` must be longer than three backticks.
    assert "````text\n" in md
    assert "<script" not in html.lower()


def test_reports_and_environment_never_show_credentials_from_the_target_url(tmp_path):
    document = _results(url="https://canary-user:CANARY-PASSWORD@metastudio.example.com:8443"
                            "/base?token=CANARY-TOKEN")
    report_dir = _report_dir(tmp_path, document)
    md_path, html_path = conformance.write(report_dir)
    env_path = allure_extras.write_environment(report_dir / "allure-results", document)
    for path in (md_path, html_path, env_path):
        text = path.read_text()
        assert "CANARY" not in text and "canary-user" not in text, path.name
        assert "metastudio.example.com:8443/base" in text.replace("\\:", ":"), path.name


def test_environment_properties_say_what_was_tested(tmp_path):
    document = _results(tenant="na")
    path = allure_extras.write_environment(tmp_path / "allure-results", document)
    lines = path.read_text(encoding="ascii").splitlines()
    assert "Target=https://metastudio.example.com" in lines
    assert f"Project={'p' * 32}" in lines
    assert "Tenant=na" in lines and "Authentication=token" in lines
    assert "Seed=4242" in lines and f"Spec\\ SHA-256={'ab' * 32}" in lines
    assert "Suite\\ version=0.1.0" in lines


def test_properties_escaping_keeps_values_on_one_ascii_line():
    assert allure_extras._escape("a\nb=c 用") == "a\\nb=c \\u7528"
    assert allure_extras._escape("Spec SHA", key=True) == "Spec\\ SHA"
    assert allure_extras._escape("😀") == "\\ud83d\\ude00"


def _cli(args: list[str], cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("METASTUDIO_")}
    environ.update(env or {})
    return subprocess.run([sys.executable, "-m", "metastudio_conformance.cli", "report", *args],
                          capture_output=True, text=True, cwd=cwd, env=environ, timeout=120)


def test_report_on_a_folder_without_results_exits_2_with_one_line(tmp_path):
    done = _cli(["--report-dir", str(tmp_path / "nowhere")], tmp_path)
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "nowhere" in done.stderr and "results.json" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


def test_report_on_a_broken_results_file_exits_2_with_one_line(tmp_path):
    (tmp_path / "results.json").write_text('{"requirements": "truncated', encoding="utf-8")
    done = _cli(["--report-dir", str(tmp_path)], tmp_path)
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "Traceback" not in done.stderr


def test_without_node_the_conformance_report_is_still_written(tmp_path):
    report_dir = _report_dir(tmp_path, _results())
    (report_dir / "allure-results").mkdir()
    done = _cli(["--report-dir", str(report_dir), "--history", str(tmp_path / "h.jsonl")],
                tmp_path, env={"PATH": str(tmp_path / "empty-bin")})
    assert done.returncode == 0, done.stderr
    assert (report_dir / "conformance.md").exists() and (report_dir / "conformance.html").exists()
    assert done.stderr.count("\n") == 1 and "node is not installed" in done.stderr
    assert not (report_dir / "html" / "index.html").exists()


STUB_CLI = """#!/usr/bin/env bash
# Stands in for metastudio-conformance: `run` writes results, `report` writes the reports.
dir=""; prev=""
for arg in "$@"; do [ "$prev" = "--report-dir" ] && dir=$arg; prev=$arg; done
echo "$*" >> "$STUB_LOG"
if [ "$1" = run ]; then
  mkdir -p "$dir"; echo '{}' > "$dir/results.json"; exit "$STUB_RUN_CODE"
fi
mkdir -p "$dir/html"; echo page > "$dir/html/index.html"; echo c > "$dir/conformance.html"
exit 0
"""


@pytest.mark.parametrize("run_code", [0, 1, 4])
def test_nightly_script_reports_publishes_and_exits_with_the_runs_code(tmp_path, run_code):
    stub = tmp_path / "stub-cli"
    stub.write_text(STUB_CLI)
    stub.chmod(0o755)
    report_dir, publish = tmp_path / "night", tmp_path / "site"
    report_dir.mkdir()
    (report_dir / "conformance.md").write_text("last night's report")
    env = {**os.environ, "METASTUDIO_CLI": str(stub), "STUB_LOG": str(tmp_path / "log"),
           "STUB_RUN_CODE": str(run_code), "NIGHTLY_REPORT_DIR": str(report_dir),
           "NIGHTLY_HISTORY": str(tmp_path / "history.jsonl"),
           "NIGHTLY_PUBLISH_DIR": str(publish)}
    done = subprocess.run([str(ROOT / "scripts" / "nightly.sh"), "--max-examples", "5"],
                          capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == run_code, done.stdout + done.stderr
    calls = (tmp_path / "log").read_text().splitlines()
    assert calls[0] == f"run --report-dir {report_dir} --max-examples 5"
    assert calls[1] == (f"report --report-dir {report_dir} --history "
                        f"{tmp_path / 'history.jsonl'} --out {report_dir / 'html'}")
    assert (publish / "index.html").read_text() == "page\n"
    assert (publish / "results.json").exists()
    assert not (publish / "conformance.md").exists(), "a stale report was published"


def test_a_failed_npm_install_is_summed_up_by_its_cause():
    output = ("npm error code ECONNREFUSED\nnpm error syscall connect\n"
              "npm error FetchError: request to http://r/x.tgz failed, reason: connect "
              "ECONNREFUSED\nnpm error     at ClientRequest.emit (node:events:524:28)\n"
              "npm error A complete log of this run can be found in: /x/debug-0.log\n")
    assert allure_html._gist(output).startswith("FetchError: request to http://r/x.tgz")
    assert allure_html._gist("") == "no output"


def test_document_helpers():
    assert doc.safe_url("http://a:b@h:1/p?q=1#f") == "http://h:1/p"
    assert doc.safe_url(None) == "bundled reference server"
    rows = [{"id": "A", "status": "pass", "kind": "documented"},
            {"id": "B", "status": "not-covered", "kind": "documented"},
            {"id": "C", "status": "fail", "kind": "model"}]
    assert doc.headline(rows) == "1 of 1 documented requirements pass"
    assert doc.breakdown(rows, "model") == "1 fail"
    assert doc.failing(rows) == ["C"]
