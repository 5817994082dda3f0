"""The suite catches every deliberate fault of the reference server, naming exactly its
requirement.

The fault catalogue comes from the server itself (`--list-faults`), so a new fault is
tested here without a new line.
"""

from __future__ import annotations

import subprocess

import pytest

from metastudio_conformance import requirements
from tests.conftest import SERVE, run_cli


def _catalogue() -> list[tuple[str, str]]:
    listing = subprocess.run([*SERVE, "--list-faults"],
                             capture_output=True, text=True, check=True).stdout
    return [tuple(line.split()[:2]) for line in listing.splitlines() if line.strip()]


FAULTS = _catalogue()
# 5 examples per property test: every fault of the catalogue is caught at 5 (each kill
# test below proves it, exactly), and one caught at 5 is caught at the default 40 (the
# kill matrix in docs/kill-matrix.md runs the default). random-slow sleeps 3 s on every
# 20th answer: its run is all sleep after the first, so its budget is short.
EXAMPLES = 5
BUDGET = {"random-slow": 20}


def test_catalogue_is_big_enough():
    assert len(FAULTS) >= 6


@pytest.mark.faults
@pytest.mark.parametrize(("fault", "requirement"), FAULTS, ids=[f for f, _ in FAULTS])
def test_suite_fails_naming_the_broken_requirement(fault, requirement, tmp_path,
                                                   server_factory):
    server = server_factory("--fault", fault)
    # The default run, with a time budget: a fault like random-slow (3 s per 20th answer)
    # would otherwise stretch it to a quarter of an hour after the first failure. Unshrunk:
    # shrinking makes the evidence minimal, not the verdict (a shrunk failure keeps its
    # origin, so its requirement), and costs a broken state machine ~1,800 requests
    # (test_workers and test_verdicts still run faults with shrinking). A model fault is
    # only a deviation unless the model is judged strictly.
    strict = ["--strict-model"] if requirements.get(requirement).is_model else []
    result = run_cli([*server.run_args(), "--seed", "7", "--no-shrink", *strict,
                      "--max-examples", str(EXAMPLES), "--max-time", str(BUDGET.get(fault, 90))],
                     tmp_path / "reports", env=server.env())
    assert result.code == 1, result.stderr[-2000:]
    # Exactly the fault's requirement: one fault, one finding, no collateral.
    assert result.failed() == {requirement}, (result.failed(), result.stderr[-2000:])
    assert "conformance failures: " in result.stderr
