"""`metastudio-conformance learn`: what a target chose where the documents are silent, as a
model profile that `run --model` holds another target (a mock) to.

Learning is an ordinary run (`runner.open_run`: own jobs only, the rate limit, cleanup, no
writes to a shared target without --allow-writes) with the permissive default model, of
the tests that probe the silent points. The model file is derived from what that run
recorded in results.json (`matrices`): the command x state grids (points 1 and 2), the
unknown-job answers (3) and the `silent_points` pairs (4-20). Nothing is guessed: a point
the run did not reach is `unknown`, and a point answered two ways is `either`, with both
answers.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

import yaml

from metastudio_conformance import contract, lifecycle_model
from metastudio_conformance.learned import EITHER, POINTS, UNKNOWN
from metastudio_conformance.redact import Redactor

# The tests whose records the model is derived from (`-k` overrides).
SELECTION = ("test_commands_standard_tenant or test_commands_na_tenant or "
             "test_unknown_job_is_not_found or test_silent_point")
GRIDS = {"commands_standard": "standard", "commands_na": "na"}
LEARN_ROUNDS = 3  # each silent point's pair, so a target answering two ways shows it
COMMAND = "POST /v1/{project_id}/digital-human-training-manage/user/jobs/{job_id}/command"


def main(args, run) -> int:
    """Run the learning tests (`run`: cli.run), then write the model from results.json."""
    import json
    import sys

    from metastudio_conformance.exit_codes import ExitCode

    out = Path(args.out)
    try:  # said before the run, not after it
        out.parent.mkdir(parents=True, exist_ok=True)
        if out.is_dir() or not os.access(out.parent, os.W_OK):
            raise IsADirectoryError(0, "it is a folder") if out.is_dir() else \
                PermissionError(0, f"the folder {out.parent} is not writable")
    except OSError as exc:
        print(f"metastudio-conformance: cannot write the model to {out}: "
              f"{exc.strerror or exc}", file=sys.stderr)
        return ExitCode.USAGE
    used = []

    def learning(settings):
        """The run that learns: the permissive default model, never strict, each silent
        point's pair sent LEARN_ROUNDS times unless --silent-rounds says otherwise."""
        used.append(replace(settings, model=None, strict_model=False,
                            silent_rounds=settings.silent_rounds or LEARN_ROUNDS))
        return used[0]

    args.select = args.select or SELECTION
    code = run(args, adjust=learning)
    if not used or code not in (ExitCode.OK, ExitCode.FAIL):
        print(f"metastudio-conformance: nothing learned (the run ended with exit code {code})",
              file=sys.stderr)
        return code
    settings = used[0]
    try:
        document = json.loads((settings.report_dir / "results.json").read_text("utf-8"))
    except (OSError, ValueError) as exc:
        print(f"metastudio-conformance: nothing learned: {exc}", file=sys.stderr)
        return ExitCode.SUITE_ERROR
    model = derive(document, settings.target or "the bundled reference server",
                   Redactor([settings.token, settings.sk]))
    try:
        write(model, out)
    except OSError as exc:
        print(f"metastudio-conformance: cannot write {out}: {exc.strerror}", file=sys.stderr)
        return ExitCode.USAGE
    for line in warnings(model):
        print(line, file=sys.stderr)
    unknown = [key for key, point in model["learned"]["points"].items() if point == UNKNOWN]
    print(f"learned model: {out} ({len(POINTS) - 1 - len(unknown)} silent points learned, "
          f"{len(unknown)} unknown; run --model {out} --target <mock>)")
    return code


