"""A small API client for the deterministic tests: one session, credentials, a transcript.

Every exchange of a test is kept (`evidence.py` shows it, credentials masked) so a
failure can show the failing exchange in full and the requests that led to it.
"""

from __future__ import annotations

import json
import secrets
from collections import deque
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import requests

from metastudio_conformance import auth, contract, evidence, placeholders, rules
from metastudio_conformance.answers import Answer, json_body
from metastudio_conformance.outcomes import RunAborted, SuiteError, Violation

CONTROL_JOBS = "/conformance/v1/{project_id}/jobs"


@dataclass
class Exchange:
    method: str
    path: str
    request_body: Any
    status: int
    response_body: Any
    request_id: str | None
    response: requests.Response | None = None  # for the failing exchange in full

    def __str__(self) -> str:
        return evidence.brief(self.method, self.path, self.request_body, self.status,
                               self.response_body)


class ApiClient:
    """Calls the spec's operations by operationId for one project, with the run's
    credentials, and judges what every answer must be whatever the test: a 5xx is ERR-02,
    a slow answer is RSP-05 (a model rule: reported through `deviate`), and credentials
    refused after the preflight accepted them end the run."""

    def __init__(self, settings, session: requests.Session, project_id: str | None = None,
                 run=None):
        self.settings = settings
        self.run = run or Standalone()  # the run's context: deviations, observations, notes
        self.response_time_limit = self.run.model.max_response_time if run else None
        self.session = session
        self.project_id = project_id or settings.project_id
        self.auth = auth.for_settings(settings, self.project_id)
        self.transcript: deque[Exchange] = deque(maxlen=50)
        self.listeners: list = []  # called when an example begins (the job pool's reclaim)

    def sibling(self, session: requests.Session | None = None,
                project_id: str | None = None) -> ApiClient:
        """The same run's client for another project or session."""
        run = None if isinstance(self.run, Standalone) else self.run
        return ApiClient(self.settings, session or self.session, project_id or self.project_id,
                         run)

    def call(self, operation_id: str, job_id: str | None = None, body: Any = None,
             headers: dict | None = None, query: dict | None = None, data: bytes | None = None,
             authenticated: bool = True, chunked: bool = False) -> requests.Response:
        """One operation of the spec, by operationId: its method and path come from there.
        `chunked` sends `data` with Transfer-Encoding: chunked instead of Content-Length."""
        operation = contract.operation(operation_id)
        path = operation.url_path(project_id=self.project_id, job_id=job_id)
        if query:
            path += "?" + urlencode(query)
        return self.request(operation.method, path, json_body=body, data=data,
                            headers=headers, authenticated=authenticated, chunked=chunked)

    # The operations under test.
    def command(self, job_id: str, body: Any, headers: dict | None = None) -> requests.Response:
        return self.call(contract.COMMAND_OPERATION, job_id, body=body, headers=headers)

    def delete(self, job_id: str, headers: dict | None = None) -> requests.Response:
        return self.call(contract.DELETE_OPERATION, job_id, headers=headers)

    # Supporting operations.
    def show(self, job_id: str) -> requests.Response:
        return self.call(contract.SHOW_OPERATION, job_id)

    def state_of(self, job_id: str) -> str | None:
        """The job's state per Show, or None when the job is not found."""
        response = self.show(job_id)
        state = json_body(response.content)
        state = state.get("state") if isinstance(state, dict) else None
        if response.status_code == 200 and not isinstance(state, str):
            raise SuiteError(f"Show of job {job_id} answered 200 without a state: "
                             f"{response.text[:200]}")
        return state if response.status_code == 200 else None

    def list_jobs(self, **query: str) -> requests.Response:
        return self.call(contract.LIST_OPERATION, query=query)

    def create(self, name: str, **fields: Any) -> requests.Response:
        return self.call(contract.CREATE_OPERATION, body={"name": name, **fields})

    def upload(self, url: str, data: bytes) -> requests.Response:
        """PUT a file to a presigned upload URL from Create: it carries its own
        authorisation, so no credentials go with it (docs workflow)."""
        response = self.session.put(url, data=data, timeout=self.settings.request_timeout,
                                    headers={"Content-Type": "application/octet-stream"},
                                    allow_redirects=False, verify=self.settings.verify,
                                    cert=self.settings.cert)
        self.transcript.append(Exchange("PUT", url, _preview(data), response.status_code,
                                        _body_of(response), None, response))
        return response

    # The test-control interface (openapi/control.yaml).
    def seed(self, state: str) -> str:
        path = CONTROL_JOBS.format(project_id=self.project_id)
        response = self.request("POST", path, json_body={"state": state})
        answer = json_body(response.content)
        job_id = answer.get("job_id") if isinstance(answer, dict) else None
        if response.status_code != 201 or not isinstance(job_id, str):
            raise SeedError(f"seeding a job in {state} answered {response.status_code}")
        placeholders.check_created(f"the control interface's seed of a job in {state}",
                                   {"job_id": job_id})
        return job_id

    def request(
        self,
        method: str,
        path: str,
        json_body: Any = None,
        data: bytes | None = None,
        headers: dict | None = None,
        authenticated: bool = True,
        chunked: bool = False,
    ) -> requests.Response:
        sent_headers = dict(headers or {})
        body = Chunked(data) if chunked and data is not None else data
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
            # per request: a session's own `verify` loses to REQUESTS_CA_BUNDLE in requests
            verify=self.settings.verify,
            cert=self.settings.cert,
        )
        exchange = Exchange(
            method,
            path,
            json_body if json_body is not None else _preview(data),
            response.status_code,
            _body_of(response),
            response.headers.get("X-Request-Id"),
            response,
        )
        self.transcript.append(exchange)
        self._check_every_answer(method, path, response, authenticated)
        return response

    def _check_every_answer(self, method: str, path: str, response: requests.Response,
                            authenticated: bool) -> None:
        what = f"{method} {path}"
        try:
            rules.no_server_error(Answer.of(response), what)
        except Violation as violation:
            self.run.observe(violation)  # kept, should hypothesis bury it under a Flaky
            raise
        if authenticated and response.status_code == 401:
            raise RunAborted(f"the target refused the run's credentials mid-run ({what} "
                             f"answered 401 {response.text[:120]}); check that the token or "
                             "keys are still valid")
        try:
            rules.answered_in_time(what, response.elapsed.total_seconds(),
                                   self.response_time_limit)
        except Violation as violation:  # a model rule: a deviation unless strict
            self.run.deviate(violation)

    def begin(self) -> None:
        """A new example starts: its transcript shows only its own requests, and the jobs
        the last one proved untouched may serve it."""
        self.transcript.clear()
        for listener in self.listeners:
            listener()

    def last_exchanges(self, failing: requests.Response | None = None) -> str:
        """The failing exchange in full (the given response, else the test's last), then
        the test's earlier requests, oldest first."""
        if not self.transcript and failing is None:
            return "(no request of this test)"
        if failing is None:
            failing = self.transcript[-1].response
        earlier = [str(e) for e in self.transcript if e.response is not failing]
        text = "Failing exchange:\n" + evidence.full(failing)
        if earlier:
            text += "\nEarlier requests of this test:\n" + "\n".join(earlier)
        return text


