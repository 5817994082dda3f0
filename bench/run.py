"""All of the suite's performance figures, side by side in one sitting.

    .venv/bin/python bench/run.py [--rounds 3] [--peer CLI] [--baseline CLI] [--skip kill,...]

1. requests: the default run (`metastudio-conformance run --seed 1`, bundled server) and
   `--max-examples 10`: requests, cleanup requests, jobs made and reused, wall seconds;
   with `--peer` the same runs of another installed version, alternated (the version
   before issue 12, say: `pip install` it into a venv of its own). With `--baseline`, the
   version issue 12 took its baseline from (8399e10, 206 tests; 6,835 requests in all) beside this
   version restricted to those tests (`BASELINE_TESTS`), with and without `--full-matrix`:
   the same coverage.
2. workers: a deep run (`--max-examples 200`) on `--workers 1` and `--workers 2`,
   alternated, on the bundled server and on a reference server started apart that answers
   10 ms late (a target on another machine); median wall and CPU seconds, the speed-up,
   and what the CPU seconds bound it at (a run of one test shows the fixed part).
3. server: the reference server against Stoplight Prism at 16 clients
   (`bench/server_throughput.py`).
4. kill: `bench/kill_matrix.py`, ours against plain schemathesis on every fault: caught,
   and the time to the first failure (rewrites docs/kill-matrix.md; about 25 minutes).

Benchmarks, not tests: nothing passes or fails. The figures replace the part of
docs/performance.md between its `bench:begin` and `bench:end` markers, with the command,
the machine and the date.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from metastudio_conformance.status import Status

ROOT = Path(__file__).resolve().parent.parent
CLI = str(Path(sys.executable).parent / "metastudio-conformance")
DOC = ROOT / "docs" / "performance.md"
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"
PARTS = ("requests", "workers", "server", "kill")
# The tests added since 8399e10 (near-miss probes, sample answers) left out: what is left
# are the 206 tests of that version, under today's names.
BASELINE_TESTS = ("not test_near_miss_is_refused and not test_spec_only_exclusion_is_noted "
                  "and not test_character_outside_the_pattern_is_noted "
                  "and not test_documented_request")


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "bench" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def one_run(cli: str, *options: str) -> dict:
    """One run of `cli run --seed 1 OPTIONS` (on the bundled server unless OPTIONS give a
    --target), from an empty folder: its figures, CPU seconds included."""
    with tempfile.TemporaryDirectory() as tmp:
        started, cpu = time.monotonic(), _children_cpu()
        # From an empty folder, as a user runs it: an older version started from this
        # checkout would import this checkout's reference_server instead of its own
        done = subprocess.run([cli, "run", "--seed", "1", *options, "--report-dir", tmp],
                              capture_output=True, text=True, check=False, timeout=3600,
                              cwd=tmp)
        wall, cpu = time.monotonic() - started, _children_cpu() - cpu
        path = Path(tmp) / "results.json"
        if not path.exists():
            return {"error": f"{cli} exited {done.returncode}: {done.stderr.strip()[-300:]}"}
        results = json.loads(path.read_text())
    statuses = [r["status"] for r in results["requirements"]]
    return {"exit": done.returncode, "wall": wall, "cpu": cpu,
            "requests": results["requests_sent"] + results["cleanup_requests"],
            "cleanup": results["cleanup_requests"], "jobs": results.get("jobs"),
            "passed": statuses.count(Status.PASS), "requirements": len(statuses)}


def _children_cpu() -> float:
    """User and system seconds of every finished child process and its waited-for
    children (the CLI waits for its workers and the bundled server)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def alternated(commands: dict[str, tuple], rounds: int) -> dict[str, list[dict]]:
    """Each command once per round, in turn, so a drift of the machine hits all alike."""
    runs: dict[str, list[dict]] = {name: [] for name in commands}
    for _ in range(rounds):
        for name, (cli, *options) in commands.items():
            runs[name].append(one_run(cli, *options))
    return runs


def _median(runs: list[dict], key: str) -> float:
    return statistics.median(run[key] for run in runs)


