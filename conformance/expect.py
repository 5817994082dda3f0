"""Assertions for the deterministic tests, in the oracle's terms.

`violation` raises a `RequirementViolation` whose message says what was received, what is
documented, and the last requests of the test (never a credential).
"""

from __future__ import annotations

from typing import NoReturn

import requests
from metastudio_conformance.checks import RequirementViolation
from metastudio_conformance.client import ApiClient


def violation(api: ApiClient, requirement: str, received: str, documented: str) -> NoReturn:
    error = RequirementViolation(requirement, None, received, documented)
    error.message += "\nTranscript:\n" + api.last_exchanges()
    raise error


def describe(response: requests.Response) -> str:
    body = response.text[:300] if response.content else "(empty body)"
    return f"{response.status_code} {body}"


def error_body(api: ApiClient, response: requests.Response) -> None:
    """ERR-01 on a response the test already knows is an error."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if not (
        isinstance(body, dict)
        and isinstance(body.get("error_code"), str)
        and isinstance(body.get("error_msg"), str)
    ):
        violation(api, "ERR-01", describe(response), "error body {error_code, error_msg}")


def refused_with_400(api: ApiClient, requirement: str, response: requests.Response,
                     what: str) -> None:
    """A parameter error: 400 with the error body (seed: "400 Parameters error")."""
    if response.status_code != 400:
        violation(api, requirement, describe(response), f"{what} refused with 400")
    error_body(api, response)


def unchanged(api: ApiClient, requirement: str, job_id: str, state: str) -> None:
    now = api.state_of(job_id)
    if now != state:
        violation(api, requirement, f"job {job_id} is now {now or 'gone'}",
                  f"a refused request leaves the job in {state}")
