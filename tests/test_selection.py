"""The -k prediction that spares building the property tests' coverage examples
(conformance/selection.py): never wrong where it says no property test can match, checked
against the names a real collection gives them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from metastudio_conformance import selection
from metastudio_conformance.learn import SELECTION

FOLDERS = ("/", "home", "ci", "checkout", "conformance", "suite")


@pytest.mark.parametrize("expression", [
    None, "", "test_operation", "POST", "DELETE and not command", "test_properties",
    "not test_commands_standard_tenant", "hypothesis", "not hypothesis", "requirement",
    "checkout", "((", "operation or zzz"])
def test_an_expression_that_may_select_a_property_test_keeps_its_examples(expression):
    assert selection.may_select_property_tests(expression, FOLDERS)


@pytest.mark.parametrize("expression", [
    SELECTION, "zzz_nothing", "not test_operation", "test_silent_point",
    "test_unknown_job_is_not_found and not slow", "test_properties and not test_operation",
    "DELETE and command"])
def test_an_expression_no_property_test_matches_spares_them(expression):
    assert not selection.may_select_property_tests(expression, FOLDERS)


def test_the_folders_above_the_suite_are_names_too():
    assert selection.may_select_property_tests("silent", ("work", "silent-copy", "suite"))


class _Item:
    def __init__(self, name: str) -> None:
        self.name, self.nodeid = name, f"test_properties.py::{name}"


def test_the_guard_stops_a_run_that_selected_a_test_built_without_examples():
    chosen = [_Item(selection.item_names()[0]), _Item("test_silent_point[body_size]")]
    selection.guard(chosen, coverage_built=True)
    selection.guard(chosen[1:], coverage_built=False)
    with pytest.raises(pytest.UsageError, match="built without its coverage examples"):
        selection.guard(chosen, coverage_built=False)


PROBE = '''
import json, sys
import pytest
from _pytest.mark import KeywordMatcher
class Names:
    def pytest_collection_modifyitems(self, items):
        names = {item.name: sorted(KeywordMatcher.from_item(item)._names) for item in items
                 if item.name.startswith("test_operation[")}
        open(sys.argv[1], "w").write(json.dumps(names))
real = pytest.main
pytest.main = lambda args, plugins=(): real([*args, "--collect-only"], [*plugins, Names()])
from metastudio_conformance import cli
cli.main(["run", "--max-examples", "1", "--report-dir", sys.argv[2]])
'''


@pytest.mark.slow
def test_the_names_a_real_collection_gives_are_the_ones_predicted(tmp_path):
    """Every name pytest matches -k against on a property test is one the prediction
    knows: its module, its own name, a possible one (marker, library attribute) or a
    folder above the suite."""
    out = tmp_path / "names.json"
    subprocess.run([sys.executable, "-c", PROBE, str(out), str(tmp_path / "reports")],
                   check=True, capture_output=True, timeout=120, cwd=tmp_path)
    collected = json.loads(out.read_text())
    assert sorted(collected) == sorted(selection.item_names())
    folders = (Path(selection.__file__).parent / "suite").parts  # as schema.configure
    for name, names in collected.items():
        unknown = set(names) - {selection.MODULE, name, *selection.OTHER_NAMES, *folders}
        assert not unknown, f"{name}: names the prediction does not know: {unknown}"
