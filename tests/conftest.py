"""Helpers for the project's own tests: run the CLI and the reference server as processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

SERVE = (sys.executable, "-m", "metastudio_conformance.reference_server")

ROOT = Path(__file__).resolve().parent.parent
NA_PROJECT = "f" * 32  # every test server is started with this NA project
TIERS = ("faults", "reports", "slow")  # the marks that keep a test out of the fast tier


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook reads the groups
def pytest_collection_modifyitems(items):
    """Tiers and workers: a test with none of TIERS' marks is `fast` (`pytest -m fast`);
    tests that share a module- or session-scoped fixture (a whole CLI run, a built wheel)
    go to one xdist worker (`--dist loadgroup`), so the fixture is paid for once."""
    for item in items:
        if not any(item.get_closest_marker(mark) for mark in TIERS):
            item.add_marker(pytest.mark.fast)
        definitions = getattr(item, "_fixtureinfo", None)
        shared = definitions and any(
            defs[-1].scope in ("module", "session") and defs[-1].baseid != ""
            for defs in definitions.name2fixturedefs.values())
        if shared and not item.get_closest_marker("xdist_group"):
            item.add_marker(pytest.mark.xdist_group(item.nodeid.split("::")[0]))
    # Groups first: each goes to one worker whole (a module's shared run, ~1 min for
    # test_workers), so the single tests left at the end keep both workers busy.
    items.sort(key=lambda item: not item.get_closest_marker("xdist_group"))


@dataclass
class CliResult:
    code: int
    stdout: str
    stderr: str
    report_dir: Path

    @property
    def results(self) -> dict:
        return json.loads((self.report_dir / "results.json").read_text())

    def statuses(self) -> dict[str, str]:
        return {row["id"]: row["status"] for row in self.results["requirements"]}

    def failed(self) -> set[str]:
        return {rid for rid, status in self.statuses().items() if status == "fail"}


def run_cli(args: list[str], report_dir: Path, env: dict | None = None,
            timeout: float = 600) -> CliResult:
    """`metastudio-conformance ARGS` in a child process, with a clean METASTUDIO_* env."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("METASTUDIO_")}
    environ.update(env or {})
    report_dir.parent.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "metastudio_conformance.cli", *args]
    if args and args[0] == "run":
        command += ["--report-dir", str(report_dir)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                          env=environ, cwd=report_dir.parent)
    return CliResult(done.returncode, done.stdout, done.stderr, report_dir)


@dataclass
class Server:
    url: str
    project_id: str
    ak: str
    sk: str
    process: subprocess.Popen

    def run_args(self) -> list[str]:
        return ["run", "--target", self.url, "--project-id", self.project_id,
                "--na-project-id", NA_PROJECT, "--other-project-id", NA_PROJECT]

    def env(self) -> dict[str, str]:
        return {"METASTUDIO_AK": self.ak, "METASTUDIO_SK": self.sk}


def start_server(*options: str) -> Server:
    """The reference server as a process on a free port, ready when it prints its banner."""
    project, ak, sk = "0" * 31 + "1", "AKTESTKEY0000001", "test-secret-key"
    process = subprocess.Popen(
        [*SERVE, "--port", "0", "--ak", ak, "--sk", sk,
         "--na-project", NA_PROJECT, *options],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    banner = process.stdout.readline().strip()
    assert banner.startswith("serving on "), banner
    return Server(banner.removeprefix("serving on "), project, ak, sk, process)


@pytest.fixture
def server_factory():
    started: list[Server] = []

    def start(*options: str) -> Server:
        server = start_server(*options)
        started.append(server)
        return server

    yield start
    for server in started:
        server.process.terminate()
        server.process.wait(timeout=10)
