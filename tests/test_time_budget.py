"""`--max-time` is a hard bound on the whole run (conformance/time_budget.py): a test busy
without the network is stopped, a stuck worker is killed, and a whole run against a target
that stops answering mid-run ends within max_time + the cleanup's grace + 15 s, with its
reports and every test it did not reach recorded as not run."""

from __future__ import annotations

import subprocess
import sys
import time

import execnet
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from metastudio_conformance import time_budget
from metastudio_conformance.outcomes import NotCovered
from metastudio_conformance.time_budget import CallAlarm, WorkerReaper, worker_pid
from metastudio_conformance.transport import grace_for
from tests import hostile_servers as hostile
from tests.test_exchange_bounds import PEAK_RSS_LIMIT, _run_measured


def test_a_test_busy_without_the_network_is_stopped_past_the_deadline(monkeypatch):
    monkeypatch.setattr(time_budget, "HARD_SLACK", 0.2)
    started = time.monotonic()
    with pytest.raises(NotCovered, match=r"^the run's time budget \(max_time 7 s\) ran out "
                                         r"during this test: stopped 0\.2 s past the deadline$"):
        with CallAlarm(started + 0.1, 7.0):
            while True:
                pass
    assert time.monotonic() - started < 1.0


def test_the_alarm_stops_a_hypothesis_test_and_is_disarmed_after(monkeypatch):
    monkeypatch.setattr(time_budget, "HARD_SLACK", 0.2)

    @settings(deadline=None, max_examples=10**6, database=None)
    @given(st.integers())
    def generating_forever(number):
        time.sleep(0.01)

    started = time.monotonic()
    with pytest.raises(NotCovered):
        with CallAlarm(started, 1.0):
            generating_forever()
    assert time.monotonic() - started < 2.0
    with CallAlarm(time.monotonic() + 60, 60.0):
        time.sleep(0.3)  # far from its deadline: nothing rings, and nothing rings later
    time.sleep(0.4)


def test_a_test_that_ends_in_time_is_untouched(monkeypatch):
    monkeypatch.setattr(time_budget, "HARD_SLACK", 0.1)
    with CallAlarm(time.monotonic() + 0.2, 1.0):
        pass
    time.sleep(0.5)  # the timer was disarmed: no NotCovered arrives here


def test_no_budget_arms_nothing():
    assert not CallAlarm(None, None).usable()
    with CallAlarm(None, None):
        time.sleep(0.05)


def test_a_worker_still_alive_at_its_time_is_killed_and_named(capsys):
    stuck = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    done = subprocess.Popen([sys.executable, "-c", "pass"])
    done.wait()
    lines = []
    reaper = WorkerReaper(time.monotonic() + 0.3, lines.append)
    reaper.watch("gw1", stuck.pid)
    reaper.watch("gw0", done.pid)
    reaper.ended("gw0")  # it reported: never killed
    started = time.monotonic()
    assert stuck.wait(timeout=5) == -9
    assert time.monotonic() - started < 2.0
    assert lines == ["worker gw1 had not ended when its cleanup's time was up: stopped; its "
                     "tests are reported not run, and jobs it created may be left"]
    assert "warning: worker gw1 had not ended" in capsys.readouterr().err


def test_a_reaper_stopped_in_time_kills_nobody():
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(2)"])
    reaper = WorkerReaper(time.monotonic() + 0.2, lambda line: pytest.fail(line))
    reaper.watch("gw0", sleeper.pid)
    reaper.stop()
    assert sleeper.wait(timeout=5) == 0


def test_the_pid_of_an_xdist_worker_is_found_as_xdist_starts_it():
    class Node:  # what pytest_configure_node hands the controller
        gateway = execnet.makegateway("execmodel=main_thread_only//popen")

    try:
        Node.gateway._rinfo()  # xdist's WorkerController.setup caches it first
        channel = Node.gateway.remote_exec("import os; channel.send(os.getpid())")
        assert worker_pid(Node) == channel.receive(timeout=10)
    finally:
        Node.gateway.exit()
    assert worker_pid(object()) is None


def _never_answers(conn, listener, request) -> None:
    """Show, command and DELETE: the request is read, then nothing until the end."""
    listener.stop_event.wait()


@pytest.mark.slow
@pytest.mark.parametrize("workers", [1, 2])
def test_a_run_whose_target_stops_answering_ends_within_max_time(workers, tmp_path):
    max_time, request_timeout = 12, 4
    bound = max_time + grace_for(request_timeout) + 15
    with hostile.serving(hostile.api_preflight(_never_answers)) as listener:
        started = time.monotonic()
        result, peak = _run_measured(
            ["run", "--target", listener.url, "--project-id", "0" * 31 + "1", "--seed", "1",
             "--max-time", str(max_time), "--workers", str(workers),
             "-k", "test_unknown_job_is_not_found or test_delete_in_state"],
            tmp_path / "reports",
            env={"METASTUDIO_TOKEN": "t", "METASTUDIO_REQUEST_TIMEOUT": str(request_timeout)},
            timeout=bound + 30)
    seconds = time.monotonic() - started
    assert seconds < bound, seconds
    assert peak < PEAK_RSS_LIMIT, f"peak RSS {peak >> 20} MiB"
    assert "Traceback (most recent" not in result.stdout + result.stderr
    assert result.code in (1, 4, 5), result.stderr
    results = result.results
    assert results["stopped"] == f"the run's time budget (max_time {max_time} s) ran out"
    not_run = [test for test in results["tests"] if test["outcome"] == "not-run"]
    assert not_run, [test["outcome"] for test in results["tests"]]
    assert {test["reason"] for test in not_run} == {results["stopped"]}
    assert (result.report_dir / "conformance.md").is_file()
    assert "ran out" in result.stdout
