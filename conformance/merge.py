"""`metastudio-conformance merge DIR... --report-dir OUT`: one run from its shards.

Each DIR is the report folder of one `run --shard i/N` of the same run (suite version,
spec, seed, examples, selection, strictness, project). The merge joins the test records
(`run_parts.absorb`, as the controller of `--workers` joins its workers), recomputes each
requirement's status from them (fail and error beat pass, pass beats not covered), and
writes one report folder: results.json, conformance.md/html, junit.xml and
allure-results, which `metastudio-conformance report --history` turns into the Allure
report with its history.

A shard that failed (its folder holds an `exit-code` file, as `scripts/shard.sh` leaves,
and no results, or results with a code that judged nothing) does not stop the merge: the
others are joined, its tests are recorded as not run, and it is named with its code on
stderr, in results.json (`failed_shards`) and in the conformance report. Exit codes: the
worst (`exit_codes.worst`) of the merged verdict's (as `run`: 0, 1, 4, 5) and the failed
shards'; 2 for unusable input (a missing folder, one with neither results.json nor
exit-code, shards of different runs).
"""

from __future__ import annotations

import argparse
import shlex
import shutil
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from metastudio_conformance import __version__, coverage, run_parts
from metastudio_conformance.config import shard_of
from metastudio_conformance.exit_codes import ExitCode, Verdict, failed, meaning, verdict, worst
from metastudio_conformance.recorder import Recorder, requests_per_requirement, table
from metastudio_conformance.reports import document as doc
from metastudio_conformance.status import Placeholder

PROG = "metastudio-conformance merge"
# What must be the same in every shard of one run.
SAME = ("results_version", "suite_version", "spec_sha256", "seed", "max_examples", "strict",
        "selection")
EXIT_CODE_FILE = "exit-code"  # a shard's exit code beside its reports (scripts/shard.sh)
# A shard that exited so has judged what it ran; any other code is a failed shard.
JUDGED = (ExitCode.OK, ExitCode.FAIL, ExitCode.NOTHING_TESTED)


class MergeError(Exception):
    """Shards that cannot be joined; the message is one line."""


@dataclass(frozen=True)
class FailedShard:
    """A shard that left no results, or whose exit code says it could not judge."""

    name: str  # its folder's name, as CI names the shard's artifact
    code: int
    joined: bool  # its results (what it did run) are part of the merge

    @property
    def night_code(self) -> int:
        """Its share of the night's code: a shard without results never passed."""
        return ExitCode.SUITE_ERROR if not self.joined and self.code in JUDGED else self.code

    def describe(self) -> str:
        return f"{self.name} (exit {self.code}: {meaning(self.code)})"

    def line(self) -> str:
        then = "its results are joined" if self.joined else "no results: its tests did not run"
        return f"shard {self.describe()} failed; {then}"

    def record(self) -> dict:
        return {"name": self.name, "exit_code": self.code, "meaning": meaning(self.code),
                "results_joined": self.joined}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):
        self.exit(ExitCode.USAGE, f"{PROG}: error: {message}\n")


def main(argv: list[str]) -> int:
    parser = _Parser(prog=PROG, description=__doc__.splitlines()[0].replace("`", ""))
    parser.add_argument("folders", nargs="+", metavar="DIR",
                        help="report folders of the shards (run --shard i/N --report-dir DIR)")
    parser.add_argument("--report-dir", dest="report_dir", default="conformance-reports/latest",
                        help="where the merged reports go (default conformance-reports/latest)")
    args = parser.parse_args(argv)
    out = Path(args.report_dir)
    try:
        shards, broken = load_shards([Path(folder) for folder in args.folders], out)
        document = merge(shards, out, broken) if shards else None
    except MergeError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return ExitCode.USAGE
    if document is None:
        _name_failed(broken)
        print(f"{PROG}: no shard left results; nothing to merge", file=sys.stderr)
        return worst(shard.night_code for shard in broken)
    write(out, document, [folder for folder, _ in shards])
    code = exit_code(document)
    _name_failed(broken)
    return worst([code, *(shard.night_code for shard in broken)])


def _name_failed(broken: list[FailedShard]) -> None:
    for shard in broken:
        print(f"{PROG}: {shard.line()}", file=sys.stderr)


