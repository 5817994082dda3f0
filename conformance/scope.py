"""Which tests run here, and what the tests that did not run say.

`--shard i/N` keeps this machine's part of the collected tests (`shards`); the others are
recorded as another shard's. `--max-failures N` (pytest's `--maxfail`, `-x` is 1) stops
the run after N failing tests; at the end every collected test that never ran is recorded
as not covered with the reason, so a requirement it alone covers says why. Under
`--workers` the controller does that once, from the workers' parts (`workers`).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from metastudio_conformance import ordering, run_parts, shards
from metastudio_conformance.context import RunContext
from metastudio_conformance.status import Placeholder


class ScopePlugin:
    name = "metastudio-conformance-scope"

    def __init__(self, context: RunContext, worker: bool = False) -> None:
        self.context = context
        self.worker = worker
        self.collected: dict[str, list[str]] = {}  # node id -> claimed requirements
        self.failures = 0

    def pytest_configure(self, config) -> None:
        self.config = config

    @pytest.hookimpl(trylast=True)  # after -k, the claims check and the run order
    def pytest_collection_modifyitems(self, config, items) -> None:
        from metastudio_conformance.run_plugin import marks_of

        settings = self.context.settings
        if settings.shard:
            mine, others = shards.split(items, settings.shard, settings.max_examples)
            items[:] = mine
            for item in others:
                self.context.recorder.not_run(item.nodeid, marks_of(item).claims,
                                              Placeholder.OTHER_SHARD,
                                              shards.elsewhere(settings.shard))
        self.collected = {item.nodeid: marks_of(item).claims for item in items}  # in the
        # suite's order, which results.json keeps
        workers = getattr(config, "workerinput", {}).get("workercount")
        if self.worker and workers:  # long tests first, dealt evenly over the workers
            phases = (list(ordering.first_cases(items, marks_of)) if settings.max_requests
                      else None)  # with a budget: each worker's first cases first
            items[:] = shards.deal(items, workers, settings.max_examples, phases)

    def pytest_runtest_logreport(self, report) -> None:
        """Failing tests of the whole run: here, or in the controller of the workers."""
        if self.worker or not report.failed:
            return
        self.failures += 1
        limit = self.config.getvalue("maxfail")
        if limit and self.failures >= limit and not self.context.stopped:
            self.context.stopped = (f"the run stopped after {limit} failure(s) "
                                    "(--max-failures)")
            if self.config.getoption("numprocesses", None):  # tell the workers
                self._stop_file().write_text(self.context.stopped)

    def pytest_runtest_logfinish(self, nodeid) -> None:
        """A worker stops after its test when the controller has stopped the run: xdist
        would have it run every test already queued to it first."""
        if self.worker and self._stop_file().exists():
            self.session.shouldstop = self._stop_file().read_text()

    def pytest_sessionstart(self, session) -> None:
        self.session = session

    def _stop_file(self) -> Path:
        settings = self.context.settings
        return settings.report_dir / f".stop-{settings.run_id}"

    def pytest_sessionfinish(self, session, exitstatus) -> None:
        if self.worker:
            return
        self._stop_file().unlink(missing_ok=True)
        context = self.context
        if context.stopped:
            reason = context.stopped
        elif context.abort_reason:
            reason = f"the run stopped early: {context.abort_reason}"
        elif exitstatus == pytest.ExitCode.INTERRUPTED:
            reason = "the run was interrupted before this test"
        elif context.settings.workers > 1:
            reason = "the run ended before this test ran (a worker stopped)"
        else:
            reason = f"the run ended before this test ran (pytest exited with {exitstatus})"
        run_parts.fill_unrun(context, list(self.collected.items()), reason)
        order = {nodeid: index for index, nodeid in enumerate(self.collected)}
        context.recorder.tests.sort(key=lambda test: order.get(test["id"], -1))  # workers'
        # parts arrive in any order; placeholders of tests that were not to run come first
