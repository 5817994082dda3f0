"""`metastudio-conformance`: run the suite against a target, or serve the reference server.

Exit codes of `run`: 0 every requirement that ran passed, 1 conformance failures, 2 usage
or configuration error, 3 target unreachable, 4 the suite itself broke (error status).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import secrets
import shlex
import sys
import time
from dataclasses import replace
from importlib import resources
from pathlib import Path

EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_UNREACHABLE, EXIT_SUITE_ERROR = 0, 1, 2, 3, 4
EXIT_INTERRUPTED = 130
SUITE_DIR = Path(str(resources.files("metastudio_conformance.suite")))


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line and exit 2, as for every usage problem
        self.exit(EXIT_USAGE, f"metastudio-conformance: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    from metastudio_conformance import __version__

    parser = _Parser(prog="metastudio-conformance", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", parser_class=_Parser)
    run = commands.add_parser("run", help="run the conformance suite (default target: the "
                              "bundled reference server)")
    run.add_argument("--target", help="base URL of the server under test (METASTUDIO_TARGET)")
    run.add_argument("--project-id", dest="project_id", help="project id (METASTUDIO_PROJECT_ID)")
    run.add_argument("--token", help="IAM token (prefer METASTUDIO_TOKEN)")
    run.add_argument("--ak", help="access key (METASTUDIO_AK)")
    run.add_argument("--sk", help="secret key (prefer METASTUDIO_SK)")
    run.add_argument("--tenant", choices=("standard", "na"), help="tenant kind (default standard)")
    run.add_argument("--na-project-id", dest="na_project_id",
                     help="an NA-whitelisted project, for the NA-only rules")
    run.add_argument("--other-project-id", dest="other_project_id",
                     help="another project of the same credentials, for isolation checks")
    run.add_argument("--profile", help="YAML profile with any of the settings")
    run.add_argument("--seed", type=int, help="make the run repeatable")
    run.add_argument("--max-examples", dest="max_examples", type=int,
                     help="examples per property test (default 40)")
    run.add_argument("--report-dir", dest="report_dir",
                     help="where reports go (default reports/latest)")
    run.add_argument("--model", help="lifecycle model profile (default: the reference model)")
    run.add_argument("--inventory", help="YAML of existing jobs per state (shared targets)")
    run.add_argument("--no-control", dest="control", action="store_const", const=False,
                     help="never use the test-control interface")
    run.add_argument("--rate-limit", dest="rate_limit",
                     help="client-side request rate, e.g. 5/s (default: none on loopback, "
                     "5/s elsewhere)")
    run.add_argument("--max-time", dest="max_time", type=float,
                     help="time budget in seconds; tests past it are reported not covered")
    run.add_argument("--max-live-jobs", dest="max_live_jobs", type=int,
                     help="jobs of this run alive at once per project (default: none on "
                     "loopback, 20 elsewhere)")
    run.add_argument("--allow-writes", dest="allow_writes", action="store_const", const=True,
                     help="let the run create, command and delete jobs on a non-loopback "
                     "target")
    run.add_argument("-k", dest="select", help="run only tests matching this pytest expression")
    _target_options(commands.add_parser(
        "cleanup", help="delete the deletable jobs a cancelled run left behind"))
    serve = commands.add_parser("serve", help="run the bundled reference server",
                                add_help=False)
    serve.add_argument("serve_args", nargs=argparse.REMAINDER)
    commands.add_parser("report", help="build the HTML reports of a run (see reports/)",
                        add_help=False)
    commands.add_parser("requirements", help="list the requirements of the oracle")
    return parser


def _target_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--run-id", dest="run_id", required=True,
                        help="the run id printed at the start of that run")
    for option in ("--target", "--project-id", "--token", "--ak", "--sk", "--profile"):
        parser.add_argument(option, dest=option[2:].replace("-", "_"))


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["serve"]:  # every option belongs to the reference server
        from metastudio_conformance.reference_server.__main__ import main as serve

        return serve(argv[1:])
    if argv[:1] == ["report"]:  # every option belongs to the report builder
        from metastudio_conformance.reports.cli import main as report

        return report(argv[1:])
    args = build_parser().parse_args(argv)
    if args.command == "requirements":
        from metastudio_conformance.requirements import REQUIREMENTS

        for requirement in REQUIREMENTS.values():
            print(f"{requirement.id:<8} {requirement.title}  [{requirement.source}]")
        return EXIT_OK
    if args.command == "cleanup":
        return cleanup(args)
    if args.command != "run":
        build_parser().print_help()
        return EXIT_USAGE
    try:
        return run(args)
    except KeyboardInterrupt:  # pytest handles its own; this is Ctrl-C around it
        print("metastudio-conformance: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def run(args: argparse.Namespace) -> int:
    from metastudio_conformance import config, inventory, model, redact, results, target

    for secret in ("token", "sk"):
        if getattr(args, secret):
            print(f"warning: --{secret} on the command line is visible to other users of this "
                  f"machine; prefer METASTUDIO_{secret.upper()}", file=sys.stderr)
    try:
        settings = config.resolve(vars(args))
        model.load(settings.model)  # a bad model or inventory is a usage error, up front
        inventory.load(settings.inventory)
    except config.ConfigError as exc:
        return _fail(EXIT_USAGE, str(exc))
    settings = replace(
        settings,
        seed=random.randrange(2**31) if settings.seed is None else settings.seed,
        run_id=f"msc-{time.strftime('%Y%m%d%H%M%S')}-{secrets.token_hex(3)}",
    )
    report_dir = settings.report_dir
    report_dir.mkdir(parents=True, exist_ok=True)
    started = time.time()
    try:
        with _target(settings, report_dir) as settings:
            target.preflight(settings)
            print(f"run id: {settings.run_id} (cleanup: metastudio-conformance cleanup "
                  f"--run-id {settings.run_id})", file=sys.stderr)
            redactor = redact.Redactor([settings.token, settings.sk])
            with _redacted_console(redactor):
                plugin, code = _run_pytest(settings, args.select)
            rows = plugin.recorder.summary()
            results.write(report_dir / "results.json", rows, settings, started, plugin)
            _write_reports(report_dir)
            redactor.scrub_tree(report_dir)
    except target.TargetUnreachable as exc:
        return _fail(EXIT_UNREACHABLE, f"target unreachable: {exc}")
    except target.ReferenceServerFailed as exc:
        return _fail(EXIT_SUITE_ERROR, str(exc))
    return _exit_code(code, rows, settings, args)


def _write_reports(report_dir: Path) -> None:
    """Allure environment and the conformance report; a failure here never fails the run."""
    from metastudio_conformance.reports import allure_extras
    from metastudio_conformance.reports import conformance as conformance_report
    from metastudio_conformance.reports.document import ReportError, load

    try:
        allure_extras.write_environment(report_dir / "allure-results", load(report_dir))
        conformance_report.write(report_dir)  # -> (conformance.md, conformance.html)
    except (OSError, ReportError) as exc:
        print(f"metastudio-conformance: warning: reports not written: {exc}", file=sys.stderr)


@contextlib.contextmanager
def _redacted_console(redactor):
    """Everything printed during the run passes through the redactor."""
    from metastudio_conformance.redact import RedactingStream

    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = RedactingStream(sys.stdout, redactor), RedactingStream(
        sys.stderr, redactor)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved


def cleanup(args: argparse.Namespace) -> int:
    from metastudio_conformance import cleanup as leftovers
    from metastudio_conformance import config, target

    try:
        settings = config.resolve(vars(args))
        if settings.target is None:
            raise config.ConfigError("cleanup needs --target (the bundled server keeps nothing)")
        target.preflight(settings)
        deleted, kept = leftovers.remove(settings, args.run_id)
    except config.ConfigError as exc:
        return _fail(EXIT_USAGE, str(exc))
    except target.TargetUnreachable as exc:
        return _fail(EXIT_UNREACHABLE, f"target unreachable: {exc}")
    print(f"run {args.run_id}: deleted {len(deleted)} job(s); kept {len(kept)} not deletable"
          + (f" ({', '.join(f'{j} in {s}' for j, s in kept)})" if kept else ""))
    return EXIT_OK


def _target(settings, report_dir: Path):
    from metastudio_conformance import target

    if settings.target is not None:
        return contextlib.nullcontext(settings)
    return target.reference_server(settings, log_path=report_dir / "reference-server.log")


def _run_pytest(settings, select: str | None):
    import hypothesis
    import hypothesis.configuration
    import pytest
    from metastudio_conformance.plugin import ConformancePlugin

    # Hypothesis' caches go with the run's reports, not into whatever directory this is.
    hypothesis.configuration.set_hypothesis_home_dir(settings.report_dir / ".hypothesis")
    hypothesis.settings.register_profile(
        "metastudio-conformance",
        max_examples=settings.max_examples,
        deadline=None,
        database=None,  # the seed, not a local database, makes a run repeatable
        suppress_health_check=list(hypothesis.HealthCheck),
    )
    hypothesis.settings.load_profile("metastudio-conformance")
    plugin = ConformancePlugin(settings, select)
    report_dir = settings.report_dir
    arguments = [
        str(SUITE_DIR), "-c", os.devnull, "--rootdir", str(SUITE_DIR),
        "-p", "no:cacheprovider", "-q", "--tb=no", "-W", "ignore::DeprecationWarning",
        "-W", "ignore::pytest.PytestAssertRewriteWarning",
        f"--hypothesis-seed={settings.seed}",
        f"--alluredir={report_dir / 'allure-results'}", "--clean-alluredir",
        f"--junitxml={report_dir / 'junit.xml'}",
    ]
    if select:
        arguments += ["-k", select]
    try:
        code = pytest.main(arguments, plugins=[plugin])
    finally:
        plugin.cleanup()  # also after Ctrl-C or a crash: delete what the run created
    return plugin, int(code)


def _exit_code(code: int, rows: dict, settings, args) -> int:
    statuses = {row["status"] for row in rows.values()}
    if code == 2:  # pytest's "interrupted": Ctrl-C; the cleanup has already run
        return _fail(EXIT_INTERRUPTED, "interrupted; the jobs this run created and left "
                     "deletable were deleted")
    if "fail" in statuses:
        failed = ", ".join(rid for rid, row in rows.items() if row["status"] == "fail")
        print(f"conformance failures: {failed}", file=sys.stderr)
        print(f"replay: {_replay_command(settings, args)}", file=sys.stderr)
        return EXIT_FAIL
    if code == 5:
        return _fail(EXIT_USAGE, "no test matched the selection")
    if code in (3, 4):  # internal error, usage error
        return _fail(EXIT_SUITE_ERROR if code == 3 else EXIT_USAGE, f"pytest exited with {code}")
    if "error" in statuses or code != 0:
        return _fail(EXIT_SUITE_ERROR, "the suite could not complete; see results.json")
    return EXIT_OK


# What decides which tests run and on which jobs: a replay repeats all of it (secrets come
# from the environment or the profile again, never from this line).
_REPLAYED = ("target", "project_id", "tenant", "na_project_id", "other_project_id",
             "profile", "model", "inventory", "max_examples", "max_time", "allow_writes")


def _replay_command(settings, args) -> str:
    parts = ["metastudio-conformance", "run", "--seed", str(settings.seed)]
    for option in _REPLAYED:
        value = getattr(args, option, None)
        if value is True:
            parts.append("--" + option.replace("_", "-"))
        elif value is not None:
            parts += ["--" + option.replace("_", "-"), f"{value:g}" if isinstance(value, float)
                      else str(value)]
    if args.control is False:
        parts.append("--no-control")
    if args.select:
        parts += ["-k", args.select]
    return shlex.join(parts)


def _fail(code: int, message: str) -> int:
    print(f"metastudio-conformance: {message}", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
