"""Parallel workers (`--workers N`: pytest-xdist `-n N`): each worker is one part of one run.

The controller hands every worker the run's settings, the start of its one time budget
and the run's start (for `first_failure`); a worker builds its own RunContext, job
factories and HTTP session, cleans up the jobs it created, and sends back its part: a
results document (`recorder.document`) with the tests it collected. The controller absorbs
the parts (`run_parts.absorb`, as `merge` absorbs shards), so the console, `results.json`,
JUnit and Allure come out as one run.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from dataclasses import fields, replace
from pathlib import Path

import pytest
import requests

from metastudio_conformance import recorder, run_parts
from metastudio_conformance.config import Settings
from metastudio_conformance.context import RunContext
from metastudio_conformance.count_journal import CountJournal
from metastudio_conformance.scope import ScopePlugin
from metastudio_conformance.settings_table import SETTINGS, Kind
from metastudio_conformance.time_budget import HARD_SLACK, REAP_SLACK, WorkerReaper, worker_pid
from metastudio_conformance.transport import grace_for

KEY = "metastudio_conformance"  # in xdist's workerinput and workeroutput
PATHS = (*(s.key for s in SETTINGS if s.kind in (Kind.PATH, Kind.FILE)), "profile")


class ControllerPlugin:
    """In the process that started the workers; xdist's hooks fire only under `-n`."""

    name = "metastudio-conformance-controller"

    def __init__(self, context: RunContext, scope: ScopePlugin) -> None:
        self.context, self.scope = context, scope
        self.started_wall: float | None = None
        self.reaper: WorkerReaper | None = None
        self.journal: str | None = None  # count_journal's file, when workers share a project

    def _reaper(self) -> WorkerReaper | None:
        """With a time budget: kills a worker still alive when its cleanup's time is up."""
        context = self.context
        if self.reaper is None and context.deadline is not None:
            at = (context.deadline + HARD_SLACK + grace_for(context.settings.request_timeout)
                  + REAP_SLACK)
            self.reaper = WorkerReaper(at, self._reaped)
        return self.reaper

    def _reaped(self, line: str) -> None:
        self.context.stopped = run_parts.joined(self.context.stopped, line)

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node) -> None:
        context = self.context
        if self.started_wall is None:  # the budget starts with the first worker, once
            self.started_wall = time.time()
            context.started = time.monotonic()
            if shares_project(context.settings):
                fd, self.journal = tempfile.mkstemp(prefix="msc-count-journal-")
                os.close(fd)
        node.workerinput[KEY] = json.dumps({
            "settings": dump(context.settings), "selection": context.selection,
            "journal": self.journal,
            "started_wall": self.started_wall,
            "created_wall": time.time() - (time.monotonic() - context.created)})
        if reaper := self._reaper():
            reaper.watch(node.gateway.id, worker_pid(node))

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node, error) -> None:
        if self.reaper is not None:
            self.reaper.ended(node.gateway.id)
        raw = getattr(node, "workeroutput", {}).get(KEY)
        if raw is None:  # a worker that crashed: its tests end as not run
            return
        part = json.loads(raw)
        run_parts.absorb(self.context, part)
        for nodeid, claims in part["collected"]:
            self.scope.collected.setdefault(nodeid, claims)

    def pytest_sessionfinish(self) -> None:
        """The bundled server is reset once, after every worker (`RunContext.cleanup`)."""
        context = self.context
        if self.reaper is not None:
            self.reaper.stop()
        if self.journal is not None:
            Path(self.journal).unlink(missing_ok=True)
        if self.started_wall is not None and context.settings.bundled and not context.factories:
            session = requests.Session()
            session.hooks["response"].append(context.count)
            context.factory(context.client(session))


class WorkerPlugin:
    name = "metastudio-conformance-worker"

    def __init__(self, context: RunContext, scope: ScopePlugin, started_wall: float) -> None:
        self.context, self.scope, self.started_wall = context, scope, started_wall

    @pytest.hookimpl(trylast=True)  # after ConformancePlugin starts a budget of its own
    def pytest_collection_finish(self, session) -> None:
        self.context.started = _monotonic(self.started_wall)

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session) -> None:
        context = self.context
        context.cleanup(reset_bundled=False)  # its jobs; the bundled server: the controller
        part = recorder.document({}, context)
        part["collected"] = list(self.scope.collected.items())
        session.config.workeroutput[KEY] = json.dumps(part)


def configure_worker(config: pytest.Config) -> bool:
    """In an xdist worker of a conformance run: set up its part of the run."""
    from metastudio_conformance.run_plugin import ConformancePlugin

    raw = getattr(config, "workerinput", {}).get(KEY)
    if raw is None:
        return False
    data = json.loads(raw)
    settings = own_project(load(data["settings"]), config.workerinput.get("workerid"))
    context = RunContext.build(settings, data["selection"])
    context.created = _monotonic(data["created_wall"])
    context.journal = CountJournal(data["journal"], config.workerinput.get("workerid", "gw"))
    scope = ScopePlugin(context, worker=True)
    for plugin in (ConformancePlugin(context), scope,
                   WorkerPlugin(context, scope, data["started_wall"])):
        config.pluginmanager.register(plugin, plugin.name)
    if config.getoption("hypothesis_seed", None) is None:
        config.option.hypothesis_seed = str(context.settings.seed)
    return True


def own_project(settings: Settings, workerid: str | None) -> Settings:
    """On the bundled server, which serves any project, each worker but the first works
    in a project of its own: a test that counts the project's jobs (DEL-04) must not see
    another worker's come and go. A real target's one project is shared (README), and the
    workers keep a `count_journal` of their Creates and DELETEs instead."""
    if shares_project(settings) or workerid in (None, "gw0"):
        return settings
    own = hashlib.sha256(f"{settings.project_id}:{workerid}".encode()).hexdigest()[:32]
    return replace(settings, project_id=own)


def shares_project(settings: Settings) -> bool:
    """Whether the run's workers all work in the one project the settings name."""
    return not settings.bundled or settings.tenant == "na"


def dump(settings: Settings) -> dict:
    """Settings as JSON for a worker (a local process: its secrets go over a pipe)."""
    data = {}
    for item in fields(settings):
        value = getattr(settings, item.name)
        data[item.name] = str(value) if isinstance(value, Path) else (
            list(value) if isinstance(value, tuple) else value)
    data["tls_verify"] = settings.tls_verify if isinstance(settings.tls_verify, bool) else {
        "ca_bundle": str(settings.tls_verify)}
    return data


def load(data: dict) -> Settings:
    values = dict(data)
    for name in PATHS:
        if values.get(name) is not None:
            values[name] = Path(values[name])
    if isinstance(values.get("tls_verify"), dict):
        values["tls_verify"] = Path(values["tls_verify"]["ca_bundle"])
    for name in ("suite_args", "given"):
        values[name] = tuple(values.get(name) or ())
    return Settings(**values)


def _monotonic(wall: float) -> float:
    """This process's monotonic time of a wall-clock instant of the controller's."""
    return time.monotonic() - (time.time() - wall)
