"""Each requirement is judged in exactly one place: its unit in rules.py, registered under
its ID. No other code of the package words a verdict, and the schemathesis checks for a
plain `schemathesis run` call the same units."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

from metastudio_conformance import checks, requirements
from metastudio_conformance.outcomes import Violation
from tests.conftest import ROOT

# The package's source folders (pyproject maps them into metastudio_conformance).
PACKAGE = [ROOT / folder for folder in ("conformance", "strategies", "reports",
                                        "reference_server", "openapi")]

# Code outside the units that may call a schemathesis built-in standing for a requirement,
# each with its reason. Nothing may construct a Violation outside a unit.
BUILTIN_CALLS_ALLOWED = {
    "parameters_refused": "schemathesis' negative-data checks only decide that a negative "
                          "case is invalid; their failure is caught and the broken rule's "
                          "unit judges the answer",
}


def _sources() -> list[Path]:
    return sorted(path for folder in PACKAGE for path in folder.rglob("*.py"))


def _unit_ids(function: ast.FunctionDef) -> set[str] | None:
    """The IDs of `@rule("ID", ...)` on a function, or None if it is no unit."""
    for decorator in function.decorator_list:
        if (isinstance(decorator, ast.Call) and getattr(decorator.func, "id", None) == "rule"):
            return {arg.value for arg in decorator.args if isinstance(arg, ast.Constant)}
    return None


def _name(node: ast.expr) -> str | None:
    return node.id if isinstance(node, ast.Name) else getattr(node, "attr", None)


def verdicts_outside_units(source: str, where: str) -> list[str]:
    """Each `Violation(...)` not inside a unit of its own requirement, and each call of a
    schemathesis built-in that stands for a requirement outside a unit."""
    found = []

    def visit(node: ast.AST, function: ast.FunctionDef | None) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            function = node
        if isinstance(node, ast.Call) and _name(node.func) == "Violation":
            ids = _unit_ids(function) if function else None
            first = node.args[0] if node.args else None
            rid = first.value if isinstance(first, ast.Constant) else None
            if ids is None or rid not in ids:
                named = ast.unparse(first) if first else ""
                found.append(f"{where}:{node.lineno}: Violation({named}, ...) outside the "
                             "unit of its requirement")
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in checks.BUILTIN_REQUIREMENTS
                and (function is None or (_unit_ids(function) is None
                                          and function.name not in BUILTIN_CALLS_ALLOWED))):
            found.append(f"{where}:{node.lineno}: schemathesis' {node.func.attr} called "
                         "outside a unit")
        for child in ast.iter_child_nodes(node):
            visit(child, function)

    visit(ast.parse(source), None)
    return found


def test_every_requirement_has_exactly_one_unit():
    units = requirements.where()
    assert set(units) == set(requirements.REQUIREMENTS)
    assert "(no unit)" not in units.values(), units
    for rid, unit in requirements.UNITS.items():
        assert rid in unit.requirements
        assert unit.__doc__ and unit.__doc__.startswith(rid.split("-")[0]), unit


def test_where_lists_each_requirement_with_its_unit():
    listing = subprocess.run([sys.executable, "-m", "metastudio_conformance.requirements",
                              "--where"], capture_output=True, text=True, check=True).stdout
    rows = dict(line.split() for line in listing.splitlines())
    assert rows == requirements.where()
    assert rows["DEL-04"] == "metastudio_conformance.rules:others_untouched"


def test_no_verdict_outside_the_units():
    found = []
    for path in _sources():
        found += verdicts_outside_units(path.read_text(encoding="utf-8"),
                                        str(path.relative_to(ROOT)))
    assert found == []


@pytest.mark.parametrize("source", [
    # a suite test wording DEL-04 itself
    "def test_delete(api):\n    raise Violation('DEL-04', None, 'x', 'y')\n",
    # a unit raising another requirement than its own
    "@rule('DEL-03')\ndef gone(answer):\n    raise Violation('DEL-04', None, 'x', 'y')\n",
    # a free-form helper building one from a variable
    "def violation(rid):\n    return outcomes.Violation(rid, None, 'x', 'y')\n",
    # schemathesis' status check applied outside RSP-01's unit
    "def judged(ctx, response, case):\n    builtin.status_code_conformance(ctx, response, case)\n",
])
def test_the_scan_finds_a_verdict_outside_its_unit(source):
    assert verdicts_outside_units(source, "example.py")


def test_a_unit_raising_another_requirement_is_caught(monkeypatch):
    monkeypatch.setattr(requirements, "UNITS", {})

    @requirements.rule("DEL-03")
    def gone() -> None:
        raise Violation("DEL-04", None, "received", "documented")

    with pytest.raises(AssertionError, match="judges DEL-03, not DEL-04"):
        gone()
    with pytest.raises(ValueError, match="DEL-03"):
        requirements.rule("DEL-03")(lambda: None)


HOOKS_PROBE = """
import importlib, pkgutil
import metastudio_conformance
from schemathesis.checks import CHECKS
for module in pkgutil.walk_packages(metastudio_conformance.__path__, "metastudio_conformance."):
    if module.name.endswith(("schemathesis_hooks", "__main__")) or ".suite." in module.name:
        continue
    importlib.import_module(module.name)
