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


@pytest.mark.slow
def test_a_job_a_command_moved_on_serves_that_states_tests(tmp_path):
    """Without the control interface the workflow's job ends in AUTO_VERIFYING (after
    SUBMITVERIFYING); a Show finds it again, and the DELETE gate is checked there too."""
    result = run_cli(["run", "--seed", "1", "--no-control", "-k",
                      "test_documented_workflow or test_delete_in_state"], tmp_path / "reports")
    assert result.code == 0, result.stderr[-2000:]
    gate = {row["state"]: row["observed"] for row in result.results["matrices"]["delete_gate"]}
    assert set(gate) == {"WAIT_FILE_UPLOAD", "AUTO_VERIFYING"}  # Create's, and the moved one
    del_02 = next(r for r in result.results["requirements"] if r["id"] == "DEL-02")
    assert del_02["coverage"]["tried_cases"] == ["test_delete_in_state[AUTO_VERIFYING]"]


def test_a_moved_job_is_proven_anew_by_one_show():
    from types import SimpleNamespace

    from metastudio_conformance.pool import Ledger

    def answer(state: str | None, status: int = 200):
        return SimpleNamespace(status_code=status, content=(
            b'{"state": "%s"}' % state.encode() if state else b"{}"), headers={})

    def request(method: str, tail: str = ""):
        return SimpleNamespace(method=method, url=f"http://t/v1/p/digital-human-training-"
                                                  f"manage/user/jobs/j1{tail}")

    ledger = Ledger()
    ledger.before(request("POST", "/command"))  # SUBMITVERIFYING, carried out
    ledger.after(request("POST", "/command"), answer(None))
    assert ledger.moved("j1") and ledger.last_seen("j1") is None
    shown = []

    def show(job_id):
        shown.append(job_id)
        ledger.before(request("GET"))
        ledger.after(request("GET"), answer("AUTO_VERIFYING"))

    assert ledger.rebase("j1", show) == "AUTO_VERIFYING" and shown == ["j1"]
    assert not ledger.moved("j1") and ledger.untouched_in("j1", "AUTO_VERIFYING")


@pytest.mark.slow
def test_inventory_command_writes_a_file_run_accepts(tmp_path, server_factory):
    """`inventory` lists the project's jobs read-only and writes them all disposable:
    false; a person marks one, and `run --inventory` uses that one only."""
    import yaml

    server = server_factory("--token", TOKEN)
    jobs = {_seed(server, state): state for state in ("JOB_FINISH", "TRAINING", "JOB_FINISH")}
    before = {job: _show(server, job).content for job in jobs}
    out = tmp_path / "staging.inventory.yaml"
    surveyed = run_cli(["inventory", "--target", server.url, "--project-id",
                        server.project_id, "--out", str(out)], tmp_path / "unused",
                       env={"METASTUDIO_TOKEN": TOKEN})
    assert surveyed.code == 0, surveyed.stderr
    assert {job: _show(server, job).content for job in jobs} == before  # read-only
    assert "  JOB_FINISH                           2" in surveyed.stdout
    assert "would add coverage without the control interface (marked disposable): TRAINING, " \
           "JOB_FINISH" in surveyed.stdout
    listed = yaml.safe_load(out.read_text())["jobs"]
    assert sorted((row["job_id"], row["state"], row["disposable"]) for row in listed) == sorted(
        (job, state, False) for job, state in jobs.items())
    chosen = next(job for job, state in jobs.items() if state == "JOB_FINISH")
    out.write_text(out.read_text().replace(f"job_id: {chosen}\n  state: JOB_FINISH\n"
                                           "  disposable: false",
                                           f"job_id: {chosen}\n  state: JOB_FINISH\n"
                                           "  disposable: true"))
    result = run_cli([*server.run_args(), "--no-control", "--inventory", str(out),
                      "-k", "test_delete_in_state"], tmp_path / "reports",
                     env={"METASTUDIO_TOKEN": TOKEN})
    assert result.code == 0, result.stderr[-2000:]
    assert _show(server, chosen).status_code == 404  # the one marked, used by the DELETE gate
    assert all(_show(server, job).status_code == 200 for job in jobs if job != chosen)


def test_inventory_without_a_target_is_one_line(tmp_path):
    result = run_cli(["inventory"], tmp_path / "r", env={"METASTUDIO_TOKEN": TOKEN})
    assert result.code == 2
    assert result.stderr.strip().splitlines()[-1].startswith("metastudio-conformance: ")
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_settle_time_waits_for_a_job_the_service_moves_by_itself(tmp_path, server_factory):
    """A service whose automatic review fails a job AUTO_VERIFYING after 2 s: with
    --settle-time the workflow's job is used in AUTO_VERIFYING, then waited for, and used
    again in AUTO_VERIFY_FAILED; the DELETE gate has three states, one reached only by
    waiting. Without it, that state is not reached, and nothing is misjudged."""
    server = server_factory("--token", TOKEN, "--auto-verify-after", "2")
    select = ["-k", "test_documented_workflow or test_delete_in_state"]
    waited = run_cli([*server.run_args(), "--no-control", "--settle-time", "10", *select],
                     tmp_path / "waited", env={"METASTUDIO_TOKEN": TOKEN})
    assert waited.code == 0, waited.stderr[-2000:]
    gate = {row["state"]: row["observed"] for row in waited.results["matrices"]["delete_gate"]}
    assert gate == {"WAIT_FILE_UPLOAD": 200, "AUTO_VERIFYING": 400, "AUTO_VERIFY_FAILED": 200}
    assert waited.statuses()["DEL-01"] == waited.statuses()["DEL-02"] == "partial"
    assert waited.results["duration_s"] < 60
    plain = run_cli([*server.run_args(), "--no-control", *select], tmp_path / "plain",
                    env={"METASTUDIO_TOKEN": TOKEN})
    assert plain.code == 0, plain.stderr[-2000:]
    assert "AUTO_VERIFY_FAILED" not in {
        row["state"] for row in plain.results["matrices"]["delete_gate"]}
