"""All of the suite's performance figures, side by side in one sitting, into one table.

    .venv/bin/python bench/run.py [--rounds 3] [--skip requests,kill,workers,server]

1. Requests: the default run (`metastudio-conformance run --seed 1`) against the bundled
   server: requests, cleanup requests, jobs, requests per requirement (results.json).
2. Time to the first failure: `bench/kill_matrix.py`, ours against plain schemathesis on
   every fault, one after the other for each fault.
3. Workers: a deep run (`--max-examples 200`) on `--workers 1` and `--workers 2`,
   alternated, medians of the wall time.
4. The reference server against Stoplight Prism at 16 clients (`bench/server_throughput.py`).

Benchmarks, not tests: nothing here passes or fails; the figures go to docs/performance.md
with the command, the machine and the date.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CLI = str(BIN / "metastudio-conformance")


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "bench" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def default_run(seed: int = 1) -> dict:
    """The default run's request figures, from its results.json."""
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([CLI, "run", "--seed", str(seed), "--report-dir", tmp],
                       capture_output=True, text=True, check=False, timeout=1800)
        results = json.loads((Path(tmp) / "results.json").read_text())
    statuses = {r["id"]: r["status"] for r in results["requirements"]}
    total = results["requests_sent"] + results["cleanup_requests"]
    return {"requests": total, "cleanup": results["cleanup_requests"],
            "jobs": results.get("jobs"), "passed": sum(s == "pass" for s in statuses.values()),
            "requirements": len(statuses),
            "per_requirement": results.get("requests_per_requirement", {})}


def workers(rounds: int, examples: int = 200, seed: int = 1) -> dict:
    """Wall seconds of a deep run on 1 and on 2 workers, alternated."""
    times: dict[int, list[float]] = {1: [], 2: []}
    for _ in range(rounds):
        for count in (1, 2):
            with tempfile.TemporaryDirectory() as tmp:
                started = time.monotonic()
                done = subprocess.run(
                    [CLI, "run", "--seed", str(seed), "--max-examples", str(examples),
                     "--workers", str(count), "--report-dir", tmp],
                    capture_output=True, text=True, check=False, timeout=3600)
                if done.returncode != 0:
                    return {"error": f"--workers {count} exited {done.returncode}: "
                                     f"{done.stderr.strip()[-300:]}"}
                times[count].append(time.monotonic() - started)
    one, two = statistics.median(times[1]), statistics.median(times[2])
    return {"one": round(one, 1), "two": round(two, 1), "speedup": round(one / two, 2),
            "rounds": rounds, "examples": examples}


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in
                Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")),
               platform.processor() or "unknown CPU")
    return f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, loopback"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--skip", default="", help="comma-separated: requests,kill,workers,server")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "performance-figures.md")
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    lines = [f"Measured by `.venv/bin/python bench/run.py --rounds {args.rounds}"
             + (f" --skip {args.skip}" if skip else "") + f"` on {time.strftime('%Y-%m-%d')}, "
             f"{machine()}.", ""]
    if "requests" not in skip:
        figures = default_run()
        share = 100 * figures["cleanup"] / max(figures["requests"], 1)
        lines += ["| default run | requests | cleanup | jobs | requirements passed |",
                  "|---|---|---|---|---|",
                  f"| `metastudio-conformance run --seed 1` | {figures['requests']} | "
                  f"{figures['cleanup']} ({share:.1f}%) | {figures['jobs'] or '-'} | "
                  f"{figures['passed']} of {figures['requirements']} |", ""]
    if "workers" not in skip:
        figures = workers(args.rounds)
        lines += ([f"Workers: {figures['error']}", ""] if "error" in figures else [
            "| deep run (`--max-examples 200`) | 1 worker s | 2 workers s | speed-up |",
            "|---|---|---|---|",
            f"| median of {figures['rounds']}, alternated | {figures['one']} | "
            f"{figures['two']} | {figures['speedup']}x |", ""])
    if "server" not in skip:
        throughput = _load("server_throughput")
        lines += [throughput.table(throughput.measure(args.rounds, 8, 16)), ""]
    if "kill" not in skip:
        kill_out = ROOT / "docs" / "kill-matrix.md"
        subprocess.run([sys.executable, str(ROOT / "bench" / "kill_matrix.py"),
                        "--out", str(kill_out)], check=False)
        lines += [f"Time to the first failure: see `{kill_out.relative_to(ROOT)}` (made in "
                  "the same sitting).", ""]
    args.out.write_text("\n".join(lines))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