print(sorted(name for name in CHECKS.get_all_names() if name.startswith("msc_")))
from metastudio_conformance import requirements, schemathesis_hooks
print(sorted(name for name in CHECKS.get_all_names() if name.startswith("msc_")))
import inspect
for rid, check in schemathesis_hooks.CHECKS.items():
    unit = requirements.unit(rid).__name__
    source = inspect.getsource(check)
    assert check.__name__.startswith("msc_" + rid.lower().replace("-", "_")), check
    assert f"rules.{unit}" in source or "parameters_refused" in source, (rid, unit)
print("ok")
"""


def test_schemathesis_checks_are_registered_only_by_the_hooks_module():
    """`schemathesis.check` registers for the whole process: the suite never imports the
    hooks module, which registers one check per documented per-answer rule."""
    lines = subprocess.run([sys.executable, "-c", HOOKS_PROBE], capture_output=True,
                           text=True, check=True).stdout.splitlines()
    assert lines[0] == "[]"
    assert "msc_err_01_error_body" in lines[1] and lines[2] == "ok"


def _schemathesis(server, checks_: str, folder: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "metastudio_conformance.schemathesis_hooks"}
    command = [str(Path(sys.executable).with_name("schemathesis")), "run",
               str(ROOT / "openapi" / "training-jobs.yaml"), "--url", server.url,
               "-H", "X-Auth-Token: t0ken", "--checks", checks_, "--max-examples", "5",
               "--phases", "examples,fuzzing", "--seed", "1", "--no-color"]
    return subprocess.run(command, capture_output=True, text=True, timeout=300, env=env,
                          cwd=folder)  # schemathesis writes its .schemathesis folder there


@pytest.mark.faults
def test_schemathesis_run_applies_the_oracle(server_factory, tmp_path):
    """`schemathesis run` with the hooks loaded and our checks named finds a broken server's
    fault, charged to its requirement, and nothing on the correct server."""
    ours = "msc_err_01_error_body,msc_err_02_no_server_error,msc_hdr_01_request_id"
    broken = _schemathesis(server_factory("--token", "t0ken", "--fault", "error-without-msg"),
                           ours, tmp_path)
    assert broken.returncode == 1, broken.stdout[-3000:] + broken.stderr[-2000:]
    assert "ERR-01: error body {error_code: string, error_msg: string}" in broken.stdout
    assert "HDR-01" not in broken.stdout and "ERR-02" not in broken.stdout
    sound = _schemathesis(server_factory("--token", "t0ken"), ours, tmp_path)
    assert sound.returncode == 0, sound.stdout[-3000:] + sound.stderr[-2000:]
    assert "ERR-01" not in sound.stdout
