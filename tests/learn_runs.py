"""Learn a reference server variant, then hold the default reference server to the learned
model: the helpers of tests/test_learn.py and of the table in docs/learned-models.md
(`python -m tests.learn_runs` prints it)."""

from __future__ import annotations

import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from metastudio_conformance.learn import SELECTION
from tests.conftest import CliResult, run_cli, start_server

# variants learned -> the model rules a default reference server must fail against the
# model; an empty set: the point is learned but no model rule holds it, or not reached.
CASES = {
    (): set(),
    ("unknown-job-400",): {"MOD-03"},
    ("excute-failed-refusal",): {"MOD-02"},
    ("parts-query-anywhere",): {"MOD-01"},
    ("decide-from-pending",): {"MOD-01"},
    ("answer-only-when-waiting",): {"MOD-02"},
    ("submit-unconfirmed",): {"MOD-01"},
    ("resubmit-any-message",): {"MOD-01"},
    ("delete-204",): set(),
    ("answer-needs-comment",): set(),
    ("lenient-upload-confirm",): set(),
    ("submit-to-manual-review",): set(),
    ("unknown-job-400", "excute-failed-refusal"): {"MOD-02", "MOD-03"},
    ("unknown-job-400", "parts-query-anywhere", "answer-only-when-waiting"):
        {"MOD-01", "MOD-02", "MOD-03"},
}


@dataclass
class Outcome:
    learned: CliResult
    checked: CliResult
    model: Path

    @property
    def failed(self) -> set[str]:
        return self.checked.failed()


def _stop(server) -> None:
    server.process.terminate()
    server.process.wait(timeout=10)


def learn(variants: tuple[str, ...], out: Path, seed: int) -> CliResult:
    """`learn` from a reference server started with these variants."""
    server = start_server(*(["--variants", ",".join(variants)] if variants else []))
    try:
        args = server.run_args()
        args[0] = "learn"
        return run_cli([*args, "--out", str(out), "--seed", str(seed), "--report-dir",
                        str(out.parent / f"{out.stem}-learn")], out.parent, env=server.env())
    finally:
        _stop(server)


def check(model: Path, seed: int, report_dir: Path, *variants: str) -> CliResult:
    """`run --model` of the learning tests against a reference server (default: no variant)."""
    server = start_server(*(["--variants", ",".join(variants)] if variants else []))
    try:
        return run_cli([*server.run_args(), "--model", str(model), "--seed", str(seed),
                        "-k", SELECTION], report_dir, env=server.env())
    finally:
        _stop(server)


def learn_and_check(variants: tuple[str, ...], root: Path, seed: int) -> Outcome:
    name = "+".join(variants) or "default"
    model = root / f"{name}.model.yaml"
    learned = learn(variants, model, seed)
    return Outcome(learned, check(model, seed + 1, root / f"{name}-check"), model)


def table(root: Path, seed: int = 7) -> str:
    """The markdown table of every case: learned from, expected and observed failures."""
    lines = ["| learned from (variants) | model rules expected to fail | failed | agrees |",
             "|---|---|---|---|"]
    for variants, expected in CASES.items():
        outcome = learn_and_check(variants, root, seed)
        failed = outcome.failed
        lines.append(f"| {', '.join(variants) or 'default'} | "
                     f"{', '.join(sorted(expected)) or 'none'} | "
                     f"{', '.join(sorted(failed)) or 'none'} | "
                     f"{'yes' if failed == expected else 'NO'} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as folder:
        sys.stdout.write(table(Path(folder)))
