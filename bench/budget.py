"""A staging-style run under the default request budget (issue 19): how long, and what it covered.

    .venv/bin/python bench/budget.py [--rate 5/s] [--seed 1]

The reference server on loopback stands in for staging (`serve --token`), and the run goes
as a QA team's would: `--rate-limit 5/s` (which brings the default `max_requests`, 800),
`--no-control`, writes allowed (loopback). Printed: wall seconds, the requests of the tests
and of the cleanup, whether the budget stopped the run, and which requirements reachable
without the control interface stayed uncovered; the same selection without a budget
(`--max-requests` far above it, unthrottled) gives what "reachable" means here. The goal
is at most 3.5 minutes with every reachable requirement covered at least once.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import start_server  # noqa: E402

TRIED = {"pass", "partial", "fail", "deviation"}


def run(server, work: Path, *args: str) -> tuple[dict, float]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("METASTUDIO_")}
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "metastudio_conformance.cli", "run", "--target",
                    server.url, "--project-id", server.project_id, "--no-control", *args,
                    "--report-dir", str(work)], env=environ | {"METASTUDIO_TOKEN": "bench"},
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return json.loads((work / "results.json").read_text()), time.monotonic() - started


def covered(results: dict) -> set[str]:
    return {row["id"] for row in results["requirements"] if row["status"] in TRIED}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", default="5/s")
    parser.add_argument("--seed", default="1")
    options = parser.parse_args()
    server = start_server("--token", "bench")
    try:
        with tempfile.TemporaryDirectory() as folder:
            reachable, _ = run(server, Path(folder) / "free", "--seed", options.seed)
            budgeted, seconds = run(server, Path(folder) / "budget", "--seed", options.seed,
                                    "--rate-limit", options.rate)
    finally:
        server.process.terminate()
        server.process.wait(timeout=10)
    missing = sorted(covered(reachable) - covered(budgeted))
    print(f"rate {options.rate}, default budget: {seconds:.0f} s wall "
          f"({seconds / 60:.2f} min), {budgeted['requests_sent']} test requests + "
          f"{budgeted['cleanup_requests']} cleanup; stopped: {budgeted['stopped']}")
    print(f"reachable without control (unbudgeted run): {len(covered(reachable))} "
          f"requirements; covered under the budget: {len(covered(budgeted))}; "
          f"missing: {', '.join(missing) or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
