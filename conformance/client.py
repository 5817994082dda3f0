"""A small API client for the deterministic tests: one session, credentials, a transcript.

Every exchange is recorded (method, path, request body, status, response body; never a
credential header) so a failure can show the requests that led to it.
"""

from __future__ import annotations

import json
import secrets
from collections import deque
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import requests
from metastudio_conformance import auth, contract
from metastudio_conformance.checks import RequirementViolation

CONTROL_JOBS = "/conformance/v1/{project_id}/jobs"


@dataclass
class Exchange:
    method: str
    path: str
    request_body: Any
    status: int
    response_body: Any
    request_id: str | None

    def __str__(self) -> str:
        sent = "" if self.request_body is None else " " + _compact(self.request_body)
        got = "" if self.response_body in (None, "") else " " + _compact(self.response_body)
        return f"{self.method} {self.path}{sent}\n  -> {self.status}{got}"


class ApiClient:
    def __init__(self, settings, session: requests.Session, project_id: str | None = None,
                 response_time_limit: float | None = None):
        self.settings = settings
        self.response_time_limit = response_time_limit
        self.session = session
        self.project_id = project_id or settings.project_id
        self.auth = auth.for_settings(settings, self.project_id)
        self.transcript: deque[Exchange] = deque(maxlen=50)

    # The operations under test.
    def command(self, job_id: str, body: Any, headers: dict | None = None) -> requests.Response:
        path = contract.COMMAND_PATH.format(project_id=self.project_id, job_id=job_id)
        return self.request("POST", path, json_body=body, headers=headers)

    def delete(self, job_id: str, headers: dict | None = None) -> requests.Response:
        path = contract.JOB_PATH.format(project_id=self.project_id, job_id=job_id)
        return self.request("DELETE", path, headers=headers)

    # Supporting operations.
    def show(self, job_id: str) -> requests.Response:
        path = contract.JOB_PATH.format(project_id=self.project_id, job_id=job_id)
        return self.request("GET", path)

    def state_of(self, job_id: str) -> str | None:
        """The job's state per Show, or None when the job is not found."""
        response = self.show(job_id)
        if response.status_code != 200:
            return None
        return response.json().get("state")

    def list_jobs(self, **query: str) -> requests.Response:
        path = contract.JOBS_PATH.format(project_id=self.project_id)
        suffix = "?" + urlencode(query) if query else ""
        return self.request("GET", path + suffix)

    def create(self, name: str, **fields: Any) -> requests.Response:
        path = contract.JOBS_PATH.format(project_id=self.project_id)
        return self.request("POST", path, json_body={"name": name, **fields})

    # The test-control interface (openapi/control.yaml).
    def seed(self, state: str) -> str:
        path = CONTROL_JOBS.format(project_id=self.project_id)
        response = self.request("POST", path, json_body={"state": state})
        try:
            job_id = response.json()["job_id"] if response.status_code == 201 else None
        except (ValueError, KeyError, TypeError):
            job_id = None
        if not isinstance(job_id, str):
            raise SeedError(f"seeding a job in {state} answered {response.status_code}")
        return job_id

    def request(
        self,
        method: str,
        path: str,
        json_body: Any = None,
        data: bytes | None = None,
        headers: dict | None = None,
        authenticated: bool = True,
    ) -> requests.Response:
        sent_headers = dict(headers or {})
        body = data
        if json_body is not None:
            body = json.dumps(json_body).encode()
            sent_headers.setdefault("Content-Type", "application/json")
        response = self.session.request(
            method,
            self.settings.target + path,
            data=body,
            headers=sent_headers,
            auth=self.auth if authenticated else None,
            timeout=self.settings.request_timeout,
            allow_redirects=False,
        )
        exchange = Exchange(
            method,
            path,
            json_body if json_body is not None else _preview(data),
            response.status_code,
            _body_of(response),
            response.headers.get("X-Request-Id"),
        )
        self.transcript.append(exchange)
        elapsed = response.elapsed.total_seconds()
        if self.response_time_limit and elapsed > self.response_time_limit:
            raise RequirementViolation(
                "RSP-05", None, f"{method} {path} answered in {elapsed:.2f} s",
                f"every answer within {self.response_time_limit:g} s",
            )
        return response

    def begin(self) -> None:
        """A new example starts: its transcript shows only its own requests."""
        self.transcript.clear()

    def last_exchanges(self) -> str:
        return "\n".join(str(exchange) for exchange in self.transcript)


class SeedError(AssertionError):
    """The target could not put a job into the requested state: it answered the control
    interface or Create wrongly, which fails the test that needed the job."""


def new_job_id() -> str:
    """An id that no server has handed out: 32 lower-case hex like the docs' example."""
    return secrets.token_hex(16)


def _body_of(response: requests.Response) -> Any:
    if not response.content:
        return None
    if len(response.content) > 64 * 1024:  # a transcript shows a preview, not megabytes
        return _preview(response.content)
    try:
        return response.json()
    except ValueError:
        return _preview(response.content)


def _preview(data: bytes | None) -> str | None:
    if data is None:
        return None
    text = data[:200].decode("utf-8", "replace")
    return text + (f"... ({len(data)} bytes)" if len(data) > 200 else "")


def _compact(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
