"""Allure files each test by the run's verdict: a conformance failure is failed under its
requirement, whatever raised it; broken is a suite error only; not covered and disabled
are categories of their own (`reports/allurerc.mjs`, matched here as Allure 3 does)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

from metastudio_conformance.reports import allure_extras
from tests.conftest import NA_PROJECT, ROOT, run_cli

SELECTED = ("test_documented_request or test_undocumented_command_is_refused "
            "or test_confirm_answer_returns_attachment_urls")
DUMP = ("import(process.argv[1]).then(m => console.log(JSON.stringify(m.default.categories,"
        " (k, v) => v instanceof RegExp ? {source: v.source, flags: v.flags} : v)))")


def _categories() -> list[dict]:
    done = subprocess.run(["node", "-e", DUMP, str(ROOT / "reports" / "allurerc.mjs")],
                          capture_output=True, text=True, check=True, timeout=60)
    return json.loads(done.stdout)


def _category(categories: list[dict], status: str, message: str) -> str | None:
    """The first category one of whose matchers takes the test, as Allure 3 files it."""
    for category in categories:
        matchers = category["matchers"]
        for matcher in matchers if isinstance(matchers, list) else [matchers]:
            pattern = matcher.get("message")
            if status in matcher.get("statuses", [status]) and (pattern is None or re.search(
                    pattern["source"], message, re.I if "i" in pattern["flags"] else 0)):
                return category["name"]
    return None


@pytest.mark.reports
@pytest.mark.skipif(shutil.which("node") is None, reason="reading allurerc.mjs needs Node")
def test_each_test_is_filed_by_its_verdict(tmp_path, server_factory):
    server = server_factory("--fault", "delete-in-training", "--fault",
                            "unknown-command-accepted")
    args = ["run", "--target", server.url, "--project-id", server.project_id,  # no NA project
            "--other-project-id", NA_PROJECT, "--seed", "5", "--max-examples", "5",
            "--no-shrink", "-k", SELECTED]
    result = run_cli(args, tmp_path / "reports", env=server.env())
    assert result.code == 1, result.stderr[-2000:]
    categories = _categories()
    filed = {}
    for path in (result.report_dir / "allure-results").glob("*-result.json"):
        test = json.loads(path.read_text(encoding="utf-8"))
        message = (test.get("statusDetails") or {}).get("message", "")
        stories = [label["value"] for label in test["labels"] if label["name"] == "story"]
        filed[test["name"]] = (test["status"], _category(categories, test["status"], message),
                               stories)
    # a schemathesis FailureGroup: failed, in DEL-02's group, not a suite error
    assert filed["test_documented_request[a-DELETE-the-state-refuses]"] == (
        "failed", "Status gating: DELETE by job state, NA-only commands by tenant",
        ["DEL-02 DELETE in any other state is refused with the error body and the job is "
         "unchanged"])
    status, category, stories = filed["test_undocumented_command_is_refused"]  # a Violation
    assert (status, category) == ("failed", "Request validation: what must be refused or "
                                            "accepted")
    assert [story.split()[0] for story in stories] == ["CMD-02"]
    assert filed["test_confirm_answer_returns_attachment_urls"][:2] == (
        "skipped", "Not covered by this run")
    assert not [name for name, (status, _, _) in filed.items() if status == "broken"]


@pytest.mark.skipif(shutil.which("node") is None, reason="reading allurerc.mjs needs Node")
def test_disabled_and_suite_errors_have_categories_of_their_own():
    categories = _categories()
    cases = {
        "disabled": ("skipped", "Disabled by configuration"),
        "error": ("broken", "Infrastructure or suite error"),
        "fail": ("failed", "Other conformance failures"),
    }
    for verdict, expected in cases.items():
        record = {"status": verdict, "reason": "writes are off", "by_requirement": {
            "CMD-10": verdict}, "evidence": {"CMD-10": "writes are off"}}
        filed = allure_extras.verdict_of(record, {"status": "broken"})
        message = filed["statusDetails"]["message"]
        assert (filed["status"], _category(categories, filed["status"], message)) == expected
    assert allure_extras.verdict_of({"status": "pass", "by_requirement": {}}, {}) == {}
