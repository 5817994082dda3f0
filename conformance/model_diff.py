"""`metastudio-conformance diff A.model.yaml B.model.yaml`: every point where two learned
models differ, in the console or as markdown. Exit 0 when they agree, 1 when they differ,
2 when a file is not a model profile."""

from __future__ import annotations

import sys

from metastudio_conformance import lifecycle_model
from metastudio_conformance.config import ConfigError
from metastudio_conformance.exit_codes import ExitCode
from metastudio_conformance.learned import POINTS, UNKNOWN, Learned


def main(args) -> int:
    try:
        a, b = (_learned(path) for path in args.models)
    except ConfigError as exc:
        print(f"metastudio-conformance: {exc}", file=sys.stderr)
        return ExitCode.USAGE
    rows = differences(a, b)
    names = (a.source, b.source) if a.source != b.source else tuple(args.models)
    print(markdown(rows, names) if args.markdown else console(rows, names), end="")
    return ExitCode.FAIL if rows else ExitCode.OK


def _learned(path: str) -> Learned:
    model = lifecycle_model.load(path)
    if model.learned is None:
        raise ConfigError(f"{path} has no learned section (write one with `learn`)")
    return model.learned


def differences(a: Learned, b: Learned) -> list[tuple[str, str, str]]:
    """(point, answer in A, answer in B) wherever they differ; `unknown` where one did not
    learn it (an unknown point differs from a learned one, as run --model would accept
    either there). Grid cells differ when one accepts what the other refuses, or leads
    elsewhere."""
    rows = [(key, _answer(a, key), _answer(b, key)) for key in POINTS if key != "commands"]
    rows = [row for row in rows if row[1] != row[2]]
    for tenant in sorted(set(a.commands) | set(b.commands)):
        states = set(a.commands.get(tenant, {})) | set(b.commands.get(tenant, {}))
        for state in sorted(states):
            commands = set(a.commands.get(tenant, {}).get(state, {})) | set(
                b.commands.get(tenant, {}).get(state, {}))
            for command in sorted(commands):
                left = a.cell(tenant, state, command) or UNKNOWN
                right = b.cell(tenant, state, command) or UNKNOWN
                if _kind(left) != _kind(right):
                    rows.append((f"commands[{tenant}] {command} in {state}", left, right))
    return rows


def _kind(cell: str) -> str:
    """A cell as the table compares it: how a refusal looks is the `refusal` point's."""
    refused = cell[:1] == "4" or " EXCUTE_FAILED" in cell
    return "refused" if refused and not cell.startswith("either") else cell


def _answer(learned: Learned, key: str) -> str:
    point = learned.points.get(key)
    if not isinstance(point, dict):
        return UNKNOWN
    evidence = point.get("evidence")
    detail = evidence.get("answer") if isinstance(evidence, dict) else None
    answer = str(point["answer"])
    if point.get("answers"):
        answer += " (" + ", ".join(map(str, point["answers"])) + ")"
    return f"{answer}: {detail}" if detail and str(detail) != answer else answer


def console(rows, names) -> str:
    if not rows:
        return f"the models agree ({names[0]}, {names[1]})\n"
    width = max(len(row[0]) for row in rows)
    lines = [f"{'point':<{width}}  A: {names[0]}  |  B: {names[1]}"]
    lines += [f"{point:<{width}}  A: {left}  |  B: {right}" for point, left, right in rows]
    return "\n".join(lines) + f"\n{len(rows)} point(s) differ\n"


def markdown(rows, names) -> str:
    if not rows:
        return f"The models agree ({names[0]}, {names[1]}).\n"
    lines = [f"| point | A: {names[0]} | B: {names[1]} |", "|---|---|---|"]
    lines += [f"| {point} | {_cell(left)} | {_cell(right)} |" for point, left, right in rows]
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")
