"""The default run against a FastAPI/uvicorn mock beside the same run on the bundled server.

    .venv/bin/python bench/latency.py [--rounds 3] [--args "-k delete"]

Starts the reference app behind FastAPI on uvicorn (`tests/uvicorn_mock.py`) twice, with
Nagle's algorithm on (a socket made without proto IPPROTO_TCP, as a server handed its
socket ready-made gets) and off, and the reference server (`serve`) as a target, all with
the bundled server's kind of credentials; then runs `metastudio-conformance run --seed 1`
against each and against the bundled server, alternated round by round. Prints the wall
seconds (median and each round), each ratio to the bundled run, and the run's latency
figures (results.json `latency`). A benchmark, not a test: nothing passes or fails.
"""

from __future__ import annotations

import argparse
import json
import secrets
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLI = str(Path(sys.executable).parent / "metastudio-conformance")
SERVE = [sys.executable, "-m", "metastudio_conformance.reference_server", "--port=0"]
MOCK = [sys.executable, "-m", "tests.uvicorn_mock", "--port=0"]


def _start(command: list[str]) -> tuple[subprocess.Popen, str]:
    """Start a server that prints `serving on URL` first; returns it and the URL."""
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True)
    line = process.stdout.readline()
    if "serving on " not in line:
        process.kill()
        raise SystemExit(f"{shlex.join(command)} did not start: {line!r}")
    return process, line.split("serving on ", 1)[1].strip()


def _targets(standard: str, na: str, ak: str, sk: str) -> tuple[list, dict[str, list[str]]]:
    """The servers started, and each run's extra CLI arguments by name."""
    creds = [f"--ak={ak}", f"--sk={sk}", f"--na-project={na}"]
    given = [f"--ak={ak}", f"--sk={sk}", f"--project-id={standard}",
             f"--na-project-id={na}", f"--other-project-id={na}"]
    servers, runs = [], {"bundled": []}
    for name, command in (("serve as target", SERVE + creds),
                          ("uvicorn, Nagle off", MOCK + creds),
                          ("uvicorn, Nagle on", [*MOCK, *creds, "--nagle"])):
        process, url = _start(command)
        servers.append(process)
        runs[name] = [f"--target={url}", *given]
    return servers, runs


def _run(extra: list[str], more: list[str], report_dir: str) -> tuple[float, dict]:
    """One `run --seed 1`: wall seconds, and results.json's latency and request count."""
    command = [CLI, "run", "--seed", "1", "--report-dir", report_dir, *more, *extra]
    started = time.monotonic()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    seconds = time.monotonic() - started
    results = json.loads((Path(report_dir) / "results.json").read_text())
    return seconds, {"latency": results.get("latency"), "requests": results["requests_sent"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--args", default="", help="more run arguments, e.g. \"-k delete\"")
    args = parser.parse_args()
    ak, sk = "AK" + secrets.token_hex(9).upper(), secrets.token_urlsafe(30)
    servers, runs = _targets(secrets.token_hex(16), secrets.token_hex(16), ak, sk)
    walls: dict[str, list[float]] = {name: [] for name in runs}
    last: dict[str, dict] = {}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for _ in range(args.rounds):
                for name, extra in runs.items():
                    seconds, last[name] = _run(extra, shlex.split(args.args), tmp)
                    walls[name].append(seconds)
    finally:
        for process in servers:
            process.terminate()
    _print(walls, last, args)


def _print(walls: dict[str, list[float]], last: dict[str, dict], args) -> None:
    base = statistics.median(walls["bundled"])
    print(f"run --seed 1 {args.args}".strip() + f", {args.rounds} alternated rounds")
    for name, seconds in walls.items():
        median = statistics.median(seconds)
        rounds = ", ".join(f"{s:.1f}" for s in seconds)
        print(f"  {name:<20} {median:6.1f} s ({rounds}) {median / base:5.2f}x bundled, "
              f"{last[name]['requests']} requests")
    for name, found in last.items():
        ops = (found["latency"] or {}).get("operations", {})
        cells = ", ".join(f"{op} {row['p50_ms']}/{row['p95_ms']}/{row['max_ms']}"
                          for op, row in ops.items())
        print(f"  {name}: p50/p95/max ms: {cells}")


if __name__ == "__main__":
    main()
