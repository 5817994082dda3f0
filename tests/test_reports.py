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
import xml.etree.ElementTree as ET
from collections import Counter
from html import escape
from pathlib import Path

import pytest

from metastudio_conformance.reports import allure_extras, allure_history, allure_html, conformance
from metastudio_conformance.reports import document as doc
from metastudio_conformance.requirements import REQUIREMENTS

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = '<script>alert("x")</script> | ```fence``` & </pre>'
STATUS_CYCLE = ["pass", "pass", "fail", "not-covered", "pass", "error", "disabled"]
MODEL_CYCLE = ["deviation", "pass", "not-covered"]
REPLAY = "metastudio-conformance run --seed 4242 --target https://metastudio.example.com -k 'x'"
EVIDENCE = {"fail": "test_x.py::t[{i}]: {rid}: broke\n" + HOSTILE,
            "deviation": "test_m.py::t[{i}]: {rid}: departed from the model\n" + HOSTILE,
            "error": "network error: ConnectionError",
            "not-covered": "no NA project configured (na_project_id)",
            "disabled": "turned off by the profile"}


def _results(**target) -> dict:
    rows = []
    for index, requirement in enumerate(REQUIREMENTS.values()):
        cycle = MODEL_CYCLE if requirement.kind == "model" else STATUS_CYCLE
        status = cycle[index % len(cycle)]
        evidence = EVIDENCE.get(status, "").format(i=index, rid=requirement.id)
        rows.append({"id": requirement.id, "title": requirement.title,
                     "source": requirement.source, "quote": requirement.quote,
                     "kind": requirement.kind, "status": status, "evidence": evidence})
    return {
        "results_version": 2, "suite_version": "0.1.0", "spec_sha256": "ab" * 32,
        "seed": 4242, "replay": REPLAY, "selection": None,
        "started": "2026-01-02T03:04:05Z", "duration_s": 12.5, "requests_sent": 321,
        "target": {"url": "https://metastudio.example.com", "project_id": "p" * 32,
                   "tenant": "standard", "auth": "token", **target},
        "requirements": rows, "tests": [], "matrices": _matrices(),
    }


def _matrices() -> dict:
    gate = [{"state": "WAIT_FILE_UPLOAD", "observed": 200, "documented": "allowed",
             "verdict": "pass"},
            {"state": "TRAINING", "observed": 200, "documented": "refused", "verdict": "fail",
             "requirement": "DEL-02"}]
    cell = {"documented": "either (not documented)", "model": "refused", "verdict": "pass"}
    commands = [
        {**cell, "state": "WAIT_FILE_UPLOAD", "command": "SUBMITVERIFYING", "observed": "400"},
        {**cell, "state": "WAIT_FILE_UPLOAD", "command": "CONFIRM_ACCEPT", "observed": "400",
         "documented": "refused"},
        {**cell, "state": "TRAINING", "command": "SUBMITVERIFYING",
         "observed": "200 EXCUTE_SUCCESS", "verdict": "deviation"},
        {**cell, "state": "TRAINING", "command": "CONFIRM_ACCEPT",  # the row stops here
         "observed": '200 "<b>"', "documented": "refused", "verdict": "fail",
         "requirement": "CMD-06"},
        {**cell, "state": "JOB_FINISH", "command": "SUBMITVERIFYING", "observed": "400"},
    ]
    return {"delete_gate": gate, "commands_standard": commands}


def _report_dir(tmp_path: Path, document: dict) -> Path:
    report_dir = tmp_path / "report"
    report_dir.mkdir()
    (report_dir / "results.json").write_text(json.dumps(document), encoding="utf-8")
    return report_dir


