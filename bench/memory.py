"""Peak memory of a run: the largest resident set of any process of the CLI's run.

    .venv/bin/python bench/memory.py [--rounds 3]

Each run is the CLI in a child process; os.wait4 reports the child's peak RSS, and
getrusage(RUSAGE_CHILDREN) of a fresh measuring process the largest of the CLI and every
process it waited for (its xdist workers, the bundled reference server). The runs:
a default run against the bundled server, the same with `--workers 2`, and runs against
targets that pass the preflight and then answer every operation with a gzip bomb (4 GiB
inflated), an endless chunked body, or a body trickled a byte at a time (issue 18's
hostile cases; tests/hostile_answers.py). The goal is under 512 MiB whatever the target.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import hostile_answers as answers  # noqa: E402
from tests import hostile_servers as hostile  # noqa: E402

HOSTILE = {"a gzip bomb": answers.bomb("gzip", True), "an endless chunked body":
           answers.endless_chunks, "a trickled body": answers.trickled_body}
LIMIT_MIB = 512


def measured(args: list[str], env: dict[str, str]) -> dict:
    """One CLI run in a fresh measuring process: seconds, exit code, peak RSS in MiB."""
    probe = (
        "import json, resource, subprocess, sys, time\n"
        "started = time.monotonic()\n"
        "code = subprocess.call(sys.argv[1:], stdout=subprocess.DEVNULL,"
        " stderr=subprocess.DEVNULL)\n"
        "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
        "print(json.dumps({'code': code, 'seconds': time.monotonic() - started,"
        " 'peak_mib': peak / 1024}))\n")
    with tempfile.TemporaryDirectory() as work:
        environ = {k: v for k, v in os.environ.items() if not k.startswith("METASTUDIO_")}
        done = subprocess.run(
            [sys.executable, "-c", probe, sys.executable, "-m", "metastudio_conformance.cli",
             "run", *args, "--report-dir", str(Path(work) / "reports")],
            capture_output=True, text=True, env=environ | env, cwd=work, check=True)
    return json.loads(done.stdout)


def hostile_run(respond) -> dict:
    with hostile.serving(hostile.api_preflight(respond)) as listener:
        return measured(["--target", listener.url, "--project-id", "0" * 31 + "1",
                         "--seed", "1", "--max-time", "60"],
                        {"METASTUDIO_TOKEN": "t", "METASTUDIO_REQUEST_TIMEOUT": "2"})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    rounds = parser.parse_args().rounds
    runs = {"default run, bundled server": lambda: measured(["--seed", "1"], {}),
            "default run, --workers 2": lambda: measured(["--seed", "1", "--workers", "2"],
                                                         {})}
    runs |= {f"target answering with {name}": (lambda r=respond: hostile_run(r))
             for name, respond in HOSTILE.items()}
    print("| run | peak RSS, largest process (MiB) | wall s | exit | rounds |\n"
          "|---|---:|---:|---:|---:|")
    worst = 0.0
    for label, run in runs.items():
        results = [run() for _ in range(rounds)]
        peak = max(r["peak_mib"] for r in results)
        worst = max(worst, peak)
        seconds = statistics.median(r["seconds"] for r in results)
        codes = sorted({r["code"] for r in results})
        print(f"| {label} | {peak:.0f} | {seconds:.1f} | {', '.join(map(str, codes))} "
              f"| {rounds} |")
    print(f"\nworst peak {worst:.0f} MiB; goal under {LIMIT_MIB} MiB: "
          f"{'met' if worst < LIMIT_MIB else 'NOT met'}")


if __name__ == "__main__":
    main()
