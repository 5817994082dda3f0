"""Two nights of scripts/nightly.sh against reference servers, and the reports they leave.

Night 1 tests a server with the `delete-in-training` fault (AK/SK), night 2 a correct
one (token); both carry canary credentials that must appear in no report. The browser
checks open the pages in headless Chromium, as a reader would.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from metastudio_conformance.reports import allure_extras, allure_history, allure_html
from metastudio_conformance.requirements import REQUIREMENTS
from tests.conftest import SERVE

pytestmark = pytest.mark.reports

ROOT = Path(__file__).resolve().parent.parent
PROJECT = "c0ffee" + "0" * 26
ACCESS_KEY = "CANARYAK7Q4N2X"  # an identifier, not a secret (conformance/redact.py)
CANARIES = {"METASTUDIO_SK": "canary-sk-5f1e9a77", "METASTUDIO_TOKEN": "canary-token-8d2c41b3"}
FAILING_TEST = "test_delete_in_state[TRAINING]"
TITLE = "MetaStudio conformance: 127.0.0.1"  # the test servers' random ports left out
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--window-size=1400,1000",
                  "--virtual-time-budget=5000"]


@dataclass
class Night:
    code: int
    output: str
    report_dir: Path
    site: Path

    @property
    def results(self) -> dict:
        return json.loads((self.report_dir / "results.json").read_text())


def _serve(*options: str) -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen([*SERVE, "--port", "0",
                                *options], stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True)
    banner = process.stdout.readline().strip()
    assert banner.startswith("serving on "), banner
    return process, banner.removeprefix("serving on ")


def _night(base: Path, number: int, server_options: list[str], credentials: dict) -> Night:
    process, url = _serve(*server_options)
    try:
        return _script(base, number, {**credentials, "METASTUDIO_TARGET": url,
                                      "METASTUDIO_PROJECT_ID": PROJECT})
    finally:
        process.terminate()
        process.wait(timeout=10)


def _script(base: Path, number: int, settings: dict, history: Path | None = None) -> Night:
    """scripts/nightly.sh as CI runs it: the settings in METASTUDIO_* variables, no run id
    of a CI system (each night is its own run)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("METASTUDIO_")
           and k not in ("NIGHTLY_RUN_ID", "GITHUB_RUN_ID")}
    env.update(settings,
               METASTUDIO_CLI=str(Path(sys.executable).parent / "metastudio-conformance"),
               NIGHTLY_REPORT_DIR=str(base / f"night{number}"),
               NIGHTLY_HISTORY=str(history or base / "history" / "allure-history.jsonl"),
               NIGHTLY_PUBLISH_DIR=str(base / f"site{number}"))
    done = subprocess.run([str(ROOT / "scripts" / "nightly.sh"), "--max-examples", "5",
                           "--seed", "7"], capture_output=True, text=True, env=env, timeout=600)
    return Night(done.returncode, done.stdout + done.stderr, base / f"night{number}",
                 base / f"site{number}")


@pytest.fixture(scope="module")
def nights(tmp_path_factory) -> tuple[Night, Night, Path]:
    base = tmp_path_factory.mktemp("nightly")
    ak, sk, token = ACCESS_KEY, CANARIES["METASTUDIO_SK"], CANARIES["METASTUDIO_TOKEN"]
    first = _night(base, 1, ["--ak", ak, "--sk", sk, "--fault", "delete-in-training"],
                   {"METASTUDIO_AK": ak, "METASTUDIO_SK": sk})
    second = _night(base, 2, ["--token", token], {"METASTUDIO_TOKEN": token})
    return first, second, base


def _needs_node():
    if not shutil.which("node") or not shutil.which("npm"):
        pytest.skip("node and npm are not installed: no Allure HTML report to check")


def _needs_chromium():
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip("chromium is not installed (Debian: apt-get install chromium)")