def test_headline_counts_every_documented_requirement_and_model_rules_apart(tmp_path):
    document = _results()
    md_path, html_path = conformance.write(_report_dir(tmp_path, document))
    documented = Counter(r["status"] for r in document["requirements"]
                         if r["kind"] == "documented")
    model = Counter(r["status"] for r in document["requirements"] if r["kind"] == "model")
    assert documented["error"] and documented["disabled"] and model["deviation"]
    headline = (f"{documented['pass']} of {sum(documented.values())} documented requirements "
                f"pass, 0 partial, {documented['fail']} fail, "
                f"{documented['not-covered']} not covered, "
                f"{documented['error']} errors, {documented['disabled']} disabled")
    model_line = (f"Model rules: {model['pass']} pass, {model['deviation']} deviations, "
                  f"{model['not-covered']} not covered")
    md, html = md_path.read_text(), html_path.read_text()
    assert f"**{headline}.**" in md and f'id="headline">{headline}</p>' in html
    assert f"**{model_line}** (counted apart" in md
    assert f'id="model-headline">{model_line} <span' in html


def test_headline_names_zero_failures_and_nothing_not_covered_all_the_same():
    rows = [{"id": "A", "status": "pass", "kind": "documented"},
            {"id": "M", "status": "pass", "kind": "model"}]
    assert doc.headline(rows) == ("1 of 1 documented requirements pass, 0 partial, 0 fail, "
                                  "0 not covered")
    assert doc.model_headline(rows) == "Model rules: 1 pass, 0 deviations"
    rows += [{"id": "B", "status": "deviation", "kind": "model"},
             {"id": "C", "status": "flaky", "kind": "documented"}]  # a status of the future
    assert doc.headline(rows).endswith("0 not covered, 1 flaky")
    assert doc.model_headline(rows) == "Model rules: 1 pass, 1 deviation"


