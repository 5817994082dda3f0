"""Safe on shared targets: foreign jobs untouched, leftovers cleaned, secrets never written."""

from __future__ import annotations

import json

import pytest
import requests

from metastudio_conformance.auth import TokenAuth
from tests.conftest import NA_PROJECT, run_cli

CANARY_TOKEN = "canary-token-7f3a9c"
CANARY_SK = "canary-secret-key-55e1"
SELECTION = "test_delete_in_state or test_documented_workflow or test_operation"


def _control(server, token: str, state: str, project: str) -> str:
    response = requests.post(f"{server.url}/conformance/v1/{project}/jobs",
                             json={"state": state}, auth=TokenAuth(token), timeout=10)
    assert response.status_code == 201, response.text
    return response.json()["job_id"]


def _show(server, token: str, project: str, job_id: str) -> bytes:
    response = requests.get(
        f"{server.url}/v1/{project}/digital-human-training-manage/user/jobs/{job_id}",
        auth=TokenAuth(token), timeout=10)
    return response.content


def _jobs_url(server) -> str:
    return f"{server.url}/v1/{server.project_id}/digital-human-training-manage/user/jobs"


def _create(server, token: str, batch: str, tags: list[str]) -> str:
    """A job made with the real Create, as a run (or someone else) would make it."""
    response = requests.post(_jobs_url(server), json={"name": "x", "batch_name": batch,
                                                      "tags": tags},
                             auth=TokenAuth(token), timeout=10)
    assert response.status_code == 200, response.text
    return response.json()["job_id"]


def _status(server, token: str, job_id: str) -> int:
    return requests.get(f"{_jobs_url(server)}/{job_id}", auth=TokenAuth(token),
                        timeout=10).status_code


@pytest.mark.slow
def test_foreign_jobs_are_left_byte_for_byte_unchanged(tmp_path, server_factory):
    token = "foreign-test-token"
    server = server_factory("--token", token)
    foreign = [(project, _control(server, token, state, project))
               for project in (server.project_id, NA_PROJECT)
               for state in ("WAIT_FILE_UPLOAD", "JOB_FINISH", "WAIT_USER_CONFIRM", "TRAINING")]
    before = {job: _show(server, token, project, job) for project, job in foreign}
    result = run_cli([*server.run_args(), "--seed", "3"], tmp_path / "reports",
                     env={"METASTUDIO_TOKEN": token})
    assert result.code == 0, result.stderr[-2000:]
    after = {job: _show(server, token, project, job) for project, job in foreign}
    assert after == before


def test_cleanup_removes_only_the_runs_leftovers(tmp_path, server_factory):
    token = "cleanup-test-token"
    server = server_factory("--token", token)
    mine = [_create(server, token, "msc-run-1", ["metastudio-conformance", "msc-run-1"])
            for _ in range(3)]
    lookalike = _create(server, token, "msc-run-1", ["someone-else"])  # not tagged by the run
    other_run = _create(server, token, "msc-run-2", ["metastudio-conformance", "msc-run-2"])
    result = run_cli(["cleanup", "--run-id", "msc-run-1", "--target", server.url,
                      "--project-id", server.project_id], tmp_path / "reports",
                     env={"METASTUDIO_TOKEN": token}, timeout=60)
    assert result.code == 0, result.stderr
    assert "deleted 3 job(s)" in result.stdout
    status = {job: _status(server, token, job) for job in [*mine, lookalike, other_run]}
    assert [status[job] for job in mine] == [404, 404, 404]
    assert status[lookalike] == 200 and status[other_run] == 200


def test_no_secret_in_any_output(tmp_path, server_factory):
    # A faulty server makes failures, so transcripts and curl lines get written too.
    server = server_factory("--token", CANARY_TOKEN, "--fault", "no-request-id")
    for auth_env in ({"METASTUDIO_TOKEN": CANARY_TOKEN},
                     {"METASTUDIO_AK": server.ak, "METASTUDIO_SK": server.sk}):
        report_dir = tmp_path / next(iter(auth_env)).lower() / "reports"
        result = run_cli([*server.run_args(), "--seed", "5", "--max-examples", "10",
                          "-k", SELECTION], report_dir, env=auth_env)
        assert result.code == 1, result.stderr[-2000:]
        secrets = [CANARY_TOKEN, server.sk]
        outputs = {"stdout": result.stdout, "stderr": result.stderr}
        outputs.update({str(p): p.read_text(errors="replace")
                        for p in report_dir.rglob("*") if p.is_file()})
        assert any("allure-results" in name for name in outputs)
        assert (report_dir / "junit.xml").exists()
        for name, text in outputs.items():
            for secret in secrets:
                assert secret not in text, f"{secret[:6]}... leaked into {name}"
            assert "Signature=" not in text or "Signature=[redacted]" in text, name


