"""Whether a run's `-k` expression can select the property tests, decided before they are
built.

schemathesis builds each property test's coverage examples while pytest collects it, a
couple of seconds a run, even when `-k` then leaves the test out (as `learn` and most
targeted runs do). So the schema is built without them when no property test can match
(`schema.for_this_run`). The decision is pytest's own -k grammar evaluated per property
test on the names pytest matches it against (`_pytest.mark.KeywordMatcher`): the module
and the test's name are certainly there; the folders above the suite, marker names and
the attributes hypothesis and schemathesis put on the test function may be, so an
identifier that could only match those is taken both ways. Wrong only if a library adds a
name this list lacks: `tests/test_selection.py` compares it with a real collection, and
`guard` stops a run whose -k selected a test built without coverage examples.
"""

from __future__ import annotations

import itertools

from _pytest.mark.expression import IDENT_PREFIX, Expression

from metastudio_conformance import contract

MODULE = "test_properties.py"
TEST = "test_operation"
# Names on a property test that are not its module's or its own: its marker and the
# attributes the libraries set on the test function (hypothesis' @given and examples,
# schemathesis' metadata and wrapper).
OTHER_NAMES = ("requirement", "pytestmark", "hypothesis", "is_hypothesis_test",
               "hypothesis_explicit_examples", "_hypothesis_internal_use_seed",
               "_hypothesis_internal_use_settings",
               "_hypothesis_internal_use_reproduce_failure", "_schemathesis_metadata",
               "__wrapped_target")
MAX_UNKNOWN = 10  # identifiers taken both ways; more, and the expression is not decided


def item_names() -> list[str]:
    """The name of each property test: one per operation under test."""
    return [f"{TEST}[{op.method} {op.path}]" for op in contract.operations().values()
            if op.under_test]


def may_select_property_tests(expression: str | None, folders: tuple[str, ...]) -> bool:
    """False only when `expression` is false for every property test, whatever the names
    this module cannot know for sure (`folders`: the path parts above the suite)."""
    if not expression:
        return True
    try:
        compiled = Expression.compile(expression)
    except SyntaxError:
        return True  # pytest will say what is wrong with it
    possible = [MODULE, *OTHER_NAMES, *folders]
    return any(_may_match(compiled, [MODULE, name], possible + [name])
               for name in item_names())


def _may_match(compiled: Expression, certain: list[str], possible: list[str]) -> bool:
    code = getattr(compiled, "_code", None)  # every identifier, none short-circuited
    if code is None:
        return True  # another pytest: undecided, so the examples are built
    idents = {name[len(IDENT_PREFIX):] for name in code.co_names
              if name.startswith(IDENT_PREFIX)}
    unknown = sorted(i for i in idents if not _in(i, certain) and _in(i, possible))
    if len(unknown) > MAX_UNKNOWN:
        return True
    return any(compiled.evaluate(_Matcher(dict(zip(unknown, values, strict=True)), certain))
               for values in itertools.product((True, False), repeat=len(unknown)))


class _Matcher:
    """An identifier's truth: as assumed where unknown, else whether it is in a name."""

    def __init__(self, assumed: dict[str, bool], certain: list[str]) -> None:
        self.assumed, self.certain = assumed, certain

    def __call__(self, ident: str, **_) -> bool:
        return self.assumed[ident] if ident in self.assumed else _in(ident, self.certain)


def _in(ident: str, names: list[str]) -> bool:
    """pytest's -k match: the identifier is part of a name, ignoring case."""
    return any(ident.lower() in name.lower() for name in names)


def guard(items, coverage_built: bool) -> None:
    """A run whose property tests were built without coverage examples must not run one:
    the prediction above missed a name (a library change)."""
    import pytest

    if coverage_built:
        return
    chosen = [item.nodeid for item in items if item.name.startswith(f"{TEST}[")]
    if chosen:
        raise pytest.UsageError(f"-k selected {chosen[0]}, which was built without its "
                                "coverage examples: a suite bug (selection.py); run "
                                "without -k, or report it")