def requests_table(rounds: int, peer: str | None, baseline: str | None = None) -> list[str]:
    versions = {"this version": CLI, **({"peer": peer} if peer else {})}
    commands = {(version, examples): (cli, *(["--max-examples", "10"] if examples == 10
                                            else []))
                for version, cli in versions.items() for examples in (40, 10)}
    if baseline:
        commands[("baseline (8399e10), its 206 tests", 40)] = (baseline,)
        commands[("this version, the baseline's 206 tests", 40)] = (CLI, "-k", BASELINE_TESTS)
        commands[("this version, the baseline's 206 tests, `--full-matrix`", 40)] = (
            CLI, "-k", BASELINE_TESTS, "--full-matrix")
    runs = alternated(commands, rounds)
    lines = ["| version | examples | requests | of them cleanup | jobs made / reused | "
             "requirements passed | wall s (median) |", "|---|---|---|---|---|---|---|"]
    for (version, examples), results in runs.items():
        if any("error" in run for run in results):
            lines.append(f"| {version} | {examples} | {results[0].get('error')} |||||")
            continue
        last = results[-1]
        jobs = last["jobs"] or {}
        share = 100 * last["cleanup"] / max(last["requests"], 1)
        lines.append(f"| {version} | {examples} | {last['requests']} | {last['cleanup']} "
                     f"({share:.1f} %) | {jobs.get('made', '-')} / {jobs.get('reused', '-')} | "
                     f"{last['passed']} of {last['requirements']} | "
                     f"{_median(results, 'wall'):.1f} |")
    return lines


# One cheap test: what a run costs before and after its tests, in one process or on 2 workers
FIXED_COST_TEST = "test_request_id_on_every_kind_of_answer"


REMOTE_DELAY_MS = 10  # a target on another machine nearby: its answers cost the cores nothing


def remote_workers(rounds: int) -> dict[int, list[dict]]:
    """The deep run on 1 and 2 workers against a reference server started apart, answering
    each request REMOTE_DELAY_MS late (`--delay-ms`): a fresh server per run, alternated."""
    kill = _load("kill_matrix")
    runs: dict[int, list[dict]] = {1: [], 2: []}
    for _ in range(rounds):
        for count in runs:
            with tempfile.TemporaryDirectory() as tmp:
                server, url = kill.start_server(None, Path(tmp) / "server.log", "--delay-ms",
                                                str(REMOTE_DELAY_MS))
                try:
                    runs[count].append(one_run(
                        CLI, "--target", url, "--project-id", kill.PROJECT, "--na-project-id",
                        kill.NA_PROJECT, "--other-project-id", kill.NA_PROJECT, "--ak", kill.AK,
                        "--sk", kill.SK, "--max-examples", "200", "--workers", str(count)))
                finally:
                    kill.stop(server)
    return runs


def workers_table(rounds: int) -> list[str]:
    deep = ("--max-examples", "200")
    runs = alternated({**{count: (CLI, *deep, "--workers", str(count)) for count in (1, 2)},
                       **{("fixed", count): (CLI, "-k", FIXED_COST_TEST, "--workers", str(count))
                          for count in (1, 2)}}, rounds)
    runs.update({("remote", count): results for count, results in remote_workers(rounds).items()})
    if any("error" in run for results in runs.values() for run in results):
        return [f"Workers: {next(r['error'] for rs in runs.values() for r in rs if 'error' in r)}"]
    wall = {name: _median(results, "wall") for name, results in runs.items()}
    cpu = {name: _median(results, "cpu") for name, results in runs.items()}
    walls = {name: ", ".join(f"{run['wall']:.1f}" for run in results)
             for name, results in runs.items()}
    one, two = wall[1], wall[2]
    fixed = cpu[("fixed", 2)] - cpu[("fixed", 1)]
    # N cores give N CPU seconds a second at most: a run lasts at least its CPU seconds
    # over N, whatever the scheduling
    cores = os.cpu_count() or 1
    return ["| run | wall s, median | CPU s, median (user + sys of every process: the CLI, "
            "its workers, the bundled server) | runs (wall s) |", "|---|---|---|---|",
            f"| deep run (`--max-examples 200`), `--workers 1` | {one:.1f} | {cpu[1]:.1f} | "
            f"{walls[1]} |",
            f"| deep run (`--max-examples 200`), `--workers 2` | {two:.1f} | {cpu[2]:.1f} | "
            f"{walls[2]} |",
            *(f"| one test (`-k {FIXED_COST_TEST}`), `--workers {count}` | "
              f"{wall[('fixed', count)]:.1f} | {cpu[('fixed', count)]:.1f} | "
              f"{walls[('fixed', count)]} |" for count in (1, 2)),
            *(f"| deep run, a target {REMOTE_DELAY_MS} ms away (a reference server started "
              f"apart, `--delay-ms {REMOTE_DELAY_MS}`), `--workers {count}` | "
              f"{wall[('remote', count)]:.1f} | {cpu[('remote', count)]:.1f} (the CLI and its "
              f"workers) | {walls[('remote', count)]} |" for count in (1, 2)), "",
            f"Speed-up on 2 workers: **{one / two:.2f}x** on the bundled server; "
            f"**{wall[('remote', 1)] / wall[('remote', 2)]:.2f}x** on the target "
            f"{REMOTE_DELAY_MS} ms away (medians of {rounds}, alternated).", "",
            f"What bounds it: on {cores} cores a run cannot take less than its CPU seconds over "
            f"{cores}. The 2-worker deep run costs {cpu[2]:.1f} CPU seconds, which bounds its "
            f"speed-up at **{one / (cpu[2] / cores):.2f}x**; 1.7x needs it to cost at most "
            f"{cores * one / 1.7:.1f}. Of the {cpu[2] - cpu[1]:.1f} CPU seconds it costs "
            f"beyond one process, {fixed:.1f} are fixed (the one-test runs: a second "
            f"interpreter that imports and collects the suite, and the controller). Even with "
            f"nothing else added, the deep run's {cpu[1]:.1f} CPU seconds plus those "
            f"{fixed:.1f} bound the speed-up at "
            f"{one / ((cpu[1] + fixed) / cores):.2f}x, with both cores busy from start to end."]


