"""The target under test: the bundled reference server when none is given, and a preflight.

The preflight proves the setup before any test runs: the target answers HTTP, its base URL
serves this API, and it accepts the run's credentials. A setup mistake is one line and
exit 2 (`SetupError`), never a table of conformance failures.

This module runs the preflight's requests within their deadlines. The bundled server's
start and stop are in bundled.py, what the answers say about the setup in
preflight_answers.py, what a network error means in unreachable.py; the names the CLI,
the runner and the pytest plugin use from them are importable from here.
"""

from __future__ import annotations

import secrets
import socket
import threading
import time
from urllib.parse import urlsplit

import requests

from metastudio_conformance import auth, contract

# Re-exported for the CLI, the runner and the pytest plugin. Not through __all__: its
# strings would join the literals Hypothesis draws into generated cases, and the same seed
# would send other requests.
from metastudio_conformance.bundled import ReferenceServerFailed, reference_server  # noqa: F401
from metastudio_conformance.config import Settings
from metastudio_conformance.preflight_answers import (
    PREFLIGHT_BODY_LIMIT,
    ProbeAnswer,
    setup_problem,
    verdict_of,
)
from metastudio_conformance.redact import Redactor
from metastudio_conformance.unreachable import describe, one_line

DEADLINE_GRACE = 1.0  # past the request timeout, so the probe's own timeouts speak first


class TargetUnreachable(Exception):
    """The target cannot be reached at all (exit code 3)."""


class SetupError(Exception):
    """The target answers, but not as this API with these credentials: a wrong base URL,
    credentials it refuses, another project (a usage error, exit code 2)."""


def preflight(settings: Settings) -> None:
    """Prove the setup before any test: raises TargetUnreachable (exit 3) or SetupError
    (exit 2) with one line that names the problem and the fix.

    1. A plain GET of the target's root, without credentials: any HTTP answer will do.
    2. With the run's credentials, List (`limit=1`), and when its answer does not settle
       the question, Show of a random job id: an answer like this API (a List, or an error
       body `{error_code, error_msg}`) proves the base URL; one that refuses the
       credentials, says "API not found", redirects, or is HTML or anything else, does not.

    Bounded whatever the target does: redirects are not followed, at most
    PREFLIGHT_BODY_LIMIT of a body is read, and each request has a deadline. Socket
    timeouts alone cannot give that (a DNS lookup has none, and a server dripping a byte
    at a time never lets a read time out), so the probe runs in a daemon thread that is
    abandoned when a deadline passes; the run ends right after, taking it along.
    """
    problem = setup_problem(_probe(settings).answers, settings)
    if problem is not None:
        # its parts are clipped already; the fix at the end must survive a long URL
        raise SetupError(one_line(Redactor([settings.token, settings.sk]).text(problem),
                                  limit=600))


def _probe(settings: Settings) -> _Probe:
    """The probe's answers, each request within its deadline; else TargetUnreachable."""
    url, limit = settings.target, settings.request_timeout
    probe = _Probe(settings)
    worker = threading.Thread(target=probe.run, name="preflight", daemon=True)
    worker.start()
    while worker.is_alive():
        worker.join(0.05)
        if worker.is_alive() and time.monotonic() > probe.step_started + limit + DEADLINE_GRACE:
            if probe.phase == "resolving":
                raise TargetUnreachable(f"cannot resolve the host name "
                                        f"{urlsplit(url).hostname} (the DNS lookup took over "
                                        f"{limit:g} s)")
            raise TargetUnreachable(f"{url} did not finish its answer within {limit:g} s "
                                    f"(still {probe.phase}); too slow to test")
    if probe.error is not None:
        raise TargetUnreachable(one_line(describe(probe.error, url, limit)))
    return probe


class _Probe:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.url, self.limit = settings.target, settings.request_timeout
        self.phase = "connecting"
        self.step_started = time.monotonic()
        self.error: BaseException | None = None
        self.answers: list[ProbeAnswer] = []

    def run(self) -> None:
        try:
            self._resolve()
            self._get("/", "the root", credentials=None)  # any answer: it speaks HTTP
            credentials = auth.for_settings(self.settings)
            project = self.settings.project_id
            listed = contract.operation(contract.LIST_OPERATION).url_path(project_id=project)
            self.answers.append(self._get(listed + "?limit=1", "List", credentials))
            if verdict_of(self.answers[0], self.settings) == "unlike":
                shown = contract.operation(contract.SHOW_OPERATION).url_path(project_id=project,
                                                                job_id=secrets.token_hex(16))
                self.answers.append(self._get(shown, "Show of an unknown job", credentials))
        except Exception as exc:  # every failure becomes one line, none a traceback
            self.error = exc

    def _resolve(self) -> None:
        parts = urlsplit(self.url)
        if not requests.utils.get_environ_proxies(self.url):  # a proxy resolves itself
            self.phase = "resolving"
            default = 443 if parts.scheme == "https" else 80  # no /etc/services needed
            socket.getaddrinfo(parts.hostname, parts.port or default)

    def _get(self, path: str, what: str, credentials) -> ProbeAnswer:
        self.step_started = time.monotonic()
        to = "" if credentials is None else f" to {what}"
        self.phase = f"waiting for the answer{to}"
        with requests.get(self.url + path, auth=credentials, timeout=self.limit, stream=True,
                          allow_redirects=False, verify=self.settings.verify,
                          cert=self.settings.cert) as response:
            self.phase = f"reading the body of a {response.status_code} answer{to}"
            body = b""
            for chunk in response.iter_content(16 * 1024):
                body += chunk
                if len(body) > PREFLIGHT_BODY_LIMIT:
                    break
            headers = response.headers
            return ProbeAnswer(what, response.status_code, headers.get("Content-Type", ""),
                               headers.get("Location", ""), body[:PREFLIGHT_BODY_LIMIT],
                               complete=len(body) <= PREFLIGHT_BODY_LIMIT)