def test_deviation_is_a_status_of_its_own_with_its_evidence_apart_from_failures(tmp_path):
    document = _results()
    md_path, html_path = conformance.write(_report_dir(tmp_path, document))
    md, html = md_path.read_text(), html_path.read_text()
    assert "deviation" in doc.STATUSES and ".deviation{" in html
    deviated = [r for r in document["requirements"] if r["status"] == "deviation"]
    failures, deviations = md.split("## Evidence of deviations")
    assert "- Deviations: " + ", ".join(r["id"] for r in deviated) in md
    for row in deviated:
        assert f"| **{row['id']}** " in md and "| DEVIATION |" in md
        assert row["evidence"] in deviations and row["evidence"] not in failures
        after = html.split(f'id="req-{row["id"]}"')[1].split('<tr id="req-')[0]
        assert '<span class="badge deviation">DEVIATION</span>' in after
        assert f"not a failure)</strong><pre>{escape(row['evidence'])}</pre>" in after


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
    assert len(re.findall(r"(?<!\\)\|", cmd01)) == 6


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
    publish.mkdir()
    (publish / "results.json").write_text("last night's results")
    env = {**_without_run_ids(), "METASTUDIO_CLI": str(stub), "STUB_LOG": str(tmp_path / "log"),
           "STUB_RUN_CODE": str(run_code), "NIGHTLY_REPORT_DIR": str(report_dir),
           "NIGHTLY_HISTORY": str(tmp_path / "history.jsonl"),
           "NIGHTLY_PUBLISH_DIR": str(publish)}
    done = subprocess.run([str(ROOT / "scripts" / "nightly.sh"), "--max-examples", "5"],
                          capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == run_code, done.stdout + done.stderr
    calls = (tmp_path / "log").read_text().splitlines()
    assert calls[0] == f"run --report-dir {report_dir} --max-examples 5"
    assert re.fullmatch(
        f"report --report-dir {report_dir} --history {tmp_path / 'history.jsonl'} --out "
        f"{report_dir / 'html'} --exit-code {run_code} --ended \\S+Z --exit-line=", calls[1])
    assert (publish / "index.html").read_text() == "page\n"
    assert (publish / "results.json").read_text() == "{}\n"
    assert (publish / "results.json").exists()
    assert not (publish / "conformance.md").exists(), "a stale report was published"


def _without_run_ids() -> dict:
    return {k: v for k, v in os.environ.items() if k not in ("NIGHTLY_RUN_ID", "GITHUB_RUN_ID")}


def test_nightly_script_passes_the_run_id_and_drops_stale_pages(tmp_path):
    """A bad night that wrote no pages publishes none of the night before's; the CLI's
    last line and the night's run id (a CI re-run attempt keeps it) go to `report`."""
    stub = tmp_path / "stub-cli"
    stub.write_text(STUB_CLI.replace('exit "$STUB_RUN_CODE"',
                                     'echo "metastudio-conformance: bad -x" >&2; exit 2')
                    .replace("mkdir -p \"$dir/html\"; echo page", ": ; echo page"))
    stub.chmod(0o755)
    publish = tmp_path / "site"
    publish.mkdir()
    (publish / "index.html").write_text("last night's green report")
    env = {**_without_run_ids(), "METASTUDIO_CLI": str(stub), "STUB_LOG": str(tmp_path / "log"),
           "NIGHTLY_REPORT_DIR": str(tmp_path / "night"), "GITHUB_RUN_ID": "991",
           "NIGHTLY_HISTORY": str(tmp_path / "h.jsonl"), "NIGHTLY_PUBLISH_DIR": str(publish)}
    done = subprocess.run([str(ROOT / "scripts" / "nightly.sh")], capture_output=True,
                          text=True, env=env, timeout=60)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "metastudio-conformance: bad -x" in done.stderr  # still on the console
    report = (tmp_path / "log").read_text().splitlines()[1]
    assert " --exit-code 2 --ended " in report, report
    assert report.endswith(" --exit-line=metastudio-conformance: bad -x --run-id 991"), report
    assert not (publish / "index.html").exists(), "last night's page is still published"


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
    assert doc.safe_url("http://h:99999/") == "(not a valid URL)"
    rows = [{"id": "A", "status": "pass", "kind": "documented"},
            {"id": "B", "status": "not-covered", "kind": "documented"},
            {"id": "C", "status": "fail", "kind": "model"},
            {"id": "D", "status": "deviation", "kind": "model"}]
    assert doc.headline(rows) == ("1 of 2 documented requirements pass, 0 partial, 0 fail, "
                                  "1 not covered")
    assert doc.model_headline(rows) == "Model rules: 0 pass, 1 deviation, 1 fail"
    assert doc.failing(rows) == ["C"] and doc.deviating(rows) == ["D"]


def test_the_replay_is_the_runs_own_and_an_old_run_says_it_recorded_none(tmp_path):
    document = _results()
    md, html = conformance.markdown(document), _html(document)
    assert f"Repeat the run: `{REPLAY}`" in md and f"<code>{escape(REPLAY)}</code>" in html
    assert not hasattr(doc, "replay_command"), "one replay, built by the run"
    del document["replay"]
    for text in (conformance.markdown(document), _html(document)):
        assert doc.NO_REPLAY in text and "metastudio-conformance run" not in text
    document["replay"] = ("metastudio-conformance run --seed 1 --target "
                          "'https://u:CANARY@h:8443/b?token=CANARY' --project-id p")
    assert doc.replay(document) == ("metastudio-conformance run --seed 1 --target "
                                    "https://h:8443/b --project-id p")


def _html(document: dict) -> str:
    return conformance.conformance_html.render(document, conformance.SECTIONS)


def test_delete_gate_lists_each_state_with_documented_observed_and_verdict():
    document = _results()
    md, html = conformance.markdown(document), _html(document)
    assert "2 states: 1 pass, 1 fail." in md
    assert "| WAIT_FILE_UPLOAD | allowed | 200 | pass |" in md
    assert "| TRAINING | refused | 200 | **FAIL** DEL-02 |" in md
    gate = html.split('id="matrix-delete_gate"')[1].split("</section>")[0]
    assert ('<tr><td class="state">TRAINING</td><td>refused</td><td class="v-fail">200</td>'
            '<td class="v-fail">fail (DEL-02)</td></tr>') in gate


def test_command_grid_has_states_as_rows_commands_as_columns_and_verdict_colors():
    document = _results()
    html = _html(document)
    grid = html.split('id="grid-commands_standard">')[1].split("</table>")[0]
    head, body = grid.split("</thead>")
    assert re.findall(r'<th scope="col">(.*?)</th>', head) == [
        "SUBMITVERIFYING", "CONFIRM_<wbr>ACCEPT"]
    rows = re.findall(r'<tr><th scope="row">([^<]+)</th>(.*?)</tr>', body)
    assert [state for state, _ in rows] == ["WAIT_FILE_UPLOAD", "TRAINING", "JOB_FINISH"]
    cells = {state: re.findall(r'<td class="([^"]+)" title="([^"]*)">([^<]*)</td>', tds)
             for state, tds in rows}
    assert [(c[0], c[2]) for c in cells["TRAINING"]] == [
        ("v-deviation", "200 EXCUTE_SUCCESS"),
        ("v-fail doc-refused", "200 &quot;&lt;b&gt;&quot;")]
    assert "documented: either (not documented); model: refused; verdict: deviation" in \
        cells["TRAINING"][0][1]
    assert cells["JOB_FINISH"][1][0] == "v-none" and cells["JOB_FINISH"][1][2] == "–"
    section = html.split('id="matrix-commands_standard"')[1]
    assert "5 cells: 3 pass, 1 deviation, 1 fail, 1 not run" in section
    assert "<code>TRAINING</code> × <code>CONFIRM_ACCEPT</code>: observed 200 " \
           "&quot;&lt;b&gt;&quot;; documented: refused; model: refused; verdict: fail " \
           "(CMD-06)" in section


def test_command_grid_in_markdown_is_a_compact_table_with_its_departures():
    md = conformance.markdown(_results())
    section = md.split("## Commands by state: standard tenant")[1].split("\n## ")[0]
    assert "| State | SUBMITVERIFYING | CONFIRM_ACCEPT |" in section
    assert "| WAIT_FILE_UPLOAD | 400 | 400 |" in section
    assert ('| TRAINING | **200 EXCUTE_SUCCESS** (**DEVIATION**) | '
            '**200 "&lt;b&gt;"** (**FAIL** CMD-06) |') in section
    assert "| JOB_FINISH | 400 | – |" in section
    assert "- TRAINING × SUBMITVERIFYING: observed 200 EXCUTE_SUCCESS; documented: either " \
           "(not documented); model: refused; verdict: deviation" in section


def test_a_missing_matrix_is_said_plainly_with_why(tmp_path):
    document = _results()
    md, html = conformance.markdown(document), _html(document)
    na = "Not recorded: its tests (test_commands_na_tenant) did not run in this run."
    assert f"_{na}_" in md and f'<p class="absent">{na}</p>' in html
    document["selection"] = "delete"
    document["tests"] = [{"id": "test_lifecycle.py::test_commands_na_tenant[TRAINING]",
                          "status": "not-covered", "reason": "CMD-09: no NA project; x"}]
    assert "did not get to it: CMD-09: no NA project." in conformance.markdown(document)
    document["tests"] = []
    assert "(left out by -k 'delete')" in conformance.markdown(document)
    del document["matrices"]  # a results.json from before matrices
    md, html = conformance.markdown(document), _html(document)
    assert md.count("did not record matrices") == 3 == html.count("did not record matrices")


def test_matrix_values_are_escaped_everywhere(tmp_path):
    document = _results()
    document["matrices"]["delete_gate"][0]["state"] = HOSTILE
    document["matrices"]["commands_standard"][0]["command"] = HOSTILE
    document["matrices"]["commands_standard"][0]["verdict"] = '"><script>'
    html = _html(document)
    assert "<script" not in html.lower() and 'class="v-unknown"' in html
    assert "</pre>" not in html.split('id="matrix-delete_gate"')[1]


def _allure_result(directory: Path, name: str, labels: list[tuple[str, str]]) -> Path:
    path = directory / f"{name.replace('[', '-').strip(']')}-result.json"
    path.write_text(json.dumps({"name": name, "fullName": f"test_gate#{name.split('[')[0]}",
                                "labels": [{"name": k, "value": v} for k, v in labels]}))
    return path


def test_allure_and_junit_file_each_test_under_the_requirements_it_was_judged_on(tmp_path):
    results = tmp_path / "allure-results"
    results.mkdir()
    claims = [("requirement", "ERR-01"), ("feature", "Error responses"),
              ("story", "ERR-01 Every 4xx"), ("requirement", "DEL-02"),
              ("feature", "Status-gated deletion"), ("story", "DEL-02 DELETE refused"),
              ("suite", "test_gate")]
    failed = _allure_result(results, "test_delete[TRAINING]", claims)
    passed = _allure_result(results, "test_delete[AUTO_VERIFYING]", claims)
    unknown = _allure_result(results, "test_other", claims)
    (tmp_path / "junit.xml").write_text(
        '<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest">'
        '<testcase classname="test_gate" name="test_delete[TRAINING]"><failure message="x"/>'
        '</testcase><testcase classname="test_gate" name="test_other"/></testsuite>'
        "</testsuites>")
    document = {"tests": [
        {"id": "test_gate.py::test_delete[TRAINING]",
         "by_requirement": {"DEL-02": "fail", "ERR-01": "not-covered"}},
        {"id": "test_gate.py::test_delete[AUTO_VERIFYING]",
         "by_requirement": {"ERR-01": "pass", "DEL-02": "pass"}}]}
    before = unknown.read_text()
    for _ in range(2):  # filing twice changes nothing more
        allure_extras.file_by_requirement(tmp_path, document)
    labels = [(label["name"], label["value"])
              for label in json.loads(failed.read_text())["labels"]]
    assert labels == [("suite", "test_gate"), ("requirement", "DEL-02"),
                      ("story", "DEL-02 DELETE refused"),
                      ("feature", "DEL Status-gated deletion")]
    labels = [label["value"] for label in json.loads(passed.read_text())["labels"]
              if label["name"] in ("requirement", "feature")]
    assert labels == ["DEL-02", "ERR-01", "DEL Status-gated deletion", "ERR Error responses"]
    assert unknown.read_text() == before, "a test without a record keeps its labels"
    cases = ET.parse(tmp_path / "junit.xml").getroot().iter("testcase")
    properties = {case.get("name"): [(p.get("name"), p.get("value"))
                                     for p in case.iter("property")] for case in cases}
    assert properties == {"test_delete[TRAINING]": [
        ("requirements", "DEL-02, ERR-01"), ("requirement:DEL-02", "fail"),
        ("requirement:ERR-01", "not-covered")], "test_other": []}


def test_requirement_ids_sort_by_area_then_number():
    ids = ["CMD-10", "AUTH-01", "CMD-02", "odd"]
    assert sorted(ids, key=allure_extras.requirement_order) == ["AUTH-01", "CMD-02", "CMD-10",
                                                                "odd"]


def test_report_titles_name_the_target_without_a_port():
    def name(url):
        return doc.target_name({"target": {"url": url}})

    assert name(None) == "bundled reference server"
    assert name("http://127.0.0.1:36359") == "127.0.0.1"
    assert name("https://u:p@metastudio.example.com:8443/api/?q=1") == (
        "metastudio.example.com/api")


def test_the_history_keeps_one_point_per_run(tmp_path):
    history = tmp_path / "history" / "allure-history.jsonl"
    for run_id, uuid in [("run-1", "a"), ("run-2", "b"), ("run-1", "c"), ("run-3", None)]:
        with allure_history.one_point_per_run(history, run_id) as working:
            if uuid:  # as Allure appends; run-3's build appended nothing
                with working.open("a", encoding="utf-8") as points:
                    points.write(json.dumps({"uuid": uuid, "name": "n"}) + "\n")
    points = [json.loads(line) for line in history.read_text().splitlines()]
    assert [(p["uuid"], p[allure_history.RUN_KEY]) for p in points] == [
        ("b", "run-2"), ("c", "run-1")]