def load_shards(folders: list[Path], out: Path
                ) -> tuple[list[tuple[Path, dict]], list[FailedShard]]:
    """(folder, results document) of each shard with results, in shard order, checked to
    be one run; and the shards that failed."""
    shards, broken = [], []
    for folder in folders:
        if not folder.is_dir():
            raise MergeError(f"{folder} is not a folder")
        if folder.resolve() == out.resolve():
            raise MergeError(f"--report-dir {out} is one of the shards; give a new folder")
        code = _exit_code_of(folder)
        try:
            document = doc.load(folder)
        except doc.ReportError as exc:
            if code is None:
                raise MergeError(f"{exc} (not a report folder of a run)") from None
            broken.append(FailedShard(folder.name, code, joined=False))
            continue
        if not document.get("shard"):
            raise MergeError(f"{folder} is not a shard's report folder (its run had no "
                             "--shard i/N)")
        if code is not None and code not in JUDGED:
            broken.append(FailedShard(folder.name, code, joined=True))
        shards.append((folder, document))
    shards.sort(key=lambda shard: shard_of(shard[1]["shard"]))
    if shards:
        _check_one_run(shards, without_results=sum(not shard.joined for shard in broken))
    return shards, broken


def _exit_code_of(folder: Path) -> int | None:
    """The code in the shard's exit-code file; None when it has none."""
    path = folder / EXIT_CODE_FILE
    if not path.is_file():
        return None
    words = path.read_text(encoding="utf-8", errors="replace").split()
    if not words or not words[0].isdigit():
        raise MergeError(f"{path} holds no exit code")
    return int(words[0])


def _check_one_run(shards: list[tuple[Path, dict]], without_results: int = 0) -> None:
    """Refuses shards of different runs; a shard index may be missing only for a failed
    shard that left no results (its folder cannot say which index it had)."""
    (first, base), others = shards[0], shards[1:]
    for folder, document in others:
        for key in SAME:
            if document.get(key) != base.get(key):
                raise MergeError(f"{first} and {folder} are not shards of one run: {key} "
                                 f"{base.get(key)!r} vs {document.get(key)!r}")
        if not _same_target(base.get("target") or {}, document.get("target") or {}):
            raise MergeError(f"{first} and {folder} are not shards of one run: they tested "
                             "different targets or projects")
        if {t["id"] for t in document["tests"]} != {t["id"] for t in base["tests"]}:
            raise MergeError(f"{first} and {folder} are not shards of one run: they "
                             "collected different tests")
    if base.get("suite_version") != __version__:
        raise MergeError(f"the shards were made by suite {base.get('suite_version')}, this is "
                         f"{__version__}: merge them with the version that made them")
    numbers = [shard_of(document["shard"]) for _, document in shards]
    count = numbers[0][1]
    if any(n != count for _, n in numbers):
        raise MergeError("the shards split the tests differently: "
                         + ", ".join(document["shard"] for _, document in shards))
    indices = [i for i, _ in numbers]
    if len(set(indices)) != len(indices):
        raise MergeError("a shard is given twice: " + ", ".join(d["shard"] for _, d in shards))
    missing = sorted(set(range(1, count + 1)) - set(indices))
    if len(missing) > without_results:
        raise MergeError(f"shard(s) {', '.join(f'{i}/{count}' for i in missing)} missing")


def _same_target(one: dict, other: dict) -> bool:
    """Same URL, project and tenant; for loopback servers (the bundled one starts on a
    port and with a project of its own on each machine) the tenant alone."""
    if all(_is_loopback(block.get("url")) for block in (one, other)):
        return one.get("tenant") == other.get("tenant")
    keys = ("url", "project_id", "tenant")
    return [one.get(key) for key in keys] == [other.get(key) for key in keys]


def _is_loopback(url) -> bool:
    from metastudio_conformance.config import Settings

    return not url or Settings(target=str(url)).is_loopback


def merge(shards: list[tuple[Path, dict]], out: Path,
          broken: list[FailedShard] = ()) -> dict:
    """The results document of the whole run."""
    tally = run_parts.Tally()
    for _, document in shards:
        run_parts.absorb(tally, document)
    lost = [shard for shard in broken if not shard.joined]
    if lost:
        tally.recorder.tests = _not_run_by(tally.recorder.tests, lost)
    documents = [document for _, document in shards]
    merged = dict(documents[0])
    merged.update(
        run_id=", ".join(d["run_id"] for d in documents if d.get("run_id")),
        shard=None, shards=[d["shard"] for d in documents],
        failed_shards=[shard.record() for shard in broken],
        workers=max(d.get("workers") or 1 for d in documents),
        replay=_replay(documents[0].get("replay"), out),
        started=min(d["started"] for d in documents),
        duration_s=max(d.get("duration_s") or 0 for d in documents),
        requests_sent=tally.test_requests, cleanup_requests=tally.cleanup_elsewhere,
        jobs=tally.jobs_elsewhere,
        requests_per_requirement=requests_per_requirement(tally.recorder.tests),
        first_failure=tally.first_failure, aborted=tally.abort_reason, stopped=tally.stopped,
        reporting_error=tally.reporting_error,
        requirements=list(Recorder(tally.recorder.tests).summary(tally.matrices).values()),
        tests=tally.recorder.tests, matrices=tally.matrices,
        latency=None)  # percentiles do not add up; the shards' samples are not kept
    return merged