def test_secret_given_on_the_command_line_is_also_redacted(tmp_path, server_factory):
    server = server_factory("--token", CANARY_TOKEN, "--fault", "no-request-id")
    result = run_cli([*server.run_args(), "--token", CANARY_TOKEN, "--max-examples", "5",
                      "-k", "test_operation"], tmp_path / "reports")
    assert result.code == 1
    assert "warning: --token on the command line" in result.stderr
    written = json.dumps([p.read_text(errors="replace")
                          for p in (tmp_path / "reports").rglob("*") if p.is_file()])
    assert CANARY_TOKEN not in written + result.stdout + result.stderr


def test_non_loopback_target_needs_allow_writes(tmp_path):
    # Never contacted: the preflight fails first, but the settings show the gating.
    from metastudio_conformance import config

    settings = config.validate({"target": "https://metastudio.example.com",
                                "project_id": "p", "token": "t"})
    assert (settings.writes_allowed, settings.max_examples, settings.rate_limit) == (
        False, 10, "5/s")
    allowed = config.validate({"target": "https://metastudio.example.com", "project_id": "p",
                               "token": "t", "allow_writes": True, "max_examples": 30})
    assert (allowed.writes_allowed, allowed.max_examples) == (True, 30)
    assert config.validate({"target": "https://x.example", "project_id": "p", "token": "t",
                            "disposable": "true"}).writes_allowed


@pytest.mark.slow
def test_ctrl_c_still_cleans_up(tmp_path, server_factory):
    import os
    import signal
    import subprocess
    import sys
    import time

    token = "interrupt-test-token"
    # Each answer 10 ms late: the run outlasts the poll below by seconds, so the interrupt
    # lands mid-run
    server = server_factory("--token", token, "--delay-ms", "10")
    environ = {**{k: v for k, v in os.environ.items() if not k.startswith("METASTUDIO_")},
               "METASTUDIO_TOKEN": token}
    process = subprocess.Popen(
        [sys.executable, "-m", "metastudio_conformance.cli", *server.run_args(), "--seed", "4",
         "--report-dir", str(tmp_path / "reports"), "-k", "test_lifecycle or test_workflow"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environ,
        # Ctrl-C as a terminal sends it: a shell without job control starts background
        # commands with SIGINT ignored, and the child would inherit that
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    run_id = process.stderr.readline().split()[2]
    jobs_url = _jobs_url(server)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # interrupt once the run has created some jobs
        listed = requests.get(jobs_url, params={"batch_name": run_id}, auth=TokenAuth(token),
                              timeout=10).json()
        if listed["count"]:
            break
        time.sleep(0.2)
    assert process.poll() is None, "the run ended before it could be interrupted"
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr
    # No interrupt banner with the suite's own paths; one line says what happened.
    assert "KeyboardInterrupt" not in stdout + stderr, stdout[-2000:]
    assert "metastudio-conformance: interrupted" in stderr
    left = requests.get(jobs_url, params={"batch_name": run_id, "limit": "100"},
                        auth=TokenAuth(token), timeout=10).json()["jobs"]
    from metastudio_conformance.requirements import delete_allowed

    assert [job for job in left if delete_allowed(job["state"])] == []


def test_end_of_run_cleanup_finds_a_job_whose_create_answer_was_lost(server_factory):
    # Ctrl-C during Create: the server made the job, the run never saw its id.
    import dataclasses

    from metastudio_conformance import config
    from metastudio_conformance.client import ApiClient
    from metastudio_conformance.jobs import JobFactory

    token = "lost-answer-token"
    server = server_factory("--token", token)
    settings = dataclasses.replace(
        config.validate({"target": server.url, "project_id": server.project_id,
                         "token": token}), run_id="msc-lost-1")
    with requests.Session() as session:
        factory = JobFactory(ApiClient(settings, session))
        tracked = factory.create()["job_id"]
        lost = _create(server, token, "msc-lost-1", ["metastudio-conformance", "msc-lost-1"])
        lookalike = _create(server, token, "msc-lost-1", ["someone-else"])
        factory.cleanup()

    assert [_status(server, token, job) for job in (tracked, lost, lookalike)] == [404, 404, 200]
