"""The distribution as users get it: a wheel with everything under one namespace, the
contract and models inside, and the main job running from it in an empty folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # builds the wheel and runs the suite from it

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                    "--no-build-isolation", "-w", str(out), str(ROOT)],
                   check=True, capture_output=True, timeout=300)
    (built,) = out.glob("*.whl")
    return built


def test_wheel_installs_one_namespace_with_its_data(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    tops = {name.split("/")[0] for name in names}
    assert tops == {"metastudio_conformance", wheel.name.split("-")[0] + "-"
                    + wheel.name.split("-")[1] + ".dist-info"}
    for data in ("openapi/training-jobs.yaml", "openapi/control.yaml",
                 "lifecycle_models/reference.yaml", "reports/package-lock.json",
                 "reports/.npmrc", "suite/test_properties.py"):
        assert f"metastudio_conformance/{data}" in names


def test_main_job_runs_from_the_unpacked_wheel_in_an_empty_folder(wheel, tmp_path):
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    empty = tmp_path / "empty"
    empty.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site)}
    where = subprocess.run([sys.executable, "-c", "import metastudio_conformance as m; "
                            "print(m.__file__)"], cwd=empty, env=env, capture_output=True,
                           text=True, check=True).stdout
    assert where.startswith(str(site)), where  # the wheel's copy, not the checkout's
    done = subprocess.run([sys.executable, "-m", "metastudio_conformance.cli", "run",
                           "--seed", "5", "--max-examples", "3", "-k", "delete_in_state"],
                          cwd=empty, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    results = json.loads((empty / "conformance-reports/latest/results.json").read_text())
    rows = {row["id"]: row for row in results["requirements"]}
    # -k leaves DEL-01's and DEL-02's other tests out: passed on the 53 states, partial
    assert [(rows[rid]["status"], rows[rid]["coverage"]["tried"]) for rid in ("DEL-01", "DEL-02")
            ] == [("partial", 11), ("partial", 42)]
    version = subprocess.run([sys.executable, "-m", "metastudio_conformance.cli", "--version"],
                             cwd=empty, env=env, capture_output=True, text=True)
    assert version.stdout.strip() == f"metastudio-conformance {wheel.name.split('-')[1]}"


def test_pytest_entry_point_runs_the_suite_green_against_the_bundled_server(tmp_path):
    """`pytest --pyargs metastudio_conformance.suite` with the CLI's options goes the CLI's
    way: the bundled server, results.json and the conformance report."""
    done = subprocess.run([sys.executable, "-m", "pytest", "--pyargs",
                           "metastudio_conformance.suite", "-p", "no:cacheprovider", "-q",
                           "--seed", "9", "--max-examples", "3", "--report-dir",
                           str(tmp_path / "out"), "-k", "delete_in_state or unknown_job"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    statuses = {row["id"]: row["status"] for row in results["requirements"]}
    assert statuses["DEL-01"] == statuses["DEL-02"] == "partial"  # -k: the 53 states only
    assert statuses["MOD-03"] == "pass"  # all three of its cases
    assert results["seed"] == 9 and "-k" in results["replay"]
    assert (tmp_path / "out" / "conformance.html").exists()


def test_pytest_entry_point_refuses_a_bad_setting_in_one_line(tmp_path):
    done = subprocess.run([sys.executable, "-m", "pytest", "--pyargs",
                           "metastudio_conformance.suite", "-p", "no:cacheprovider",
                           "--max-time", "-5"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 4  # pytest's usage error
    assert "max_time (--max-time) must be a positive number of seconds" in done.stderr
    assert "Traceback" not in done.stderr


def test_learn_run_model_and_diff_from_the_unpacked_wheel(wheel, tmp_path):
    """The learned-model commands need nothing from the checkout: learn the bundled server,
    hold it to what it learned, and diff the model with itself."""
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    empty = tmp_path / "empty"
    empty.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site)}
    cli = [sys.executable, "-m", "metastudio_conformance.cli"]
    quick = ["--seed", "5", "-k", "test_unknown_job_is_not_found or delete_in_state"]
    learned = subprocess.run([*cli, "learn", "--out", "bundled.model.yaml", *quick],
                             cwd=empty, env=env, capture_output=True, text=True, timeout=300)
    assert learned.returncode == 0, learned.stderr[-2000:]
    held = subprocess.run([*cli, "run", "--model", "bundled.model.yaml", *quick], cwd=empty,
                          env=env, capture_output=True, text=True, timeout=300)
    assert held.returncode == 0, held.stderr[-2000:]
    results = json.loads((empty / "conformance-reports/latest/results.json").read_text())
    assert results["learned_model"]["learned_from"] == "the bundled reference server"
    same = subprocess.run([*cli, "diff", "bundled.model.yaml", "bundled.model.yaml"],
                          cwd=empty, env=env, capture_output=True, text=True)
    assert same.returncode == 0 and "agree" in same.stdout