def _not_run_by(tests: list[dict], lost: list[FailedShard]) -> list[dict]:
    """The tests no shard ran (their shard failed) are not run, naming the failed shards."""
    reason = "not run: its shard failed, " + ", ".join(shard.describe() for shard in lost)
    return [{**test, "outcome": Placeholder.NOT_RUN, "reason": reason,
             "evidence": dict.fromkeys(test["by_requirement"], reason)}
            if test.get("outcome") == Placeholder.OTHER_SHARD else test for test in tests]


def _replay(replay: str | None, out: Path) -> str | None:
    """The replay of the whole run: the shard's command without its --shard, reporting
    where the merge did."""
    if not replay:
        return replay
    words = shlex.split(replay)
    for option in ("--shard", "--report-dir"):
        if option in words:
            at = words.index(option)
            del words[at:at + 2]
    return shlex.join([*words, "--report-dir", str(out)])


def write(out: Path, document: dict, folders: list[Path]) -> None:
    import json

    from metastudio_conformance.runner import write_reports

    out.mkdir(parents=True, exist_ok=True)
    (out / doc.RESULTS_FILE).write_text(json.dumps(document, indent=2, ensure_ascii=False)
                                        + "\n", encoding="utf-8")
    _join_junit([folder / "junit.xml" for folder in folders], out / "junit.xml")
    allure = out / "allure-results"
    shutil.rmtree(allure, ignore_errors=True)
    allure.mkdir()
    for folder in folders:  # result files are named by UUID: no two shards share one
        for path in sorted((folder / "allure-results").glob("*")):
            if path.is_file() and path.name != "environment.properties":
                shutil.copy2(path, allure / path.name)
    write_reports(out)  # environment, conformance.md/html, labels and JUnit properties


def _join_junit(paths: list[Path], out: Path) -> None:
    """One testsuite with every shard's testcases; its counts are their sums."""
    trees = [ET.parse(path) for path in paths if path.is_file()]
    if not trees:
        return
    root = trees[0].getroot()
    suite = root if root.tag == "testsuite" else root.find("testsuite")
    for tree in trees[1:]:
        for other in tree.getroot().iter("testsuite"):
            for key in ("tests", "errors", "failures", "skipped"):
                suite.set(key, str(int(suite.get(key, 0)) + int(other.get(key, 0))))
            suite.set("time", f"{float(suite.get('time', 0)) + float(other.get('time', 0)):.3f}")
            suite.extend(other.findall("testcase"))
    trees[0].write(out, encoding="utf-8", xml_declaration=True)


def exit_code(document: dict) -> int:
    """The merged run's exit code, by the policy of `run` (`exit_codes.verdict`)."""
    rows = document["requirements"]
    print(table({row["id"]: row for row in rows}))
    ended = verdict(rows, aborted=bool(document.get("aborted")),
                    reporting_failed=bool(document.get("reporting_error")),
                    full_coverage=bool(document.get("require_full_coverage")))
    if ended is Verdict.FAILED:
        print(f"conformance failures: {', '.join(failed(rows))}", file=sys.stderr)
        print(f"replay: {document.get('replay')}", file=sys.stderr)
        return ended.code
    message = {
        Verdict.ABORTED: f"a shard stopped early: {document.get('aborted')}",
        Verdict.REPORTING_FAILED: f"a shard's {document.get('reporting_error')}",
        Verdict.INCOMPLETE: "the suite could not complete; see results.json",
        Verdict.NOTHING_TESTED: "no documented requirement was tested",
        Verdict.COVERAGE_SHORT: "coverage short of full (--require-full-coverage): "
                                + ", ".join(coverage.short_of_full({r["id"]: r for r in rows})),
    }.get(ended)
    if message:
        print(f"{PROG}: {message}", file=sys.stderr)
    return ended.code
