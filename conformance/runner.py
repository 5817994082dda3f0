"""One conformance run around pytest, the same for the CLI and the pytest entry point.

`open_run` resolves nothing itself: it takes validated settings, starts the bundled
reference server when no target is given, proves the setup (`target.preflight`), builds
the run's context and plugin, and on the way out deletes what the run created, writes
`results.json` and the reports, and scrubs secrets from every file of the report folder.
"""

from __future__ import annotations

import contextlib
import random
import secrets
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

import urllib3

from metastudio_conformance import recorder, redact, target
from metastudio_conformance.config import Settings
from metastudio_conformance.context import RunContext
from metastudio_conformance.run_plugin import ConformancePlugin
from metastudio_conformance.scope import ScopePlugin
from metastudio_conformance.settings_table import SECRETS
from metastudio_conformance.workers import ControllerPlugin


@dataclass
class Run:
    context: RunContext
    plugin: ConformancePlugin
    redactor: redact.Redactor
    rows: dict = field(default_factory=dict)  # per requirement, once the run is over
    scope: ScopePlugin | None = None
    controller: ControllerPlugin | None = None

    @property
    def plugins(self) -> list:
        """What pytest needs of this run: the hooks, which tests run, and the workers."""
        return [self.plugin, self.scope, self.controller]


def finalize(settings: Settings) -> Settings:
    """A seed (printed, so the run can be repeated) and a run id for what it creates."""
    return replace(
        settings,
        seed=random.randrange(2**31) if settings.seed is None else settings.seed,
        run_id=f"msc-{time.strftime('%Y%m%d%H%M%S')}-{secrets.token_hex(3)}",
    )


@contextlib.contextmanager
def open_run(settings: Settings, selection: str | None = None) -> Iterator[Run]:
    """The run's target, context and plugin; on exit, cleanup, results and reports.

    Raises ConfigError (a bad model), target.TargetUnreachable, target.SetupError or
    target.ReferenceServerFailed before any test runs."""
    report_dir = settings.report_dir
    report_dir.mkdir(parents=True, exist_ok=True)
    context = RunContext.build(settings, selection)  # a bad model fails here
    if settings.tls_verify is False:
        urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)  # said once here
        print("warning: the target's TLS certificate is not checked (tls_verify false)",
              file=sys.stderr)
    with _target(settings, report_dir) as settings:
        target.preflight(settings)
        context.settings = settings
        scope = ScopePlugin(context)
        secrets_given = [getattr(settings, key) for key in SECRETS]
        run = Run(context, ConformancePlugin(context), redact.Redactor(secrets_given),
                  scope=scope, controller=ControllerPlugin(context, scope))
        print(f"run id: {settings.run_id} (cleanup: metastudio-conformance cleanup "
              f"--run-id {settings.run_id}); seed {settings.seed}", file=sys.stderr)
        try:
            yield run
        finally:
            context.cleanup()  # also after Ctrl-C or a crash: delete what the run created
            run.rows = context.recorder.summary(context.matrices)
            recorder.write(report_dir / "results.json", run.rows, context)
            write_reports(report_dir)
            run.redactor.scrub_tree(report_dir)


def _target(settings: Settings, report_dir):
    if settings.target is not None:
        return contextlib.nullcontext(settings)
    return target.reference_server(settings, log_path=report_dir / "reference-server.log")


def write_reports(report_dir) -> None:
    """Allure environment and the conformance report; a failure here never fails the run."""
    from metastudio_conformance.reports import allure_extras
    from metastudio_conformance.reports import conformance as conformance_report
    from metastudio_conformance.reports.document import ReportError, load

    try:
        allure_extras.write_environment(report_dir / "allure-results", load(report_dir))
        conformance_report.write(report_dir)  # -> (conformance.md, conformance.html)
        allure_extras.file_by_requirement(report_dir, load(report_dir))  # labels, JUnit
    except (OSError, ReportError) as exc:
        print(f"metastudio-conformance: warning: reports not written: {exc}", file=sys.stderr)
        return
    written = [name for name in ("results.json", "conformance.md", "conformance.html",
                                 "junit.xml", "allure-results") if (report_dir / name).exists()]
    print(f"reports in {report_dir}: {', '.join(written)}")
