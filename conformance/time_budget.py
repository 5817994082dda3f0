"""`--max-time` as a hard bound on the whole run, whatever the target or the suite does.

The budget is spent in four places, each bounded on its own:
- exchanges in flight: the transport's cutoff is the deadline itself (`PoliteAdapter`):
  an answer still arriving then is cut, and its test ends not covered;
- a test busy without the network (generating examples, a suite bug): `CallAlarm` raises
  in the test HARD_SLACK seconds past the deadline;
- tests not reached: the run stops (`RunContext.stopped`), and each is recorded `not-run`
  with the reason (`scope.ScopePlugin`, `run_parts.fill_unrun`);
- a worker of `--workers N` that still has not ended when its cleanup's grace is over:
  `WorkerReaper` kills it, and its tests are reported not run.
So a run ends within max_time + HARD_SLACK + the cleanup's grace + writing its reports.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time

from metastudio_conformance.outcomes import not_covered

HARD_SLACK = 2.0  # seconds past the deadline a test busy without the network may go on
REAP_SLACK = 10.0  # ... and a worker, past its cleanup's grace: writing its part


def ran_out(max_time: float) -> str:
    """Why the tests after the deadline did not run."""
    return f"the run's time budget (max_time {max_time:g} s) ran out"


class CallAlarm:
    """A SIGALRM timer around one test's call, in the main thread (where pytest and
    xdist's workers run tests); elsewhere, and where the platform has no timers, a no-op."""

    def __init__(self, deadline: float | None, max_time: float | None) -> None:
        self.deadline, self.max_time = deadline, max_time
        self._previous = None

    def usable(self) -> bool:
        return (self.deadline is not None and hasattr(signal, "setitimer")
                and threading.current_thread() is threading.main_thread())

    def __enter__(self) -> CallAlarm:
        if self.usable():
            seconds = max(self.deadline + HARD_SLACK - time.monotonic(), 0.001)
            self._previous = signal.signal(signal.SIGALRM, self._ring)
            signal.setitimer(signal.ITIMER_REAL, seconds)
        return self

    def __exit__(self, *exc_info) -> None:
        if self._previous is not None:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self._previous)
            self._previous = None

    def _ring(self, signum, frame) -> None:
        signal.setitimer(signal.ITIMER_REAL, 0)
        not_covered(f"{ran_out(self.max_time)} during this test: stopped {HARD_SLACK:g} s "
                    "past the deadline")


class WorkerReaper:
    """In the controller of `--workers N`: kills every worker still alive at `at`
    (time.monotonic()), and says so in `on_reap(line)`."""

    def __init__(self, at: float, on_reap) -> None:
        self.at, self.on_reap = at, on_reap
        self.alive: dict[str, int] = {}  # worker id -> process id
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None

    def watch(self, worker: str, pid: int | None) -> None:
        if pid is None:
            return
        with self._lock:
            self.alive[worker] = pid
            if self._timer is None:
                self._timer = threading.Timer(max(self.at - time.monotonic(), 0.0), self.reap)
                self._timer.daemon = True
                self._timer.start()

    def ended(self, worker: str) -> None:
        with self._lock:
            self.alive.pop(worker, None)

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()

    def reap(self) -> None:
        with self._lock:
            stuck = dict(self.alive)
        for worker, pid in sorted(stuck.items()):
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
            line = (f"worker {worker} had not ended when its cleanup's time was up: "
                    "stopped; its tests are reported not run, and jobs it created may be left")
            print(f"metastudio-conformance: warning: {line}", file=sys.stderr)
            self.on_reap(line)


def worker_pid(node) -> int | None:
    """The process id of an xdist worker (execnet caches it when the worker is set up)."""
    try:
        return int(node.gateway._rinfo().pid)
    except Exception:  # noqa: BLE001 - a worker we cannot name is one we cannot reap
        return None
