"""No false alarms: the correct server passes under many seeds, and so does a server that
makes different but documented-compatible choices.

Every silent point of the docs (docs/silent-points.md) has a reference-server variant that
takes the other answer. The suite runs against each variant alone and against random
combinations of them, picked from the seed. A documented rule must pass; a model rule
(the suite's own reading of the lifecycle, MOD-* and RSP-05) may instead report
`deviation`, which says the server departs from the chosen model without failing the run.
"""

from __future__ import annotations

import random

import pytest

from metastudio_conformance.reference_server.variants import REGISTRY
from tests.conftest import run_cli

SEEDS = [11, 23, 37, 41, 59, 67, 73, 89]  # the learn proof adds 10 random variant sets
LEGITIMATELY_DIFFERENT = [
    "--alt-errors",  # other error_msg texts and error_code values
    "--extra-fields",  # undocumented extra fields in every answer
    "--unknown-job-status", "400",  # the seed's 400 instead of the docs' 404
    "--refusal", "excute-failed",  # refused commands as 200 EXCUTE_FAILED, not 400
    "--delay-ms", "3",  # slower answers
]
VARIANTS = list(REGISTRY)  # every silent point's other answer, by registry name
SHORT_RUN = ["--max-examples", "5"]  # a run per variant: keep each one short
# Variants whose point the suite reaches only through generated values need more examples:
# hypothesis draws X-App-UserId short-first, and 5 examples rarely pass 16 characters.
DEEPER_RUN = {"short-app-user-id": ["--max-examples", "40"]}


def _combination(seed: int) -> list[str]:
    """A random set of variants, the same for the same seed."""
    rng = random.Random(seed)
    return sorted(rng.sample(VARIANTS, rng.randint(3, len(VARIANTS) // 2)))


def _is_model_rule(row: dict) -> bool:
    """The suite's own lifecycle reading, which a correct server may depart from."""
    return row["kind"] == "model" and (row["id"].startswith("MOD-") or row["id"] == "RSP-05")


def _unaccepted(result, deviation_allowed: bool) -> dict[str, str]:
    """Requirement -> status and the first lines of evidence, for every row not accepted."""
    bad = {}
    for row in result.results["requirements"]:
        # partial: passed wherever tried; a variant may put some cases out of reach
        # (no-seeded-parts: no uploaded part to confirm), which is no alarm
        accepted = {"pass", "partial", "deviation"} if deviation_allowed and _is_model_rule(
            row) else {"pass", "partial"}
        if row["id"] == "MOD-06":  # no learned model in these runs: recorded, not judged
            accepted = {"disabled"}
        if row["status"] not in accepted:
            evidence = " ".join(row["evidence"].split())[:600]
            bad[row["id"]] = f"{row['status']} ({row['kind']}): {evidence}"
    return bad


def _assert_clean(result, deviation_allowed: bool = False) -> None:
    bad = _unaccepted(result, deviation_allowed)
    assert result.code == 0 and not bad, (
        f"exit {result.code}; requirements not accepted:\n"
        + "\n".join(f"  {rid}: {text}" for rid, text in bad.items())
        + f"\nstderr tail:\n{result.stderr[-1500:]}")


def _run_against(server_factory, tmp_path, seed: int, *server_options: str, extra=()):
    server = server_factory(*server_options)
    return run_cli([*server.run_args(), "--seed", str(seed), *extra], tmp_path / "reports",
                   env=server.env())


@pytest.mark.faults
@pytest.mark.parametrize("seed", SEEDS)
def test_correct_server_passes_every_seed(seed, tmp_path, server_factory):
    _assert_clean(_run_against(server_factory, tmp_path, seed))


@pytest.mark.faults
@pytest.mark.parametrize("seed", SEEDS[:1])
def test_legitimately_different_server_passes(seed, tmp_path, server_factory):
    _assert_clean(_run_against(server_factory, tmp_path, seed, *LEGITIMATELY_DIFFERENT),
                  deviation_allowed=True)


@pytest.mark.faults
@pytest.mark.parametrize("variant", VARIANTS)
def test_each_silent_point_variant_passes(variant, tmp_path, server_factory):
    seed = SEEDS[VARIANTS.index(variant) % len(SEEDS)]  # the variants spread over the seeds
    _assert_clean(_run_against(server_factory, tmp_path, seed, "--variants", variant,
                               extra=DEEPER_RUN.get(variant, SHORT_RUN)),
                  deviation_allowed=True)


@pytest.mark.faults
@pytest.mark.parametrize("seed", SEEDS, ids=lambda s: f"{s}:{'+'.join(_combination(s))}")
def test_random_variant_combination_passes(seed, tmp_path, server_factory):
    variants = ",".join(_combination(seed))
    _assert_clean(_run_against(server_factory, tmp_path, seed, "--variants", variants,
                               extra=SHORT_RUN), deviation_allowed=True)


@pytest.mark.faults
def test_every_variant_at_once_passes(tmp_path, server_factory):
    _assert_clean(_run_against(server_factory, tmp_path, SEEDS[0], "--all-variants",
                               extra=SHORT_RUN), deviation_allowed=True)


def test_combinations_are_drawn_from_the_seed():
    assert _combination(SEEDS[0]) == _combination(SEEDS[0])
    drawn = [_combination(seed) for seed in SEEDS]
    assert len({tuple(c) for c in drawn}) == len(SEEDS)
    assert all(3 <= len(c) <= len(VARIANTS) // 2 and set(c) <= set(VARIANTS) for c in drawn)
    assert set().union(*drawn) == set(VARIANTS), "some variant is never combined"
