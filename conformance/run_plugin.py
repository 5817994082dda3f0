"""The pytest plugin of a conformance run: pytest's hooks wired to the run's context.

It hands the run's settings, clients and job factories to the tests as fixtures, turns
`requirement` markers into Allure labels, and records each test's outcome per
requirement (`conformance.results`) for the console, `results.json` and the reports.
"""

from __future__ import annotations

import time

import allure
import hypothesis
import hypothesis.configuration
import pytest

from metastudio_conformance import (
    checks,
    hypothesis_cache,
    latency,
    ordering,
    printable,
    recorder,
    report_guard,
    requirements,
    selection,
    time_budget,
)
from metastudio_conformance import schema as contract_schema
from metastudio_conformance.context import RunContext
from metastudio_conformance.outcomes import not_covered
from metastudio_conformance.recorder import Marks
from metastudio_conformance.status import FINDINGS, Placeholder, Status
from metastudio_conformance.transport import PoliteAdapter, RunSession

EVIDENCE_LINES = 20


class ConformancePlugin:
    name = "metastudio-conformance"

    def __init__(self, context: RunContext) -> None:
        self.context = context
        self._test_started = (0.0, 0)

    @pytest.hookimpl(trylast=True)  # after allure-pytest and JUnit have set up: guard them
    def pytest_configure(self, config: pytest.Config) -> None:
        self.pytest_config = config
        report_guard.install(config, self.context.note_reporting_error)
        config.addinivalue_line("markers", "requirement(*ids, also=()): the oracle "
                                "requirements this test checks, and those it may also find "
                                "broken without claiming a pass")
        settings = self.context.settings
        contract_schema.configure(settings, self.context.selection)
        # Hypothesis' caches: shared by the user's runs, never into whatever folder this is.
        hypothesis.configuration.set_hypothesis_home_dir(hypothesis_cache.home_for(
            settings.report_dir))
        hypothesis.settings.register_profile(
            "metastudio-conformance", max_examples=settings.max_examples, deadline=None,
            database=None,  # the seed, not a local database, makes a run repeatable
            suppress_health_check=list(hypothesis.HealthCheck),
            # Every @given, schemathesis' and the state machine's inherit the phases.
            phases=[phase for phase in hypothesis.Phase
                    if settings.shrink or phase is not hypothesis.Phase.shrink])
        hypothesis.settings.load_profile("metastudio-conformance")

    def pytest_collection_modifyitems(self, config, items) -> None:
        for item in items:
            marks = marks_of(item)
            unknown = [rid for rid in marks.claims + marks.also
                       if rid not in requirements.REQUIREMENTS]
            if not marks.claims or unknown:
                raise pytest.UsageError(f"{item.nodeid} must name known requirements "
                                        f"(got {marks.claims or 'none'}, {unknown})")
        items[:] = ordering.cheap_first(items)
        if self.context.settings.max_requests:  # what the budget buys covers most first
            items[:] = ordering.coverage_first(items, marks_of)

    def pytest_collection_finish(self, session) -> None:
        selection.guard(session.items, contract_schema.coverage_examples)  # after -k
        self.context.started = time.monotonic()  # the time budget is the tests' own

    def pytest_deselected(self, items) -> None:
        """A test left out by `-k` is disabled by configuration, not merely not covered."""
        for item in items:
            self.context.recorder.not_run(item.nodeid, marks_of(item).claims,
                                          Placeholder.DESELECTED,
                                          f"deselected by -k {self.context.selection!r}")

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> bool | None:
        """Past the deadline no test starts: the run stops, and each test not reached is
        recorded not run with the reason (`scope`), under workers too."""
        context = self.context
        if context.budget_spent():
            context.stopped = context.stopped or context.budget_spent()
            return True  # handled: not run
        if context.deadline is None or time.monotonic() < context.deadline:
            return None
        context.stopped = context.stopped or time_budget.ran_out(context.settings.max_time)
        return True  # handled: not run

    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        context = self.context
        context.deviations, context.observed = [], []
        self._test_started = (time.monotonic(), context.requests_sent)
        if context.abort_reason:
            not_covered(f"the run stopped early: {context.abort_reason}")
        for factory in context.factories:
            factory.begin_test()
        for rid in marks_of(item).claims:
            requirement = requirements.get(rid)
            allure.dynamic.label("requirement", rid)
            allure.dynamic.feature(requirements.AREAS[requirement.area])
            allure.dynamic.story(f"{rid} {requirement.title}")

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item):
        """Attach each failure's evidence (HTTP transcript, or schemathesis' curl line).
        A test still busy past the deadline is stopped (`time_budget.CallAlarm`)."""
        context = self.context
        try:
            with time_budget.CallAlarm(context.deadline, context.settings.max_time):
                return (yield)
        except BaseException as error:
            for number, leaf in enumerate(recorder.leaves(error), start=1):
                rids = ", ".join(checks.requirements_of(leaf)) or "failure"
                allure.attach(str(leaf), name=f"{rids} evidence {number}",
                              attachment_type=allure.attachment_type.TEXT)
            raise

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item, call):
        report = yield
        if report.failed and printable.text(report.longreprtext) != report.longreprtext:
            report.longrepr = printable.text(report.longreprtext)  # JUnit, the console, xdist
        context = self.context
        if report.when == "call" or report.outcome != "passed":
            started, sent = self._test_started
            excinfo = call.excinfo
            context.recorder.record(item.nodeid, marks_of(item), report, excinfo,
                                    context.deviations, time.monotonic() - started,
                                    context.requests_sent - sent, context.observed)
            context.deviations, context.observed = [], []
            reason = recorder.aborted(excinfo.value if excinfo else None)
            if reason and not context.abort_reason:
                context.abort_reason = reason
                item.session.shouldstop = f"the run stopped early: {reason}"
        if report.failed:
            context.note_failure(item.nodeid)
            error = call.excinfo.value if call.excinfo else None
            if isinstance(error, BaseExceptionGroup):  # travels with the report to xdist
                report.msc_summary = _summary(error, marks_of(item))
        return report

    @pytest.hookimpl(trylast=True)  # after schemathesis' own, which puts a traceback there
    def pytest_exception_interact(self, node, call, report) -> None:
        """The `FAILED ...` summary line names the broken requirements: an exception
        group's text ("+ Exception Group Traceback ...") would read like a crash. JUnit and
        Allure took their copy of the report before this hook."""
        if report.failed and getattr(report, "msc_summary", None):
            report.longrepr = report.msc_summary

    @pytest.hookimpl(trylast=True)  # after JUnit has taken its copy
    def pytest_runtest_logreport(self, report) -> None:
        """Under workers the report reaches the controller before the worker's
        `pytest_exception_interact`: the controller shortens it the same way."""
        if report.failed and hasattr(report, "node") and getattr(report, "msc_summary", None):
            report.longrepr = report.msc_summary

    @pytest.hookimpl(trylast=True)  # after the terminal reporter has kept the traceback
    def pytest_keyboard_interrupt(self, excinfo) -> None:
        """Ctrl-C: no interrupt banner with the suite's internal paths; the CLI says it
        in one line once the run's jobs are cleaned up."""
        reporter = self.pytest_config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None and hasattr(reporter, "_report_keyboardinterrupt"):
            reporter._report_keyboardinterrupt = lambda: reporter.write_line(
                "interrupted: the jobs this run created are being cleaned up")

    def pytest_sessionfinish(self, session) -> None:
        self.context.test_requests = self.context.requests_sent  # what follows is cleanup

    def pytest_terminal_summary(self, terminalreporter) -> None:
        rows = self.context.recorder.summary(self.context.matrices)
        shown = [row for row in rows.values()
                 if row["status"] in FINDINGS]
        if shown:
            terminalreporter.write_sep("=", "evidence")
        for row in shown:
            lines = row["evidence"].splitlines()
            terminalreporter.write_line(f"{row['id']} {row['status'].upper()}: {row['title']}")
            for line in lines[:EVIDENCE_LINES]:
                terminalreporter.write_line("    " + line)
            if len(lines) > EVIDENCE_LINES:
                terminalreporter.write_line(f"    ... ({len(lines) - EVIDENCE_LINES} more "
                                            "lines in results.json)")
        terminalreporter.write_sep("=", "conformance per requirement")
        terminalreporter.write_line(recorder.table(rows))
        for line in recorder.reasons(rows, self.context.recorder):
            terminalreporter.write_line(line)
        deviating = [rid for rid, row in rows.items() if row["status"] == Status.DEVIATION]
        if deviating:
            terminalreporter.write_line(
                f"{len(deviating)} deviation(s) from the lifecycle model ({', '.join(deviating)})"
                ": where the documents are silent the target chose otherwise; not failures "
                "(--strict-model makes them fail)")
        terminalreporter.write_line(f"{self.context.requests_sent} requests sent to the target")
        for line in latency.console_lines(self.context.latencies.summary()):
            terminalreporter.write_line(line)

    # Fixtures.
    @pytest.fixture(scope="session")
    def run_context(self) -> RunContext:
        return self.context

    @pytest.fixture(scope="session")
    def settings(self):
        return self.context.settings

    @pytest.fixture(scope="session")
    def lifecycle_model(self):
        return self.context.model

    @pytest.fixture(scope="session")
    def http_session(self):
        """One session for every request of the run (schemathesis' too), counted."""
        settings = self.context.settings
        with RunSession() as session:
            session.hooks["response"].append(self.context.count)
            adapter = PoliteAdapter(settings.rate_per_second(), self.context.deadline,
                                    answer_time=settings.request_timeout,
                                    max_answer_bytes=settings.max_answer_bytes,
                                    max_requests=self.context.request_budget)
            self.context.meter = adapter  # the request budget is counted there
            adapter.budget_name = self.context.budget_name
            adapter.watchers.append(self.context.ledger)  # which jobs are proven untouched
            adapter.watchers.append(self.context.latencies)  # p50/p95/max per operation
            adapter.watchers.append(self.context.journal)  # Creates and DELETEs, for DEL-04
            adapter.unanswered.append(self.context.count)  # sent, answer cut: still counted
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            yield session

    @pytest.fixture(scope="session")
    def api(self, http_session):
        return self.context.client(http_session)

    @pytest.fixture(autouse=True)
    def _fresh_transcript(self, request):
        """Each test's failures show its own requests only."""
        for name in ("api", "na_api", "other_api"):
            if name in request.fixturenames:
                request.getfixturevalue(name).begin()

    @pytest.fixture(scope="session")
    def na_api(self, api, http_session):
        """A client for an NA-whitelisted project, or not covered without one."""
        settings = self.context.settings
        if settings.tenant == "na":
            return api
        if not settings.na_project_id:
            not_covered("no NA project configured: give --na-project-id (an NA-whitelisted "
                        "project) to check the NA-only rules")
        return self.context.client(http_session, settings.na_project_id)

    @pytest.fixture(scope="session")
    def other_api(self, http_session):
        """The same credentials in another project, for isolation checks."""
        settings = self.context.settings
        if not settings.other_project_id:
            not_covered("no second project configured: give --other-project-id (another "
                        "project of the same credentials) to check isolation")
        return self.context.client(http_session, settings.other_project_id)

    @pytest.fixture(scope="session")
    def jobs(self, api):
        return self.context.factory(api)

    @pytest.fixture(scope="session")
    def na_jobs(self, na_api):
        return self.context.factory(na_api)

    @pytest.fixture(scope="session")
    def other_jobs(self, other_api):
        return self.context.factory(other_api)


def marks_of(item: pytest.Item) -> Marks:
    claims: list[str] = []
    also: list[str] = []
    for marker in item.iter_markers("requirement"):
        claims.extend(rid for rid in marker.args if rid not in claims)
        also.extend(rid for rid in marker.kwargs.get("also", ()) if rid not in also)
    return Marks(claims, also)


def _summary(error: BaseExceptionGroup, marks) -> str:
    found = recorder.classify(error, marks)
    rids = sorted({rid for rid, status, _ in found if status != Status.NOT_COVERED})
    return f"{', '.join(rids)}: {len(found)} finding(s); evidence above and in results.json"
