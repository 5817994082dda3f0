"""Typed outcomes of a test, with the reason as data.

A test ends in one of these, never in a message whose wording decides its status:
- `Violation`: the target broke a requirement (status `fail`, or `deviation` for a model
  rule outside strict mode: see `RunContext.deviate`);
- `not_covered(reason)`: nothing could exercise the requirement here (no way to reach a
  state, no NA project, the time budget ran out);
- `disabled(reason)`: configuration turned it off (writes to a shared target, `-k`);
- `SuiteError`: the suite or the setup could not do its part (Create refused, credentials
  that stopped working); status `error`, never `fail`.
"""

from __future__ import annotations

from typing import NoReturn

import pytest
from schemathesis.core.failures import Failure

from metastudio_conformance.status import Status

# Requirements any test may find broken, whatever it names: the client checks every
# answer for them (a 5xx is ERR-02 only; a slow answer is RSP-05).
AMBIENT = ("ERR-02", "RSP-05")


class Violation(Failure):
    """A response that breaks one requirement of the oracle."""

    code = "MSC01"
    kind_title = "Conformance requirement violated"

    def __init__(self, requirement: str, operation: str | None, received: str, documented: str):
        self.requirement = requirement
        self.received, self.documented = received, documented
        self.judged_by: str | None = None  # the unit that raised it (requirements.rule)
        super().__init__(
            operation=operation,
            title=f"{requirement}: {documented}",
            message=f"Received: {received}\nDocumented: {documented}",
        )

    @property
    def _unique_key(self) -> str:  # one finding per requirement, whatever the values
        return self.requirement


class NotCovered(pytest.skip.Exception):
    """Nothing in this run could exercise the test's requirements."""


class Disabled(pytest.skip.Exception):
    """The run's configuration turned the test off."""


class SuiteError(Exception):
    """The suite or the setup failed, not the target's conformance (status `error`)."""


class RunAborted(SuiteError):
    """Nothing more can be tested in this run (credentials refused mid-run): stop."""


def not_covered(reason: str) -> NoReturn:
    raise NotCovered(reason)


def disabled(reason: str) -> NoReturn:
    raise Disabled(reason)


def skip_status(error: BaseException | None) -> Status | None:
    """`not-covered` or `disabled` for a typed skip; None for anything else."""
    if isinstance(error, NotCovered):
        return Status.NOT_COVERED
    if isinstance(error, Disabled):
        return Status.DISABLED
    return None
