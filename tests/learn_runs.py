"""Learn a reference server variant, then hold the default reference server to the learned
model: the helpers of tests/test_learn.py and of the table in docs/learned-models.md
(`python -m tests.learn_runs` prints it)."""

from __future__ import annotations

import os
import random
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from metastudio_conformance.learn import SELECTION
from tests.conftest import CliResult, run_cli, start_server

# variants learned -> what a default reference server must fail against the model: the
# lifecycle model's rules (MOD-01..03) and the silent points MOD-06 fails (their keys,
# conformance/learned.py). Empty: the variant differs only where the learn run does not
# look (docs/learned-models.md says where).
SINGLE = {
    (): set(),
    ("unknown-job-400",): {"MOD-03"},
    ("excute-failed-refusal",): {"MOD-02"},
    ("parts-query-anywhere",): {"MOD-01"},
    ("decide-from-pending",): {"MOD-01"},
    ("answer-only-when-waiting",): {"MOD-02"},
    ("submit-unconfirmed",): {"MOD-01"},
    ("resubmit-any-message",): {"MOD-01"},
    ("answer-needs-comment",): set(),
    ("lenient-upload-confirm",): set(),
    ("confirm-upload-once",): set(),
    ("submit-to-manual-review",): set(),
    ("alt-errors",): {"error_code_choice"},
    ("extra-fields",): {"extra_fields"},
    # The learned model's seeded jobs have no part (seeded_parts: 0), so the default
    # server's GET_MULTIPART_UPLOADED on one, reporting its part, breaks MOD-04 first.
    ("no-seeded-parts",): {"seeded_parts", "MOD-04"},
    ("parts-without-etag",): {"multipart_data_items"},
    ("omit-empty-arrays",): {"empty_arrays"},
    ("delete-204",): {"delete_success_status"},
    # 200 and 204 in turn: learned `either`, so the default server's 200 is one of them
    ("delete-status-alternates",): set(),
    ("method-405",): {"undocumented_method"},
    ("validate-job-first",): {"validation_order"},
    ("null-as-absent",): {"null_in_optional_field"},
    ("absent-as-null",): {"null_in_answer_field"},
    ("accept-large-bodies",): {"body_size"},
    ("reject-unknown-fields",): {"unknown_body_fields"},
    ("require-json-content-type",): {"json_content_type.text_plain",
                                     "json_content_type.none"},
    ("short-app-user-id",): {"app_user_id_length"},
    ("uuid-job-ids",): {"job_id_form"},
    ("sdk-commands",): {"sdk_commands"},
}
LIFECYCLE = {"MOD-01", "MOD-02", "MOD-03", "MOD-04", "MOD-05"}  # the grids' rules
# Fixed combinations of lifecycle variants, whose interplay the grids show.
COMBINED = [("unknown-job-400", "parts-query-anywhere", "answer-only-when-waiting")]
COMBO_SEED = 2026  # METASTUDIO_LEARN_COMBO_SEED draws others (the nightly may vary it)


def expected(variants: tuple[str, ...]) -> set[str]:
    """What a combination must fail: the union of its variants' own."""
    return set().union(*(SINGLE[(variant,)] for variant in variants))


def random_combinations(seed: int, count: int = 2, size: int = 4) -> list[tuple[str, ...]]:
    """Combinations of the variants of silent points 4-20, drawn with `seed`: each point's
    pair reads one choice, so a combination must fail exactly the union of its own.
    (Lifecycle variants interact by design, e.g. lenient-upload-confirm undoes
    no-seeded-parts' refusal: they combine in COMBINED, and in own-model runs.)"""
    pool = sorted(v[0] for v, fails in SINGLE.items() if v and fails and not fails & LIFECYCLE)
    rng = random.Random(seed)
    return [tuple(sorted(rng.sample(pool, size))) for _ in range(count)]


def any_combination(seed: int, size: int = 3) -> tuple[str, ...]:
    """Any variants at all, drawn with `seed` (for a server held to its own model)."""
    pool = sorted(v[0] for v in SINGLE if v)
    return tuple(sorted(random.Random(seed).sample(pool, size)))


def combo_seed() -> int:
    return int(os.environ.get("METASTUDIO_LEARN_COMBO_SEED") or COMBO_SEED)


@dataclass
class Outcome:
    learned: CliResult
    checked: CliResult
    model: Path

    @property
    def failed(self) -> set[str]:
        """The lifecycle rules that failed, and the silent points MOD-06 failed."""
        differs = {row["point"] for row in self.checked.results["matrices"].get(
            "silent_points", []) if row["verdict"] == "differs"}
        return (self.checked.failed() - {"MOD-06"}) | differs


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
    """The markdown table of every case: learned from, expected and observed failures
    (two at a time, as on a 2-core machine)."""
    cases = [*SINGLE, *COMBINED, *random_combinations(combo_seed())]
    lines = ["| learned from (variants) | expected to fail | failed | agrees |",
             "|---|---|---|---|"]
    with ThreadPoolExecutor(2) as pool:
        outcomes = pool.map(lambda variants: learn_and_check(variants, root, seed), cases)
        for variants, outcome in zip(cases, outcomes, strict=True):
            failed, wanted = outcome.failed, expected(variants)
            lines.append(f"| {', '.join(variants) or 'default'} | "
                         f"{', '.join(sorted(wanted)) or 'none'} | "
                         f"{', '.join(sorted(failed)) or 'none'} | "
                         f"{'yes' if failed == wanted else 'NO'} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as folder:
        sys.stdout.write(table(Path(folder)))
