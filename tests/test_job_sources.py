"""Where jobs come from on targets without the control interface, and how many live."""

from __future__ import annotations

import pytest
import requests

from metastudio_conformance.auth import TokenAuth
from tests.conftest import run_cli

TOKEN = "job-sources-token"


def _seed(server, state: str) -> str:
    response = requests.post(f"{server.url}/conformance/v1/{server.project_id}/jobs",
                             json={"state": state}, auth=TokenAuth(TOKEN), timeout=10)
    return response.json()["job_id"]


def _show(server, job_id: str) -> requests.Response:
    return requests.get(f"{server.url}/v1/{server.project_id}/digital-human-training-manage/"
                        f"user/jobs/{job_id}", auth=TokenAuth(TOKEN), timeout=10)


@pytest.mark.slow
def test_inventory_uses_only_disposable_jobs_in_their_listed_state(tmp_path, server_factory):
    server = server_factory("--token", TOKEN)
    disposable = _seed(server, "JOB_FINISH")
    precious = _seed(server, "JOB_FINISH")
    mislisted = _seed(server, "TRAINING")
    inventory = tmp_path / "inventory.yaml"
    inventory.write_text(
        f"jobs:\n"
        f"  - {{job_id: {precious}, state: JOB_FINISH}}\n"
        f"  - {{job_id: {disposable}, state: JOB_FINISH, disposable: true}}\n"
        f"  - {{job_id: {mislisted}, state: WAIT_USER_CONFIRM, disposable: true}}\n"
    )
    before = {job: _show(server, job).content for job in (precious, mislisted)}
    result = run_cli([*server.run_args(), "--no-control", "--inventory", str(inventory),
                      "-k", "test_delete_in_state"], tmp_path / "reports",
                     env={"METASTUDIO_TOKEN": TOKEN})
    assert result.code == 0, result.stderr[-2000:]
    assert _show(server, disposable).status_code == 404  # used by DELETE in JOB_FINISH
    assert {job: _show(server, job).content for job in before} == before
    statuses = result.statuses()
    # WAIT_FILE_UPLOAD by Create, JOB_FINISH by inventory: two of the 11 deletable states
    assert statuses["DEL-01"] == "partial"
    del_01 = next(r for r in result.results["requirements"] if r["id"] == "DEL-01")
    assert sorted(del_01["coverage"]["tried_cases"]) == [
        "test_delete_in_state[JOB_FINISH]", "test_delete_in_state[WAIT_FILE_UPLOAD]"]
    assert statuses["DEL-02"] == "not-covered"
    evidence = next(r["evidence"] for r in result.results["requirements"] if r["id"] == "DEL-02")
    assert "no control interface" in evidence and "inventory" in evidence


@pytest.mark.slow
def test_max_live_jobs_caps_the_runs_jobs(tmp_path, server_factory):
    server = server_factory("--token", TOKEN)
    result = run_cli([*server.run_args(), "--max-live-jobs", "5",
                      "-k", "test_commands_standard_tenant"], tmp_path / "reports",
                     env={"METASTUDIO_TOKEN": TOKEN})
    # A state's commands need one job, and one more for each the model expects carried
    # out; jobs left in states that refuse DELETE fill the cap, and then the remaining
    # states are not covered, saying why.
    assert result.code == 0, result.stderr[-2000:]
    assert result.statuses()["CMD-09"] == "partial"  # -k, and the cap: not every state
    listed = requests.get(f"{server.url}/v1/{server.project_id}/digital-human-training-manage/"
                          f"user/jobs", params={"limit": "100"}, auth=TokenAuth(TOKEN),
                          timeout=10).json()
    assert listed["count"] <= 5  # what is left cannot be deleted, and never more than 5
    capped = [t for t in result.results["tests"] if t["status"] == "not-covered"]
    assert capped and all("max_live_jobs" in t["reason"] for t in capped)
