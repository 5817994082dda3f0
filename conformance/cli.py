"""`metastudio-conformance`: run the suite against a target, or serve the reference server.

Exit codes of `run`: 0 every requirement that ran passed, 1 conformance failures, 2 usage
or configuration error (a setup the preflight refuses included), 3 target unreachable, 4
the suite itself broke (error status), 5 no documented requirement could be tested.
`learn` exits as its run did (the model is written after a run that ended 0 or 1); `diff`
exits 0 when the models agree, 1 when they differ, 2 when a file is not a learned model.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import sys
from importlib import resources
from pathlib import Path

from metastudio_conformance import coverage, settings_table
from metastudio_conformance.exit_codes import ExitCode, Verdict, failed, verdict

SUITE_DIR = Path(str(resources.files("metastudio_conformance.suite")))


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line and exit 2, as for every usage problem
        self.exit(ExitCode.USAGE, f"metastudio-conformance: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    from metastudio_conformance import __version__

    parser = _Parser(prog="metastudio-conformance",
                     description=__doc__.splitlines()[0].replace("`", ""))
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", parser_class=_Parser)
    run = commands.add_parser("run", help="run the conformance suite (default target: the "
                              "bundled reference server)")
    settings_table.add_options(run)
    run.add_argument("-k", dest="select", help="run only tests matching this pytest expression")
    learn = commands.add_parser("learn", help="learn what a target chose where the documents "
                                "are silent, as a model profile for run --model")
    learn.add_argument("--out", required=True, help="where the learned model goes "
                       "(X.model.yaml)")
    settings_table.add_options(learn)
    learn.add_argument("-k", dest="select", help="the tests to learn from (default: those "
                       "that probe the silent points)")
    diff = commands.add_parser("diff", help="where two learned models differ (exit 1)")
    diff.add_argument("models", nargs=2, metavar="MODEL")
    diff.add_argument("--markdown", action="store_true", help="a markdown table")
    _target_options(commands.add_parser(
        "cleanup", help="delete the deletable jobs a cancelled run left behind"))
    survey = commands.add_parser(
        "inventory", help="list the project's existing jobs by state (read-only) and "
        "write a starter inventory, every job disposable: false")
    survey.add_argument("--out", default="inventory.yaml",
                        help="where the starter inventory goes (inventory.yaml)")
    settings_table.add_options(survey, CLEANUP_SETTINGS, helps={
        "target": "base URL of the service", "project_id": "the project to survey"})
    serve = commands.add_parser("serve", help="run the bundled reference server",
                                add_help=False)
    serve.add_argument("serve_args", nargs=argparse.REMAINDER)
    commands.add_parser("report", help="build the HTML reports of a run",
                        add_help=False)
    commands.add_parser("requirements", help="list the requirements of the oracle")
    commands.add_parser("merge", help="join the report folders of a run's shards",
                        add_help=False)
    return parser


def _target_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--run-id", dest="run_id", required=True,
                        help="the run id printed at the start of that run")
    settings_table.add_options(parser, CLEANUP_SETTINGS, helps={
        "target": "base URL of the server the run tested",
        "project_id": "project id of that run"})


# What `cleanup` needs of the run it cleans up after: where, whose, and how to connect.
CLEANUP_SETTINGS = ("target", "project_id", "token", "ak", "sk", "profile", "tls_verify",
                    "client_cert")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["serve"]:  # every option belongs to the reference server
        from metastudio_conformance.reference_server.__main__ import main as serve

        return serve(argv[1:])
    if argv[:1] == ["merge"]:
        from metastudio_conformance.merge import main as merge

        return merge(argv[1:])
    if argv[:1] == ["report"]:  # every option belongs to the report builder
        from metastudio_conformance.reports.cli import main as report

        return report(argv[1:])
    args = build_parser().parse_args(argv)
    if args.command == "requirements":
        from metastudio_conformance.requirements import REQUIREMENTS

        for requirement in REQUIREMENTS.values():
            print(f"{requirement.id:<8} {requirement.title}  [{requirement.source}]")
        return ExitCode.OK
    if args.command == "cleanup":
        return cleanup(args)
    if args.command == "inventory":
        return inventory(args)
    if args.command in ("learn", "diff"):
        from metastudio_conformance import learn, model_diff

        return learn.main(args, run) if args.command == "learn" else model_diff.main(args)
    if args.command != "run":
        build_parser().print_help()
        return ExitCode.USAGE
    try:
        return run(args)
    except KeyboardInterrupt:  # pytest handles its own; this is Ctrl-C around it
        print("metastudio-conformance: interrupted", file=sys.stderr)
        return ExitCode.INTERRUPTED


def run(args: argparse.Namespace, adjust=None) -> int:
    """`adjust`: what `learn` changes of the resolved settings (its model)."""
    from metastudio_conformance import config, inventory, runner, target

    for secret in settings_table.SECRETS:
        if getattr(args, secret):
            setting = settings_table.BY_KEY[secret]
            print(f"warning: {setting.named} on the command line is visible to other users of "
                  f"this machine; prefer {setting.env}", file=sys.stderr)
    try:
        settings = runner.finalize((adjust or (lambda s: s))(config.resolve(vars(args))))
        inventory.load(settings.inventory)  # a bad inventory is a usage error, up front
        with runner.open_run(settings, args.select) as run:
            with _redacted_console(run.redactor):
                code = _run_pytest(run)
    except config.ConfigError as exc:
        return _fail(ExitCode.USAGE, str(exc))
    except target.TargetUnreachable as exc:
        return _fail(ExitCode.UNREACHABLE, f"target unreachable: {exc}")
    except target.SetupError as exc:  # before any test: no results, no FAIL rows
        return _fail(ExitCode.USAGE, str(exc))
    except target.ReferenceServerFailed as exc:
        return _fail(ExitCode.SUITE_ERROR, str(exc))
    return _exit_code(code, run)


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


def _against_target(args: argparse.Namespace, why: str, work):
    """Settings, a --target, a preflight, then `work(settings)`: (exit code, its result).
    A bad setting, a refused setup or a target that went away is one line and its code."""
    import requests

    from metastudio_conformance import config, target

    try:
        settings = config.resolve(vars(args))
        if settings.target is None:
            raise config.ConfigError(f"{args.command} needs --target ({why})")
        target.preflight(settings)
        return ExitCode.OK, work(settings)
    except (config.ConfigError, target.SetupError) as exc:
        return _fail(ExitCode.USAGE, str(exc)), None
    except target.TargetUnreachable as exc:
        return _fail(ExitCode.UNREACHABLE, f"target unreachable: {exc}"), None
    except requests.RequestException as exc:  # it passed the preflight, then went away
        return _fail(ExitCode.UNREACHABLE, "target unreachable: " + target.describe(
            exc, settings.target, settings.request_timeout)), None


def cleanup(args: argparse.Namespace) -> int:
    from metastudio_conformance import cleanup as leftovers

    code, swept = _against_target(args, "the bundled server keeps nothing",
                                  lambda settings: leftovers.remove(settings, args.run_id))
    if code != ExitCode.OK:
        return code
    deleted, kept = swept
    print(f"run {args.run_id}: deleted {len(deleted)} job(s); kept {len(kept)} not deletable"
          + (f" ({', '.join(f'{j} in {s}' for j, s in kept)})" if kept else ""))
    return ExitCode.OK


def inventory(args: argparse.Namespace) -> int:
    from metastudio_conformance import survey

    code, jobs = _against_target(args, "the service to survey", survey.survey)
    if code != ExitCode.OK:
        return code
    out = Path(args.out)
    try:
        survey.write_starter(jobs, out)
    except OSError as exc:
        return _fail(ExitCode.USAGE, f"cannot write {out}: {exc.strerror}")
    for line in survey.summary(jobs):
        print(line)
    print(f"starter inventory: {out} (every job disposable: false; mark the ones the suite "
          f"may command and delete, then run --inventory {out})")
    return ExitCode.OK


def _run_pytest(run) -> int:
    import pytest

    settings = run.context.settings
    report_dir = settings.report_dir
    # Emptied here, not by every worker (allure's --clean-alluredir) as the others write.
    shutil.rmtree(report_dir / "allure-results", ignore_errors=True)
    arguments = [
        str(SUITE_DIR), "-c", os.devnull, "--rootdir", str(SUITE_DIR),
        "-p", "no:cacheprovider", "-q", "--tb=no", "-W", "ignore::DeprecationWarning",
        # Ctrl-C during a fixture's teardown: the one interrupted line says it, not a warning
        "-W", "ignore::pluggy.PluggyTeardownRaisedWarning",
        # The suite judges with its own rules, not bare asserts: rewriting the modules of
        # every installed pytest plugin (schemathesis, hypothesis, ...) would cost each
        # process seconds where bytecode is not cached (PYTHONDONTWRITEBYTECODE, read-only).
        "--assert=plain",
        "-W", "ignore::pytest.PytestAssertRewriteWarning",
        f"--hypothesis-seed={settings.seed}",
        f"--alluredir={report_dir / 'allure-results'}",
        f"--junitxml={report_dir / 'junit.xml'}",
    ]
    if run.context.selection:
        arguments += ["-k", run.context.selection]
    if settings.max_failures:
        arguments.append(f"--maxfail={settings.max_failures}")
    if settings.workers > 1:
        arguments += ["-n", str(settings.workers), "--dist", "worksteal"]
    return int(pytest.main(arguments, plugins=run.plugins))


def _exit_code(code: int, run) -> int:
    """The exit code of the run (`exit_codes.verdict`), said in one line."""
    rows, context = run.rows, run.context
    ended = verdict(rows.values(), bool(context.abort_reason), code, bool(context.stopped),
                    bool(context.reporting_error), context.settings.require_full_coverage)
    if ended is Verdict.FAILED:
        print(f"conformance failures: {', '.join(failed(rows.values()))}", file=sys.stderr)
        print(f"replay: {context.replay}", file=sys.stderr)
        return ended.code
    message = {
        Verdict.ABORTED: context.abort_reason,
        Verdict.REPORTING_FAILED: context.reporting_error,
        Verdict.INTERRUPTED: "interrupted; the jobs this run created and left deletable "
                             "were deleted",
        Verdict.NO_TEST_SELECTED: "no test matched the selection",
        Verdict.COVERAGE_SHORT: "coverage short of full (--require-full-coverage): "
                                + ", ".join(coverage.short_of_full(rows)),
        Verdict.PYTEST_INTERNAL_ERROR: f"pytest exited with {code}",
        Verdict.PYTEST_USAGE_ERROR: f"pytest exited with {code}",
        Verdict.INCOMPLETE: "the suite could not complete; see results.json",
        Verdict.NOTHING_TESTED: "no documented requirement was tested (all not covered or "
                                "disabled); see the reasons in results.json",
    }.get(ended)
    return _fail(ended.code, message) if message else ended.code


def _fail(code: int, message: str) -> int:
    print(f"metastudio-conformance: {message}", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