def derive(document: dict, target: str, redactor: Redactor) -> dict:
    """The learned model profile (a YAML-ready dict) from a learn run's results.json."""
    matrices = document.get("matrices") or {}
    base = lifecycle_model.load(None)
    points = _points(matrices)
    points = {key: _redacted(points.get(key, UNKNOWN), redactor) for key in POINTS
              if key != "commands"}
    return {
        "refusal": _style(points["refusal"]),
        "unknown_job": _style(points["unknown_job"]),
        "max_response_time": base.max_response_time,
        "seeded_parts": _seeded_parts(points["seeded_parts"], base.seeded_parts),
        "transitions": _transitions(base, matrices),
        "learned": {
            "provenance": {"target": target, "suite_version": document.get("suite_version"),
                           "spec_sha256": contract.spec_sha256(),
                           "run_id": document.get("run_id"),
                           "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())},
            "points": points,
            "commands": _table(matrices),
        },
    }


def write(model: dict, out: Path) -> None:
    header = ("# A lifecycle model learned by `metastudio-conformance learn` (see\n"
              "# conformance/learned.py). `run --model` holds a target to it: MOD-01..03\n"
              "# and MOD-06 fail where it answers otherwise; `unknown` points accept\n"
              "# either answer.\n")
    out.write_text(header + yaml.safe_dump(model, sort_keys=False, allow_unicode=True,
                                           width=100), encoding="utf-8")


def warnings(model: dict) -> list[str]:
    """One line per point the target answered two ways in one run."""
    points = model["learned"]["points"]
    return [f"warning: {key}: the target answered both ways in one run ("
            + ", ".join(f"{a} x{n}" for a, n in point["answers"].items()) + ")"
            for key, point in points.items() if isinstance(point, dict)
            and point.get("answer") == EITHER]


def _points(matrices: dict) -> dict[str, dict]:
    """Each silent point the run met: its observations, folded into one entry."""
    seen: dict[str, list[tuple[str, dict]]] = {}
    for kind, tenant in GRIDS.items():
        for row in matrices.get(kind) or []:
            if _refused(row):
                seen.setdefault("refusal", []).append(_refusal(row, tenant))
    for row in matrices.get("unknown_job") or []:
        status = str(row.get("observed", "")).split(" ")[0]
        seen.setdefault("unknown_job", []).append((status, {
            "request": f"{row.get('operation')} of a job that never existed",
            "answer": row.get("observed")}))
    for row in matrices.get("silent_points") or []:
        if row.get("answer") is not None and row.get("point") in POINTS:
            seen.setdefault(row["point"], []).append((str(row["answer"]), {
                "request": row.get("sent"), "answer": row.get("observed")}))
    return {key: _fold(observations) for key, observations in seen.items()}


def _refused(row: dict) -> bool:
    observed = str(row.get("observed", ""))
    return observed.endswith("EXCUTE_FAILED") or observed[:1] == "4"


def _refusal(row: dict, tenant: str) -> tuple[str, dict]:
    observed = str(row.get("observed", ""))
    style = ("excute-failed" if observed.endswith("EXCUTE_FAILED")
             else "400" if observed == "400" else observed)
    answer = f"{observed} {row['error_code']}" if row.get("error_code") else observed
    return style, {"request": f"{COMMAND} {{\"command\": \"{row.get('command')}\"}} "
                              f"({tenant} tenant, job in {row.get('state')})",
                   "answer": answer}


def _fold(observations: list[tuple[str, dict]]) -> dict:
    """One answer with its count and first evidence, or `either` with every answer."""
    counts = Counter(answer for answer, _ in observations)
    first = {answer: evidence for answer, evidence in reversed(observations)}
    if len(counts) == 1:
        answer = next(iter(counts))
        return {"answer": answer, "seen": counts[answer], "evidence": first[answer]}
    return {"answer": EITHER, "seen": sum(counts.values()), "answers": dict(counts),
            "warning": "one learn run saw this question answered "
                       + " and ".join(counts) + ": an inconsistent target",
            "evidence": [first[answer] for answer in counts]}


def _redacted(point, redactor: Redactor):
    if isinstance(point, str):
        return redactor.text(point)
    if isinstance(point, dict):
        return {key: _redacted(value, redactor) for key, value in point.items()}
    if isinstance(point, list):
        return [_redacted(value, redactor) for value in point]
    return point


def _style(point) -> str:
    """The model's top-level choice for a point: its answer, or either when unknown."""
    answer = point.get("answer") if isinstance(point, dict) else None
    return answer if answer in ("400", "404", "excute-failed") else EITHER


def _seeded_parts(point, default: int) -> int:
    """How many parts a seeded job has uploaded (MOD-04 counts on it), as learned
    ("no part", "1 part", "3 parts"); the default model's where not learned."""
    answer = point.get("answer") if isinstance(point, dict) else None
    if answer == "no part":
        return 0
    count = str(answer).split(" ")[0]
    return int(count) if count.isdigit() else default


def _table(matrices: dict) -> dict:
    """tenant -> state -> command -> what the target answered (and where it led)."""
    table: dict[str, dict[str, dict[str, str]]] = {}
    for kind, tenant in GRIDS.items():
        for row in matrices.get(kind) or []:
            said = _said(row)
            cells = table.setdefault(tenant, {}).setdefault(row["state"], {})
            earlier = cells.get(row["command"])
            cells[row["command"]] = said if earlier in (None, said) else \
                f"{EITHER}: {earlier} | {said}"
    return table


def _said(row: dict) -> str:
    answer = str(row.get("observed"))
    if row.get("error_code"):
        answer += f" {row['error_code']}"
    if row.get("after") and row["after"] != row["state"]:
        answer += f" -> {row['after']}"
    return answer


def _transitions(base: lifecycle_model.Model, matrices: dict) -> list[dict]:
    """The default model's table, changed wherever the run saw the target depart from it
    (accepted what it refuses, refused what it accepts, or moved the job elsewhere)."""
    cells = {(t.command, s): t for t in base.transitions for s in t.sources}
    edits = {key: _entry(rule) for key, rule in cells.items()}
    for kind, tenant in GRIDS.items():
        for row in matrices.get(kind) or []:
            key, executed = (row["command"], row["state"]), not _refused(row)
            na_only = row["command"] in contract.na_only_commands()
            if (row.get("model") == "accepted") == executed or (na_only and tenant != "na"):
                if executed and row.get("after") and key in edits:
                    _retarget(edits[key], row)
                continue
            if not executed:
                edits.pop(key, None)  # refused where the default model accepts it
            else:  # accepted where it refuses: no requirement, or a new transition
                entry = edits.get(key) or _new_entry(row, na_only)
                entry.pop("requires", None)
                _retarget(entry, row)
                edits[key] = entry
    return _grouped(edits)


def _entry(rule: lifecycle_model.Transition) -> dict:
    entry = {"command": rule.command}
    if rule.na_only:
        entry["tenant"] = "na"
    if rule.target:
        entry["to"] = rule.target
    if rule.requires:
        entry["requires"] = rule.requires
    if rule.confirms_parts:
        entry["confirms_parts"] = True
    return entry


def _new_entry(row: dict, na_only: bool) -> dict:
    entry = {"command": row["command"]}
    if na_only:
        entry["tenant"] = "na"
    if row["command"] == "CONFIRM_MULTIPART_UPLOADED":
        entry["confirms_parts"] = True
    return entry


def _retarget(entry: dict, row: dict) -> None:
    after = row.get("after")
    if after and after != row["state"]:
        entry["to"] = after
    elif after == row["state"]:
        entry.pop("to", None)


def _grouped(edits: dict) -> list[dict]:
    """One transition per command, target and requirement, its source states listed."""
    groups: dict[tuple, dict] = {}
    for (_, state), entry in edits.items():
        key = tuple(sorted(entry.items()))
        groups.setdefault(key, {**entry, "from": []})["from"].append(state)
    return [{"command": g["command"], **({"tenant": "na"} if g.get("tenant") else {}),
             "from": g["from"], **{k: g[k] for k in ("to", "requires", "confirms_parts")
                                   if k in g}} for g in groups.values()]