class SeedError(SuiteError):
    """The target could not put a job into the requested state: the control interface or
    Create answered wrongly. The test that needed the job ends as `error`: what it checks
    was never reached."""


class Standalone:
    """What a client outside a conformance run reports to: violations are raised, nothing
    is recorded (the cleanup command, the project's own tests)."""

    def deviate(self, violation: Violation) -> None:
        raise violation

    def observe(self, violation: Violation) -> None:
        pass

    def note(self, matrix: str, row: dict) -> None:
        pass


class Chunked:
    """Bytes requests sends with Transfer-Encoding: chunked (an iterable of unknown
    length), still through the run's session; `payload` is what the signer hashes."""

    def __init__(self, payload: bytes) -> None:
        self.payload = payload

    def __iter__(self):
        half = len(self.payload) // 2  # two chunks: a server must join them
        yield from (part for part in (self.payload[:half], self.payload[half:]) if part)


def new_job_id() -> str:
    """An id that no server has handed out: 32 lower-case hex like the docs' example."""
    return secrets.token_hex(16)


def _body_of(response: requests.Response) -> Any:
    if not response.content:
        return None
    if len(response.content) > 64 * 1024:  # a transcript shows a preview, not megabytes
        return _preview(response.content)
    body = json_body(response.content)
    return _preview(response.content) if body is None else body


def _preview(data: bytes | None) -> str | None:
    if data is None:
        return None
    text = data[:200].decode("utf-8", "replace")
    return text + (f"... ({len(data)} bytes)" if len(data) > 200 else "")
