"""`metastudio-conformance report`: the reports people read, from a run's report folder.

It writes conformance.md and conformance.html (always: they need only Python), then the
Allure HTML report with its history (when Node is there). Given how the run ended (exit
2, 3 or 4, as scripts/nightly.sh passes it), the reports say what went wrong, even when
the run left no results.json. Exit codes: 0 the reports were written (a missing Node or a
failed Allure install is one line on stderr, not a failure), 2 usage error or no usable
results.json in the report folder (and no bad ending to report instead).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from metastudio_conformance.exit_codes import ExitCode
from metastudio_conformance.reports import allure_extras, allure_html, conformance, run_ending
from metastudio_conformance.reports import document as doc

PROG = "metastudio-conformance report"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line and exit 2, as `run` does
        self.exit(ExitCode.USAGE, f"{PROG}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description=__doc__.splitlines()[0].replace("`", ""))
    parser.add_argument("--report-dir", dest="report_dir", default="conformance-reports/latest",
                        help="report folder of a run, with results.json (default "
                        "conformance-reports/latest)")
    parser.add_argument("--history", default="conformance-reports/history/allure-history.jsonl",
                        help="Allure history kept between runs; each report appends one "
                        "line (default conformance-reports/history/allure-history.jsonl)")
    parser.add_argument("--out", help="folder of the Allure HTML report (default "
                        "<report-dir>/html)")
    parser.add_argument("--run-id", help="the run's one point in the history: a rebuild, or "
                        "a CI re-run attempt, with the same id replaces it (default: the "
                        "run_id of results.json)")
    ending = parser.add_argument_group("how the run ended (scripts/nightly.sh passes it)")
    ending.add_argument("--exit-code", type=int, help="the run's exit code: 2, 3 or 4 put "
                        "what went wrong on the pages")
    ending.add_argument("--exit-line", default="", help="the run's one line saying why")
    ending.add_argument("--ended", help="when it ended, UTC like 2025-01-31T02:23:00Z "
                        "(default: now)")
    return parser


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    report_dir = Path(args.report_dir)
    ending = run_ending.bad_ending(args.exit_code, args.exit_line, args.ended)
    try:
        document = doc.load(report_dir)
        md_path, html_path = conformance.write(report_dir)
    except doc.ReportError as exc:
        if ending is None:
            return _fail(f"{exc}; run `metastudio-conformance run --report-dir {report_dir}` "
                         "first")
        document = run_ending.stand_in_document(ending)
        md_path, html_path = run_ending.write_pages(report_dir, ending,
                                                    doc.target(document)["url"])
    except OSError as exc:
        return _fail(f"cannot write the conformance report in {report_dir}: {exc}")
    print(f"conformance report: {md_path}, {html_path}")
    if ending:
        print(f"the run ended with {ending.summary}")
    if document["requirements"]:  # none: the run left no results
        print(doc.headline(document["requirements"]))
        print(doc.model_headline(document["requirements"]))
    try:  # idempotent: labels follow the outcomes in results.json, whoever filed them first
        allure_extras.file_by_requirement(report_dir, document)
        run_ending.file_in_allure(report_dir / "allure-results", ending)
    except (OSError, doc.ReportError) as exc:
        _warn(f"Allure and JUnit results not filed by requirement: {exc}")
    run_id = args.run_id or document.get("run_id") or f"ended {document.get('started')}"
    index = _allure_report(report_dir, document, Path(args.history),
                           Path(args.out) if args.out else report_dir / "html", run_id)
    if index:
        print(f"Allure report: {index} (history: {args.history})")
    return ExitCode.OK


def _allure_report(report_dir: Path, document: dict, history: Path, out: Path,
                   run_id: str) -> Path | None:
    """The Allure HTML, or None after one line on stderr saying why there is none."""
    results_dir = report_dir / "allure-results"
    if not results_dir.is_dir():
        _warn(f"no {results_dir}, so no Allure report")
        return None
    try:
        allure_extras.write_environment(results_dir, document)
        name = f"MetaStudio conformance: {doc.target_name(document)}"
        return allure_html.build(results_dir, out, history, name, run_id)
    except allure_html.AllureUnavailable as exc:
        _warn(f"Allure HTML report not built: {exc}; the conformance report was written")
    except OSError as exc:
        _warn(f"Allure HTML report not built: {exc}")
    return None


def _warn(message: str) -> None:
    print(f"{PROG}: {message}", file=sys.stderr)


def _fail(message: str) -> int:
    _warn(message)
    return ExitCode.USAGE
