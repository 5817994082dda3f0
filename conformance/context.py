"""What one conformance run knows, built once and passed to whatever needs it.

The settings, the lifecycle model (loaded once), the recorder of outcomes, the request
statistics, the job factories, the deviations of the test running now, and the replay
command. The pytest plugin only wires hooks to it; `results.write` reads it.
"""

from __future__ import annotations

import shlex
import time
from dataclasses import dataclass, field
from typing import Any

import requests

from metastudio_conformance import lifecycle_model
from metastudio_conformance.client import ApiClient
from metastudio_conformance.config import Settings
from metastudio_conformance.count_journal import CountJournal
from metastudio_conformance.jobs import JobFactory
from metastudio_conformance.latency import Latencies
from metastudio_conformance.outcomes import Violation
from metastudio_conformance.pool import Ledger
from metastudio_conformance.recorder import Recorder
from metastudio_conformance.settings_table import SETTINGS, Replay

# What the replay line repeats (the table's replay column): the settings it always
# repeats (the seed) first.
REPLAYED = sorted((setting for setting in SETTINGS if setting.replay is not Replay.NEVER),
                  key=lambda setting: setting.replay is not Replay.ALWAYS)


@dataclass
class RunContext:
    settings: Settings
    model: lifecycle_model.Model
    selection: str | None = None  # the -k expression
    recorder: Recorder = field(default_factory=Recorder)
    started_wall: float = field(default_factory=time.time)
    created: float = field(default_factory=time.monotonic)  # the run's start, for timings
    started: float = field(default_factory=time.monotonic)  # the tests' start: the budget
    requests_sent: int = 0
    test_requests: int = 0  # requests before the end-of-run cleanup
    first_failure: dict | None = None  # when and after how many requests
    factories: list[JobFactory] = field(default_factory=list)
    ledger: Ledger = field(default_factory=Ledger)  # what the run proved about its jobs
    latencies: Latencies = field(default_factory=Latencies)  # exchange times per operation
    journal: CountJournal = field(default_factory=CountJournal)  # workers sharing a project
    deviations: list[Violation] = field(default_factory=list)  # of the test running now
    observed: list[Violation] = field(default_factory=list)  # ERR-02 seen by the client, now
    abort_reason: str | None = None  # credentials refused mid-run: nothing more to test
    stopped: str | None = None  # why the run stopped before its last test (--max-failures)
    reporting_error: str | None = None  # a reporting plugin raised (report_guard): one line
    cleanup_elsewhere: int = 0  # cleanup requests of the run's workers (`workers`)
    jobs_elsewhere: dict[str, int] = field(default_factory=dict)  # and their jobs
    matrices: dict[str, list[dict]] = field(default_factory=dict)  # see note()
    meter: Any = None  # the run session's PoliteAdapter: the requests the tests spent

    @classmethod
    def build(cls, settings: Settings, selection: str | None = None) -> RunContext:
        return cls(settings, lifecycle_model.load(settings.model), selection)

    @property
    def strict(self) -> bool:
        """Model rules fail the run when asked for: --strict-model, or a model of one's own."""
        return bool(self.settings.strict_model or self.settings.model)

    @property
    def deadline(self) -> float | None:
        return self.started + self.settings.max_time if self.settings.max_time else None

    @property
    def request_budget(self) -> int | None:
        """This process's share of `max_requests` (the workers split it evenly)."""
        budget = self.settings.max_requests
        return budget and max(1, budget // max(self.settings.workers, 1))

    def budget_spent(self) -> str | None:
        """Why no test may start any more, if the request budget is spent (counted by the
        session's transport, `meter`)."""
        budget = self.request_budget
        if budget is None or self.meter is None or self.meter.spent < budget:
            return None
        return f"the run's request budget ({self.budget_name}) was spent"

    @property
    def budget_name(self) -> str:
        """`max_requests 300`, and a worker's share of it."""
        settings = self.settings
        share = "" if settings.workers <= 1 else (
            f", {self.request_budget} for each of {settings.workers} workers")
        return f"max_requests {settings.max_requests}{share}"

    def deviate(self, violation: Violation) -> None:
        """A model rule broken: a failure in strict mode, otherwise a recorded deviation
        and the test goes on judging the documented rules."""
        if self.strict:
            raise violation
        self.deviations.append(violation)

    def count(self, response, *args, **kwargs) -> None:
        self.requests_sent += 1

    def client(self, session: requests.Session, project_id: str | None = None) -> ApiClient:
        return ApiClient(self.settings, session, project_id, run=self)

    def observe(self, violation: Violation) -> None:
        self.observed.append(violation)

    def note(self, matrix: str, row: dict) -> None:
        """One cell of a matrix the reports show (the DELETE gate, commands by state)."""
        self.matrices.setdefault(matrix, []).append(row)

    def factory(self, api: ApiClient) -> JobFactory:
        factory = JobFactory(api, self.ledger)
        self.factories.append(factory)
        return factory

    def job_counts(self) -> dict[str, int]:
        """Jobs the run made (control interface or Create) and hand-outs of a job a Show
        had proven untouched instead of a new one (`pool`)."""
        return {"made": sum(f.made for f in self.factories),
                "reused": sum(f.pool.reused for f in self.factories)}

    def note_reporting_error(self, line: str) -> None:
        self.reporting_error = self.reporting_error or line  # the first says what broke

    def note_failure(self, nodeid: str) -> None:
        if self.first_failure is None:
            self.first_failure = {"test": nodeid,
                                  "seconds": round(time.monotonic() - self.created, 2),
                                  "requests": self.requests_sent}

    def cleanup(self, reset_bundled: bool = True) -> None:
        """Delete what the run created; called after pytest, even on Ctrl-C.

        The bundled reference server serves this run alone: one Reset of its control
        interface clears it, rather than a Show and a DELETE per job (a worker of a
        parallel run passes reset_bundled=False: the other workers may still need theirs)."""
        self.test_requests = self.requests_sent
        if self.settings.bundled:
            if reset_bundled and self.factories:
                self.factories[0].reset_bundled()
            return
        for factory in self.factories:
            factory.cleanup()

    @property
    def replay(self) -> str:
        """The command that repeats this run: seed, target, projects, model, selection,
        whichever source set them (`Settings.given`); never a secret."""
        settings = self.settings
        parts = ["metastudio-conformance", "run"]
        for setting in REPLAYED:
            if setting.replay is Replay.ALWAYS or setting.key in settings.given:
                parts += setting.command_line(getattr(settings, setting.key))
        if self.selection:
            parts += ["-k", self.selection]
        return shlex.join(parts)
