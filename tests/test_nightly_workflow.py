"""The nightly workflow: actionlint finds nothing, the shards always hand their folder and
exit code to the merge, history outlives the Actions cache, and Pages gets only a page."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from tests.conftest import ROOT

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))


def _actionlint() -> str:
    """The actionlint of the lint extra, beside this Python, else on PATH."""
    beside = Path(sys.executable).parent / "actionlint"
    found = str(beside) if beside.is_file() else shutil.which("actionlint")
    assert found, "actionlint is missing: pip install -e '.[test,lint]'"
    return found


def test_actionlint_finds_nothing_in_the_workflows():
    assert WORKFLOWS
    done = subprocess.run([_actionlint(), "-no-color", *map(str, WORKFLOWS)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def _workflow() -> dict:
    return yaml.safe_load((ROOT / ".github" / "workflows" / "nightly.yml").read_text())


def _step(steps: list[dict], text: str) -> dict:
    return next(step for step in steps if text in step.get("uses", "") + step.get("run", ""))


def test_each_shard_uploads_its_folder_and_exit_code_whatever_happens():
    workflow = _workflow()
    job = workflow["jobs"]["shard"]
    assert job["strategy"]["matrix"]["shard"] == list(range(1, workflow["env"]["SHARDS"] + 1))
    steps = job["steps"]
    run = _step(steps, "scripts/shard.sh")
    assert "${{ matrix.shard }}/${{ env.SHARDS }}" in run["run"]
    assert "--seed ${{ github.run_id }}" in run["run"]  # one seed for every shard
    assert "continue-on-error" not in run  # a failed shard shows, after its upload
    fallback = _step(steps, "exit-code")
    upload = _step(steps, "actions/upload-artifact")
    assert fallback["if"] == upload["if"] == "always()"
    assert steps.index(run) < steps.index(fallback) < steps.index(upload)
    assert upload["with"]["name"] == "shard-${{ matrix.shard }}"
    assert upload["with"]["overwrite"] is True  # a re-run attempt uploads it again


def test_the_merge_job_names_missing_shards_and_keeps_history_in_an_artifact():
    jobs = _workflow()["jobs"]
    merge = jobs["conformance"]
    assert merge["needs"] == "shard" and "always()" in merge["if"]
    steps = merge["steps"]
    download = next(s for s in steps if s.get("with", {}).get("pattern") == "shard-*")
    missing = _step(steps, "uploaded nothing")
    nightly = next(s for s in steps if s.get("id") == "nightly")
    assert download["with"]["path"] == nightly["env"]["NIGHTLY_SHARDS_DIR"]
    assert steps.index(download) < steps.index(missing) < steps.index(nightly)
    assert not any("actions/cache" in s.get("uses", "") for s in steps)  # evicted in 7 days
    restore = next(s for s in steps if s.get("with", {}).get("name") == "allure-history"
                   and "download-artifact" in s["uses"])
    save = next(s for s in steps if s.get("with", {}).get("name") == "allure-history"
                and "upload-artifact" in s["uses"])
    assert "run-id" in restore["with"] and save["with"]["retention-days"] >= 30
    assert steps.index(restore) < steps.index(nightly) < steps.index(save)
    assert merge["permissions"]["actions"] == "read"
    script = (ROOT / "scripts" / "nightly.sh").read_text()
    assert 'set -- merge "$NIGHTLY_SHARDS_DIR"/*/ --report-dir "$report_dir"' in script


def test_pages_are_published_only_when_there_is_a_page():
    jobs = _workflow()["jobs"]
    pages = next(s for s in jobs["conformance"]["steps"] if s.get("id") == "pages")
    assert "hashFiles('site/index.html') != ''" in pages["if"]
    assert jobs["conformance"]["outputs"]["page"] == "${{ steps.pages.outcome == 'success' }}"
    assert jobs["publish"]["needs"] == "conformance"
    assert "needs.conformance.outputs.page == 'true'" in jobs["publish"]["if"]


def test_the_shard_script_records_the_code_of_a_run_that_could_not_start(tmp_path):
    folder = tmp_path / "shard-1"
    done = subprocess.run(["bash", str(ROOT / "scripts" / "shard.sh"), "1/2", str(folder)],
                          env={**os.environ, "METASTUDIO_CLI": str(tmp_path / "no-cli")},
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 127, done.stderr
    assert (folder / "exit-code").read_text().strip() == "127"
