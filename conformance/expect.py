"""The oracle's rules applied in the deterministic tests, with the test's own exchanges.

`that(api, rule, ...)` applies one rule of `requirements` to an answer the test received;
a violation carries the test's transcript (never a credential), the failing exchange
last. `deviation` reports a departure from the lifecycle model (a model rule), which
fails the run only in strict mode.
"""

from __future__ import annotations

from typing import NoReturn

import requests

from metastudio_conformance import requirements
from metastudio_conformance.answers import Answer
from metastudio_conformance.client import ApiClient
from metastudio_conformance.outcomes import Violation
from metastudio_conformance.status import Status


def answer(response: requests.Response) -> Answer:
    return Answer.of(response)


def that(api: ApiClient, rule, *args) -> None:
    """Apply `rule(*args)`; an `requests.Response` among the args is judged as an Answer."""
    failing = next((a for a in args if isinstance(a, requests.Response)), None)
    args = tuple(Answer.of(a) if isinstance(a, requests.Response) else a for a in args)
    try:
        rule(*args)
    except Violation as violation:
        raise _with_transcript(api, violation, failing) from None


def violation(api: ApiClient, requirement: str, received: str, documented: str) -> NoReturn:
    """A rule whose only implementation is the test that raises it (DEL-04's count, the
    race's single winner, ...)."""
    raise _with_transcript(api, Violation(requirement, None, received, documented))


def deviation(api: ApiClient, requirement: str, received: str, documented: str) -> None:
    """A model rule broken: the server departs from the chosen lifecycle model."""
    assert requirements.get(requirement).is_model, requirement
    api.run.deviate(_with_transcript(api, Violation(requirement, None, received, documented)))


def noted(api: ApiClient, matrix: str, row: dict, rule, *args) -> None:
    """`that`, and the outcome as one row of a matrix the reports show."""
    try:
        that(api, rule, *args)
    except Violation as violation:
        api.run.note(matrix, {**row, "verdict": Status.FAIL,
                                 "requirement": violation.requirement})
        raise
    api.run.note(matrix, {**row, "verdict": Status.PASS})


def unchanged(api: ApiClient, requirement: str, job_id: str, state: str) -> None:
    """The job is still in `state` (Show), as a refused request must leave it."""
    that(api, requirements.unchanged, requirement, job_id, state, api.state_of(job_id))


def describe(response: requests.Response) -> str:
    return Answer.of(response).describe()


def _with_transcript(api: ApiClient, error: Violation,
                     failing: requests.Response | None = None) -> Violation:
    error.message += "\n" + api.last_exchanges(failing)
    return error