def kill_lines(run: bool) -> list[str]:
    """The kill matrix's summary; made now, or (skipped) read from its last sitting."""
    out = ROOT / "docs" / "kill-matrix.md"
    if run:
        subprocess.run([sys.executable, str(ROOT / "bench" / "kill_matrix.py"), "--out",
                        str(out)], check=False)
    lines = out.read_text().splitlines()
    made = next((line for line in lines if line.startswith("Made by")), "")
    summary = [line for line in lines if line.startswith(("Detected:", "Where both detect"))]
    sitting = "made in this sitting" if run else f"from its own sitting: {made}"
    return [*summary, "", f"Per fault: [`kill-matrix.md`](kill-matrix.md), {sitting}"]


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in
                Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")),
               platform.processor() or "unknown CPU")
    return f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, loopback"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--peer", help="another version's metastudio-conformance, side by side")
    parser.add_argument("--baseline", help="the metastudio-conformance of 8399e10, where issue "
                        "12 measured its baseline")
    parser.add_argument("--skip", default="", help=f"comma-separated, of {', '.join(PARTS)}")
    parser.add_argument("--out", type=Path, default=DOC)
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    command = " ".join(["bench/run.py", "--rounds", str(args.rounds),
                        *(["--peer", "PEER"] if args.peer else []),
                        *(["--baseline", "BASELINE"] if args.baseline else []),
                        *(["--skip", args.skip] if skip else [])])
    lines = [f"Measured by `.venv/bin/python {command}` on {time.strftime('%Y-%m-%d')}, "
             f"{machine()}.", ""]
    if "requests" not in skip:
        table = requests_table(args.rounds, args.peer, args.baseline)
        lines += ["### Requests of a run", "", *table, ""]
    if "workers" not in skip:
        lines += ["### Workers", "", *workers_table(args.rounds), ""]
    if "server" not in skip:
        throughput = _load("server_throughput")
        lines += ["### Reference server against Prism", "",
                  throughput.table(throughput.measure(args.rounds, 8, 16)), ""]
    lines += ["### Time to the first failure", "", *kill_lines("kill" not in skip), ""]
    _replace_section(args.out, "\n".join(lines))
    print("\n".join(lines))
    return 0


def _replace_section(path: Path, section: str) -> None:
    text = path.read_text() if path.exists() else f"{BEGIN}\n{END}\n"
    head, _, rest = text.partition(BEGIN)
    _, _, tail = rest.partition(END)
    path.write_text(f"{head}{BEGIN}\n{section}\n{END}{tail}")


if __name__ == "__main__":
    sys.exit(main())
