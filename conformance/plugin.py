"""The pytest plugin behind `metastudio-conformance run`.

It hands the run's settings to the tests as fixtures, turns `requirement` markers into
Allure labels, and records an outcome per requirement for the console table and
`results.json` (see `conformance.results`).
"""

from __future__ import annotations

import time

import allure
import pytest
import requests
from metastudio_conformance import checks, model, requirements, results
from metastudio_conformance import schema as contract_schema_module
from metastudio_conformance.client import ApiClient
from metastudio_conformance.config import Settings
from metastudio_conformance.jobs import NOT_COVERED, JobFactory
from metastudio_conformance.results import Recorder
from metastudio_conformance.transport import PoliteAdapter


class ConformancePlugin:
    name = "metastudio-conformance"

    def __init__(self, settings: Settings, selection: str | None = None) -> None:
        self.run_settings = settings
        self.selection = selection  # the -k expression, for the record
        self.recorder = Recorder()
        self.requests_sent = 0
        self.test_requests = 0
        self.started = time.monotonic()
        self.first_failure: dict | None = None  # when and after how many requests
        self.deadline = self.started + settings.max_time if settings.max_time else None
        self.factories: list[JobFactory] = []

    def pytest_configure(self, config: pytest.Config) -> None:
        config.addinivalue_line(
            "markers", "requirement(*ids): the oracle requirements this test checks"
        )
        contract_schema_module.configure(self.run_settings)

    def pytest_collection_modifyitems(self, config, items) -> None:
        for item in items:
            ids = requirement_ids(item)
            unknown = [rid for rid in ids if rid not in requirements.REQUIREMENTS]
            if not ids or unknown:
                raise pytest.UsageError(
                    f"{item.nodeid} must name known requirements (got {ids or 'none'})"
                )

    def pytest_deselected(self, items) -> None:
        """A test left out by `-k` is disabled by configuration, not merely not covered."""
        for item in items:
            for rid in requirement_ids(item):
                self.recorder.add(rid, "disabled", item.nodeid,
                                  f"deselected by -k {self.selection!r}")

    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        if self.deadline is not None and time.monotonic() > self.deadline:
            pytest.skip(f"{NOT_COVERED}the run's time budget (max_time "
                        f"{self.run_settings.max_time:g} s) ran out")
        for factory in self.factories:
            factory.begin_test()
        for rid in requirement_ids(item):
            requirement = requirements.get(rid)
            allure.dynamic.label("requirement", rid)
            allure.dynamic.feature(requirements.AREAS[requirement.area])
            allure.dynamic.story(f"{rid} {requirement.title}")

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item):
        """Attach each failure's evidence (HTTP transcript, or schemathesis' curl line)."""
        try:
            return (yield)
        except BaseException as error:
            for number, leaf in enumerate(results.leaves(error), start=1):
                rids = ", ".join(checks.requirements_of(leaf)) or "failure"
                allure.attach(str(leaf), name=f"{rids} evidence {number}",
                              attachment_type=allure.attachment_type.TEXT)
            raise

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item, call):
        report = yield
        if report.when == "call" or report.outcome != "passed":
            excinfo = call.excinfo
            self.recorder.record(item.nodeid, requirement_ids(item), report, excinfo)
        if report.failed and self.first_failure is None:
            self.first_failure = {
                "test": item.nodeid,
                "seconds": round(time.monotonic() - self.started, 2),
                "requests": self.requests_sent,
            }
        return report

    @pytest.hookimpl(trylast=True)  # after schemathesis' own, which puts a traceback there
    def pytest_exception_interact(self, node, call, report) -> None:
        """The `FAILED ...` summary line names the broken requirements: an exception
        group's text ("+ Exception Group Traceback ...") would read like a crash. JUnit and
        Allure took their copy of the report before this hook."""
        error = call.excinfo.value if call.excinfo else None
        if report.failed and isinstance(error, BaseExceptionGroup):
            found = results.classify(error, requirement_ids(node))
            rids = sorted({rid for rid, _, _ in found})
            report.longrepr = (f"{', '.join(rids)}: {len(found)} finding(s); "
                               "evidence above and in results.json")

    def pytest_sessionfinish(self, session) -> None:
        self.test_requests = self.requests_sent  # what follows is cleanup

    def pytest_terminal_summary(self, terminalreporter) -> None:
        rows = self.recorder.summary()
        failed = [row for row in rows.values() if row["status"] in ("fail", "error")]
        if failed:
            terminalreporter.write_sep("=", "evidence")
            for row in failed:
                lines = row["evidence"].splitlines()
                terminalreporter.write_line(f"{row['id']} {row['status'].upper()}: "
                                            f"{row['title']}")
                for line in lines[:20]:
                    terminalreporter.write_line("    " + line)
                if len(lines) > 20:
                    terminalreporter.write_line(f"    ... ({len(lines) - 20} more lines in "
                                                "results.json)")
        terminalreporter.write_sep("=", "conformance per requirement")
        terminalreporter.write_line(results.table(rows))
        terminalreporter.write_line(f"{self.requests_sent} requests sent to the target")

    # Fixtures.
    @pytest.fixture(scope="session")
    def settings(self) -> Settings:
        return self.run_settings

    @pytest.fixture(scope="session")
    def http_session(self):
        """One session for every request of the run (schemathesis' too), counted."""
        with requests.Session() as session:
            session.hooks["response"].append(self._count)
            adapter = PoliteAdapter(self.run_settings.rate_per_second(), self.deadline,
                                    answer_time=3 * self.run_settings.request_timeout)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            yield session

    def _count(self, response, *args, **kwargs) -> None:
        self.requests_sent += 1

    @pytest.fixture(scope="session")
    def api(self, settings, http_session, lifecycle_model) -> ApiClient:
        return ApiClient(settings, http_session,
                         response_time_limit=lifecycle_model.max_response_time)

    @pytest.fixture(autouse=True)
    def _fresh_transcript(self, request):
        """Each test's failures show its own requests only."""
        if "api" in request.fixturenames:
            request.getfixturevalue("api").begin()

    @pytest.fixture(scope="session")
    def lifecycle_model(self, settings):
        return model.load(settings.model)

    @pytest.fixture(scope="session")
    def na_api(self, settings, api, http_session) -> ApiClient:
        """A client for an NA-whitelisted project, or a not-covered skip without one."""
        if settings.tenant == "na":
            return api
        if not settings.na_project_id:
            pytest.skip(f"{NOT_COVERED}no NA project configured (na_project_id)")
        return ApiClient(settings, http_session, project_id=settings.na_project_id,
                         response_time_limit=api.response_time_limit)

    @pytest.fixture(scope="session")
    def other_api(self, settings, api, http_session) -> ApiClient:
        """The same credentials in another project, for isolation checks."""
        if not settings.other_project_id:
            pytest.skip(f"{NOT_COVERED}no second project configured (other_project_id)")
        return ApiClient(settings, http_session, project_id=settings.other_project_id,
                         response_time_limit=api.response_time_limit)

    @pytest.fixture(scope="session")
    def other_jobs(self, other_api):
        yield self._factory(other_api)

    @pytest.fixture(scope="session")
    def na_jobs(self, na_api):
        yield self._factory(na_api)

    @pytest.fixture(scope="session")
    def jobs(self, api):
        yield self._factory(api)

    def _factory(self, api) -> JobFactory:
        factory = JobFactory(api)
        self.factories.append(factory)
        return factory

    def cleanup(self) -> None:
        """Delete what the run created; the CLI calls it after pytest, even on Ctrl-C."""
        for factory in self.factories:
            factory.cleanup()


def requirement_ids(item: pytest.Item) -> list[str]:
    ids: list[str] = []
    for marker in item.iter_markers("requirement"):
        ids.extend(rid for rid in marker.args if rid not in ids)
    return ids
