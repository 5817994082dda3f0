"""The oracle's units applied in the deterministic tests, with the test's own exchanges.

`that(api, unit, ...)` applies the unit of `rules` that judges a requirement to what the
test observed; a violation carries the test's transcript (never a credential), the
failing exchange last. `deviation(api, unit, ...)` applies a lifecycle model's unit: its
violation is a deviation, which fails the run only in strict mode. A test never words a
verdict itself: it calls the requirement's unit.
"""

from __future__ import annotations

import requests

from metastudio_conformance import requirements
from metastudio_conformance.answers import Answer
from metastudio_conformance.client import ApiClient
from metastudio_conformance.outcomes import Violation
from metastudio_conformance.rules import JobSeen
from metastudio_conformance.status import Status


def answer(response: requests.Response) -> Answer:
    return Answer.of(response)


def that(api: ApiClient, unit, *args, **kwargs) -> None:
    """Apply `unit(*args, **kwargs)`; a `requests.Response` among them is judged as an
    Answer."""
    values = [*args, *kwargs.values()]
    failing = next((a for a in values if isinstance(a, requests.Response)), None)
    args = tuple(_judged(a) for a in args)
    kwargs = {name: _judged(value) for name, value in kwargs.items()}
    try:
        unit(*args, **kwargs)
    except Violation as violation:
        raise _with_transcript(api, violation, failing) from None


def deviation(api: ApiClient, unit, *args, **kwargs) -> bool:
    """Apply a lifecycle model's unit: the server departing from the model is recorded
    (`RunContext.deviate`: a failure in strict mode). True if the server followed it."""
    try:
        that(api, unit, *args, **kwargs)
    except Violation as violation:
        if not requirements.get(violation.requirement).is_model:
            raise  # a documented rule the model's unit asked first
        api.run.deviate(violation)
        return False
    return True


def noted(api: ApiClient, matrix: str, row: dict, unit, *args, **kwargs) -> None:
    """`that`, and the outcome as one row of a matrix the reports show."""
    try:
        that(api, unit, *args, **kwargs)
    except Violation as violation:
        api.run.note(matrix, {**row, "verdict": Status.FAIL,
                                 "requirement": violation.requirement})
        raise
    api.run.note(matrix, {**row, "verdict": Status.PASS})


def unchanged(api: ApiClient, unit, job_id: str, state: str, *args) -> None:
    """Show the job and hand what it found to `unit` (`job=`): a refused request must
    leave it in `state`."""
    that(api, unit, *args, job=JobSeen(job_id, state, api.state_of(job_id)))


def describe(response: requests.Response) -> str:
    return Answer.of(response).describe()


def _judged(value):
    return Answer.of(value) if isinstance(value, requests.Response) else value


def _with_transcript(api: ApiClient, error: Violation,
                     failing: requests.Response | None = None) -> Violation:
    error.message += "\n" + api.last_exchanges(failing)
    return error
