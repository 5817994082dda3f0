"""The reference server as a process: usage errors, the fault list, serving and SIGTERM."""

from __future__ import annotations

import re
import signal
import subprocess

import pytest

from metastudio_conformance.reference_server.__main__ import main as cli_main
from metastudio_conformance.reference_server.faults import REGISTRY
from tests.conftest import SERVE
from tests.reference_helpers import Api


@pytest.mark.parametrize("argv", [["--ak", "a"], ["--sk", "s"], ["--fault", "nope"], ["--bogus"],
                                  ["--unknown-job-status", "500"], ["--refusal", "maybe"],
                                  ["--port", "70000"], ["--port", "abc"], ["--na-project"],
                                  ["--delay-ms", "-1"], ["--delay-ms", "soon"],
                                  ["--alt-errors", "yes"]])
def test_cli_usage_errors_exit_2_with_one_line(capsys, argv):
    try:
        code = cli_main(argv)
    except SystemExit as exc:  # argparse's own errors
        code = exc.code
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert len(err.splitlines()) == 1 and "error" in err and "Traceback" not in err


def test_cli_lists_faults(capsys):
    assert cli_main(["--list-faults"]) == 0
    rows = [line.split(None, 2) for line in capsys.readouterr().out.splitlines()]
    assert {name: req for name, req, _ in rows} == {f.name: f.requirement
                                                    for f in REGISTRY.values()}
    assert all(re.fullmatch(r"[A-Z]+-\d\d", req) and desc for _, req, desc in rows)


def test_cli_serves_then_exits_cleanly_on_sigterm():
    variants = ["--alt-errors", "--extra-fields", "--delay-ms", "50", "--unknown-job-status",
                "400", "--refusal", "excute-failed"]
    proc = subprocess.Popen([*SERVE, "--port", "0", *variants],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        banner = proc.stdout.readline().strip()
        match = re.fullmatch(r"serving on (http://127\.0\.0\.1:\d+)", banner)
        assert match, banner
        anonymous = Api(match.group(1), headers={})
        job = anonymous.seed("JOB_SUCCESS")
        assert anonymous.delete(job).status_code == 200  # auth is off
        # the variant options reached the server
        r = anonymous.show(job)
        assert r.status_code == 400 and r.elapsed.total_seconds() >= 0.05
        assert r.json()["error_code"] == "MSS.10000003"  # alt-errors' choice for 00000003
        assert r.json()["request_id"] == r.headers["X-Request-Id"]
        refused = anonymous.command(anonymous.seed("TRAINING"), {"command": "SUBMITVERIFYING"})
        assert refused.json()["commond_result"] == "EXCUTE_FAILED"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
        assert proc.stdout.read() == ""
        log = proc.stderr.read()
        assert "auth is off" in log
        assert "alt-errors=True extra-fields=True delay-ms=50" in log
    finally:
        proc.kill()
        proc.wait()