def _text(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&gt;", ">")


def _embedded(index: Path) -> dict[str, bytes]:
    """The data files a single-file Allure report carries as base64 inside index.html."""
    html = index.read_text(encoding="utf-8")
    return {name: base64.b64decode(data)
            for name, data in re.findall(r'd\("([^"]+)","([A-Za-z0-9+/=]*)"\)', html)}


def test_the_script_exits_with_each_runs_code(nights):
    first, second, _ = nights
    assert first.code == 1, first.output[-3000:]
    assert second.code == 0, second.output[-3000:]
    assert first.results["target"]["auth"] == "aksk"
    assert second.results["target"]["auth"] == "token"


def test_the_replay_repeats_the_target_the_environment_gave(nights):
    night = nights[0]
    words = shlex.split(night.results["replay"])
    assert words[words.index("--target") + 1] == night.results["target"]["url"]
    assert words[words.index("--project-id") + 1] == PROJECT
    assert words[words.index("--report-dir") + 1] == str(night.report_dir)
    assert ACCESS_KEY not in words and not set(CANARIES.values()) & set(words)
    replay = next(line for line in night.output.splitlines() if line.startswith("replay: "))
    assert replay == f"replay: {night.results['replay']}"


def test_conformance_report_of_a_failing_run(nights):
    night = nights[0]
    results = night.results
    md = (night.site / "conformance.md").read_text()
    html = (night.site / "conformance.html").read_text()
    for rid in REQUIREMENTS:
        assert f"| **{rid}** " in md and f'<tr id="req-{rid}"' in html, rid
    headline = _headline(results)
    assert f"**{headline}" in md and f'id="headline">{headline}' in html
    assert "1 fail" in headline
    assert "- Failing: DEL-02" in md
    row = next(line for line in md.splitlines() if line.startswith("| **DEL-02** "))
    assert "| FAIL |" in row
    evidence = md.split("### DEL-02 FAIL")[1]
    assert FAILING_TEST in evidence and "Received: 200" in evidence
    assert "-&gt; 200" in html.split('id="req-DEL-02"')[1]  # the transcript, escaped


def test_conformance_report_of_a_passing_run(nights):
    night = nights[1]
    assert all(r["status"] != "fail" for r in night.results["requirements"])
    md = (night.site / "conformance.md").read_text()
    assert f"**{_headline(night.results)}" in md and ", 0 fail, " in md.splitlines()[2]
    assert "Failing:" not in md and "## Evidence of failures" not in md


def _headline(results: dict) -> str:
    """What the headline must begin with: every documented requirement counted."""
    counts = Counter(r["status"] for r in results["requirements"] if r["kind"] == "documented")
    return (f"{counts['pass']} of {sum(counts.values())} documented requirements pass, "
            f"{counts['partial']} partial, {counts['fail']} fail, "
            f"{counts['not-covered']} not covered")


def test_allure_and_junit_results_are_filed_by_what_each_test_judged(nights):
    night = nights[0]
    tests = {t["id"].split("::")[-1]: t["by_requirement"] for t in night.results["tests"]}
    assert tests[FAILING_TEST] == {"DEL-02": "fail", "ERR-01": "not-covered"}
    for path in (night.report_dir / "allure-results").glob("*-result.json"):
        result = json.loads(path.read_text())
        judged = sorted(rid for rid, status in tests[result["name"]].items()
                        if status in allure_extras.JUDGED)
        labels = sorted(label["value"] for label in result["labels"]
                        if label["name"] == "requirement")
        assert labels == judged, result["name"]
    junit = ET.parse(night.report_dir / "junit.xml").getroot()
    case = next(c for c in junit.iter("testcase") if c.get("name") == FAILING_TEST)
    assert [(p.get("name"), p.get("value")) for p in case.iter("property")] == [
        ("requirements", "DEL-02, ERR-01"), ("requirement:DEL-02", "fail"),
        ("requirement:ERR-01", "not-covered")]


def test_no_credential_in_any_report_or_in_the_history(nights):
    *_, base = nights
    files = [path for path in base.rglob("*") if path.is_file()]
    assert any(path.name == "results.json" for path in files)
    for path in files:
        contents = [path.read_bytes()]
        if path.name == "index.html":
            contents += _embedded(path).values()
        for content in contents:
            for name, canary in CANARIES.items():
                assert canary.encode() not in content, f"{name} in {path}"


def test_two_nights_give_a_single_file_report_with_a_trend_of_two_runs(nights):
    _needs_node()
    first, second, base = nights
    lines = (base / "history" / "allure-history.jsonl").read_text().splitlines()
    assert len(lines) == 2
    runs = [json.loads(line) for line in lines]
    statuses = [{r["name"]: r["status"] for r in run["testResults"].values()} for run in runs]
    assert statuses[0][FAILING_TEST] == "failed" and statuses[1][FAILING_TEST] == "passed"
    index = second.site / "index.html"
    assert index.read_bytes() == (second.report_dir / "html" / "index.html").read_bytes()
    html = index.read_text()
    assert not re.search(r'<(script|link|img)\b[^>]*\b(src|href)="(?!data:)', html)
    assert "googletagmanager" not in html
    charts = json.loads(_embedded(index)["widgets/charts.json"])["general"]
    dynamics = next(c for c in charts.values() if c["type"] == "statusDynamics")["data"]
    assert [point["id"] for point in dynamics] == [runs[0]["uuid"], "current"]
    assert dynamics[0]["statistic"].get("failed", 0) >= 1


def _dynamics(index: Path) -> list[dict]:
    """The points of the Allure trend chart of a report: earlier runs, then "current"."""
    charts = json.loads(_embedded(index)["widgets/charts.json"])["general"]
    return next(c for c in charts.values() if c["type"] == "statusDynamics")["data"]


def test_building_a_report_again_does_not_count_the_run_twice(nights, tmp_path):
    """Two builds of night 2, into another folder (as a CI re-run attempt would, from the
    history its first attempt saved): one point each for night 1 and night 2."""
    _needs_node()
    first, second, base = nights
    history = base / "history" / "allure-history.jsonl"
    before = history.read_text().splitlines()
    for out in (tmp_path / "again", tmp_path / "and-again"):
        done = subprocess.run([sys.executable, "-m", "metastudio_conformance.cli", "report",
                               "--report-dir", str(second.report_dir), "--history",
                               str(history), "--out", str(out)],
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        assert [point["id"] for point in _dynamics(out / "index.html")] == [
            json.loads(before[0])["uuid"], "current"]  # night 1, then night 2 once
    after = history.read_text().splitlines()
    assert len(after) == 2 and after[0] == before[0]
    runs = [allure_history.run_of(line.encode()) for line in after]
    assert runs == [first.results["run_id"], second.results["run_id"]]


def test_report_titles_name_the_target_without_its_port(nights):
    _needs_node()
    *_, base = nights
    lines = (base / "history" / "allure-history.jsonl").read_text().splitlines()
    assert [json.loads(line)["name"] for line in lines] == [TITLE, TITLE]
    for night in nights[:2]:
        html = (night.site / "index.html").read_text()
        assert re.search(r"<title>\s*(.*?)\s*</title>", html).group(1) == TITLE


CATEGORY_CASES = {
    "Status gating": ("failed", "RequirementViolation: DEL-02: DELETE refused in TRAINING"),
    "Lifecycle": ("failed", "RequirementViolation: DEL-03: a deleted job is not found"),
    "Authentication": ("failed", "FailureGroup: 1 distinct failure\n\n- ST401 API accepts"),
    "Error body": ("failed", "RequirementViolation: ERR-01: error body {error_code}"),
    "Server errors": ("failed", "FailureGroup: 1 distinct failure\n\n- ST101 Server error"),
    "Request validation": ("failed", "RequirementViolation: CMD-02: refused with 400"),
    "Response shape": ("failed", "found 2\n\n- ST108 Response violates schema\n- MSC01 "
                                 "HDR-01: every response"),
    "Infrastructure": ("broken", "requests.exceptions.ConnectionError: refused"),
    # as allure_extras.verdict_of words a not-covered and a disabled test after the run
    "Not covered": ("skipped", "not covered: CMD-05: no NA project configured"),
    "Disabled": ("skipped", "disabled: CMD-10: deselected by -k 'lifecycle'"),
    "Other": ("failed", "AssertionError: something unexpected"),
}


def test_failures_are_sorted_into_categories_by_kind(tmp_path):
    _needs_node()
    binary = allure_html.ensure_cli()
    results = tmp_path / "allure-results"
    results.mkdir()
    for index, (expected, (status, message)) in enumerate(CATEGORY_CASES.items()):
        (results / f"{index:04d}-result.json").write_text(json.dumps({
            "uuid": f"{index:04d}", "historyId": f"h{index}", "name": expected,
            "status": status, "statusDetails": {"message": message}, "start": 1, "stop": 2,
            "labels": []}))
    subprocess.run([str(binary), "awesome", str(results), "--config", str(allure_html.CONFIG),
                    "--output", str(tmp_path / "out")], check=True, capture_output=True,
                   env={**os.environ, "ALLURE_NO_ANALYTICS": "true"}, timeout=120)
    tests = [json.loads(path.read_text())
             for path in (tmp_path / "out" / "data" / "test-results").glob("*.json")]
    assert sorted(test["name"] for test in tests) == sorted(CATEGORY_CASES)
    for test in tests:  # every category's name starts with the key of its case
        names = [category["name"] for category in test["categories"]]
        assert names and names[0].startswith(test["name"]), (test["name"], names)


def _chromium(url: str, screenshot: Path, profile: Path) -> str:
    done = subprocess.run([CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
                           f"--screenshot={screenshot}", "--dump-dom", url],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert screenshot.stat().st_size > 10_000, "the screenshot is blank"
    return done.stdout


def _result_id(report_dir: Path, name: str) -> str:
    tests = json.loads((report_dir / "html" / "test-results.json").read_text())["byId"]
    return next(key for key, test in tests.items() if test["name"] == name)


def test_conformance_page_in_a_browser(nights, tmp_path):
    _needs_chromium()
    night = nights[0]
    dom = _chromium((night.report_dir / "conformance.html").as_uri(),
                    night.report_dir / "conformance.png", tmp_path / "profile")
    page = _text(dom)
    for rid in REQUIREMENTS:
        assert rid in page, rid
    assert _headline(night.results) in page and "Model rules: " in page and "FAIL" in page
    assert FAILING_TEST in page and "Received: 200" in page and "Failing exchange:" in page
    assert "DELETE by job state" in page and "53 states: 52 pass, 1 fail" in page
    assert "TRAINING refused 200 fail (DEL-02)" in page
    assert re.search(r"Commands by state: standard tenant .*? 424 cells: 424 pass", page)
    assert "Commands by state: NA tenant" in page  # night 1 names no NA project:
    assert "Not recorded: its tests (test_commands_na_tenant) did not get to it" in page
    grid = dom.split('id="grid-commands_standard"')[1].split("</table>")[0]
    assert grid.count('<th scope="row">') == 53 and grid.count('<th scope="col">') == 8


def test_allure_report_in_a_browser(nights, tmp_path):
    _needs_node()
    _needs_chromium()
    night = nights[0]
    index = night.report_dir / "html" / "index.html"
    overview = _text(_chromium(index.as_uri(), night.report_dir / "allure-overview.png",
                               tmp_path / "p1"))
    assert "DEL-02 DELETE in any other state" in overview  # requirements group the tests
    groups = re.findall(r"\b([A-Z]+-\d\d) [A-Z`]", overview)
    assert len(groups) > 20 and groups == sorted(groups, key=allure_extras.requirement_order)
    assert re.search(r"test_\w+\[", overview), "no test names on the overview"
    assert "Target" in overview and PROJECT in overview  # the environment widget
    failure = _text(_chromium(f"{index.as_uri()}#/{_result_id(night.report_dir, FAILING_TEST)}",
                              night.report_dir / "allure-failure.png", tmp_path / "p2"))
    assert FAILING_TEST in failure and "DEL-02" in failure
    assert "Received: 200" in failure and "Failing exchange:" in failure
    assert "Category: Status gating" in failure
    categories = _text(_chromium(f"{index.as_uri()}#/categories",
                                 night.report_dir / "allure-categories.png", tmp_path / "p3"))
    assert "Status gating: DELETE by job state" in categories


def test_second_report_shows_the_first_nights_failure_in_the_tests_history(nights, tmp_path):
    _needs_node()
    _needs_chromium()
    night = nights[1]
    index = night.report_dir / "html" / "index.html"
    dom = _chromium(f"{index.as_uri()}#/{_result_id(night.report_dir, FAILING_TEST)}/history",
                    night.report_dir / "allure-history.png", tmp_path / "p")
    items = dom.split('data-testid="test-result-history-item"')[1:]
    assert len(items) == 1, "one earlier night in the history tab"
    assert 'data-testid="tree-leaf-status-failed"' in items[0]


BAD_LINE = "metastudio-conformance: --project-id is required with --target"


@pytest.fixture(scope="module")
def bad_night(nights) -> tuple[Night, Path]:
    """A third night that exits 2 (no project), published over night 2's green site, with
    its own copy of the two nights' history."""
    *_, base = nights
    history = base / "history-bad" / "allure-history.jsonl"
    shutil.copytree(base / "history", history.parent)
    shutil.copytree(base / "site2", base / "site3")
    night = _script(base, 3, {"METASTUDIO_TARGET": "http://127.0.0.1:9",
                              "METASTUDIO_TOKEN": CANARIES["METASTUDIO_TOKEN"]}, history)
    return night, history


def test_a_night_that_exits_2_publishes_what_went_wrong(bad_night):
    night, _ = bad_night
    assert night.code == 2, night.output[-3000:]
    pages = 3 if shutil.which("node") else 2  # index.html, conformance.md and .html
    assert f"published {pages} file(s)" in night.output
    assert not (night.site / "results.json").exists(), "night 2's results are still published"
    for page in ("conformance.md", "conformance.html"):
        text = (night.site / page).read_text()
        assert BAD_LINE in text and "Exit code" in text and "2 (usage or configuration" in text
        assert re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", text), page
        assert CANARIES["METASTUDIO_TOKEN"] not in text


def test_a_bad_nights_allure_page_says_it_and_keeps_the_trend(bad_night):
    _needs_node()
    night, history = bad_night
    index = night.site / "index.html"
    assert index.read_bytes() == (night.report_dir / "html" / "index.html").read_bytes()
    assert re.search(r"<title>\s*(.*?)\s*</title>", index.read_text()).group(1) == TITLE
    tests = [json.loads(data) for name, data in _embedded(index).items()
             if name.startswith("data/test-results/")]
    assert [(t["name"], t["status"]) for t in tests] == [
        ("The run ended with exit 2 (usage or configuration error)", "broken")]
    message = tests[0]["error"]["message"]
    assert "exit 2 (usage or configuration error)" in message and BAD_LINE in message
    assert len(_dynamics(index)) == 3  # the two nights before, and this one
    assert len(history.read_text().splitlines()) == 3
