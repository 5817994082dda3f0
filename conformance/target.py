"""The target under test: the bundled reference server when none is given, and a preflight.

The reference server runs as a separate process (`python -m reference_server`), started
with throw-away credentials and two projects (one standard, one NA), so the suite talks to
it over real HTTP exactly as it would to any other target.

The preflight proves the setup before any test runs: the target answers HTTP, its base URL
serves this API, and it accepts the run's credentials. A setup mistake is one line and
exit 2 (`SetupError`), never a table of conformance failures.
"""

from __future__ import annotations

import contextlib
import http.client
import re
import secrets
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3

from metastudio_conformance import auth, contract
from metastudio_conformance.answers import json_body
from metastudio_conformance.config import Settings
from metastudio_conformance.redact import Redactor

SERVE = (sys.executable, "-m", "metastudio_conformance.reference_server")

BANNER = "serving on "
START_TIMEOUT = 30.0
PREFLIGHT_BODY_LIMIT = 64 * 1024  # enough to see an answer arrive; a huge one stays unread
DEADLINE_GRACE = 1.0  # past the request timeout, so the probe's own timeouts speak first


class TargetUnreachable(Exception):
    """The target cannot be reached at all (exit code 3)."""


class SetupError(Exception):
    """The target answers, but not as this API with these credentials: a wrong base URL,
    credentials it refuses, another project (a usage error, exit code 2)."""


class ReferenceServerFailed(Exception):
    """The bundled reference server did not start (an error of the suite, exit code 4)."""


@contextlib.contextmanager
def reference_server(
    settings: Settings, faults: tuple[str, ...] = (), log_path: Path | None = None
) -> Iterator[Settings]:
    """Start the bundled server; yield `settings` pointed at it with fresh credentials."""
    standard, na = secrets.token_hex(16), secrets.token_hex(16)
    ak, sk = "AK" + secrets.token_hex(9).upper(), secrets.token_urlsafe(30)
    # --name=value: a value that begins with "-" (a secret does, 1 run in 64) stays a value
    command = [*SERVE, "--host=127.0.0.1", "--port=0", f"--ak={ak}", f"--sk={sk}",
               f"--na-project={na}", *(f"--fault={fault}" for fault in faults)]
    # Its stderr always goes to a file: a pipe nobody reads would stall a chatty server.
    log = open(log_path, "w+b") if log_path else tempfile.TemporaryFile()  # noqa: SIM115
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=log)
    try:
        url = _read_banner(process, log, log_path)
        yield replace(
            settings,
            target=url,
            project_id=na if settings.tenant == "na" else standard,
            na_project_id=na,
            other_project_id=standard if settings.tenant == "na" else na,
            ak=ak,
            sk=sk,
            token=None,
            control=True if settings.control is None else settings.control,
            bundled=True,
        )
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _read_banner(process: subprocess.Popen, log, log_path: Path | None) -> str:
    found: list[str] = []

    def read() -> None:
        line = process.stdout.readline().decode("utf-8", "replace").strip()
        found.append(line)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(START_TIMEOUT)
    line = found[0] if found else ""
    if not line.startswith(BANNER):
        raise ReferenceServerFailed(_why_not_started(process, line, log, log_path))
    return line[len(BANNER):].strip()


def _why_not_started(process: subprocess.Popen, line: str, log, log_path: Path | None) -> str:
    """One line: how it ended, the last line of its log (which says why), where the log is."""
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=2)  # it printed no banner: let it finish saying why
    if process.poll() is None:
        process.kill()
        process.wait()
        ended = f"no banner within {START_TIMEOUT:g} s"
    else:
        ended = f"exit {process.returncode}"
    said = _last_line(log) or (f"it printed {line!r}" if line else "it said nothing")
    where = f"; its log: {log_path}" if log_path else ""
    return _one_line(f"the bundled reference server did not start ({ended}): {said}{where}",
                     limit=600)  # the log's path must survive


def _last_line(log) -> str:
    log.flush()
    log.seek(0)
    lines = log.read().decode("utf-8", "replace").strip().splitlines()
    return lines[-1].strip()[:200] if lines else ""


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
        raise SetupError(_one_line(Redactor([settings.token, settings.sk]).text(problem),
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
        raise TargetUnreachable(_one_line(describe(probe.error, url, limit)))
    return probe


@dataclass(frozen=True)
class ProbeAnswer:
    """What the preflight saw of one answer: status, a few headers, the start of the body."""

    what: str  # "List" or "Show of an unknown job"
    status: int
    content_type: str = ""
    location: str = ""
    body: bytes = b""
    complete: bool = True  # False: the body went on past PREFLIGHT_BODY_LIMIT

    @property
    def json(self) -> Any:
        return json_body(self.body) if self.complete else None

    def field(self, name: str) -> str:
        body = self.json
        value = body.get(name) if isinstance(body, dict) else None
        return "" if value is None else str(value)

    @property
    def is_html(self) -> bool:
        start = self.body[:200].lstrip().lower()
        return ("html" in self.content_type.lower() and self.json is None) or start.startswith(
            (b"<!doctype html", b"<html"))

    def summary(self) -> str:
        """`List answered 401 MSS.00000001 Unauthorized`, or with the content type."""
        code, message = self.field("error_code"), self.field("error_msg")
        if code or message:
            said = " ".join(part for part in (code, message[:100]) if part)
        else:
            said = self.content_type.split(";")[0] or "no Content-Type"
            said += "" if self.complete else f" of over {PREFLIGHT_BODY_LIMIT // 1024} KiB"
        return f"{self.what} answered {self.status} {said}"


# What an answer says about the setup (api-facts: the docs' error table, the gateway's codes).
_WRONG_URL_CODES = ("MSS.00010003", "APIGW.0101", "APIG.0101")  # API not found
_BAD_CREDENTIAL_CODES = ("MSS.00000001", "MSS.00010008")  # unauthorized, invalid token
_GATEWAY_AUTH_CODE = re.compile(r"APIGW?\.03\d\d")  # the gateway's authentication failures
_OTHER_PROJECT_CODE = "MSS.00010009"  # URL tenant id differs from the token's


def setup_problem(answers: list[ProbeAnswer], settings: Settings) -> str | None:
    """None when an answer shows this API accepting the credentials; else what is wrong."""
    for answer in answers:
        verdict = _verdict(answer, settings)
        if verdict != "unlike":
            return verdict
    first = answers[0]
    url = settings.target
    if _ends_in_v1(url):
        return f"no MetaStudio API under {url} ({first.summary()}): give the base URL without /v1"
    if first.is_html:
        return f"{url} answers HTML, not the MetaStudio API ({first.summary()}): check --target"
    return (f"{url} does not answer like the MetaStudio API ({first.summary()}): "
            "check --target")


def _verdict(answer: ProbeAnswer, settings: Settings) -> str | None:
    """None: like this API, credentials accepted; "unlike": not like this API (another
    request may still show it); else the problem, settled."""
    url, code = settings.target, answer.field("error_code")
    if 300 <= answer.status < 400:
        where = answer.location.split("?")[0][:100] or "nowhere"
        return (f"{url} redirects the API ({answer.what} answered {answer.status} to {where}); "
                "the suite follows no redirects: check --target")
    if code in _WRONG_URL_CODES:
        return _wrong_base_url(url, answer)
    if code == _OTHER_PROJECT_CODE:
        return (f"project {settings.project_id} is not the credentials' project "
                f"({answer.summary()}): check --project-id and the credentials")
    if (answer.status in (401, 403) or code in _BAD_CREDENTIAL_CODES
            or _GATEWAY_AUTH_CODE.fullmatch(code)):
        return (f"credentials refused by the target ({answer.summary()}): "
                f"check {_credential_variables(settings)}")
    return None if _like_the_api(answer) else "unlike"


def _like_the_api(answer: ProbeAnswer) -> bool:
    """A List, a job, or an error body, as this API answers (extra fields are fine)."""
    body = answer.json
    if not isinstance(body, dict):
        return False
    if answer.status >= 400:
        return "error_code" in body or "error_msg" in body
    if answer.what == "List":
        return isinstance(body.get("jobs"), list) or "count" in body
    return "job_id" in body or "state" in body


def _wrong_base_url(url: str, answer: ProbeAnswer) -> str:
    path = urlsplit(url).path
    if _ends_in_v1(url):
        fix = "give the base URL without /v1"
    elif path:
        fix = f"check --target: the API's paths begin with /v1 right after {path}; is it " \
              "part of the base URL?"
    else:
        fix = "check --target (the MetaStudio endpoint of the region)"
    return f"no MetaStudio API under {url} ({answer.summary()}): {fix}"


def _ends_in_v1(url: str) -> bool:
    return urlsplit(url).path.rstrip("/").lower().endswith("/v1")


def _credential_variables(settings: Settings) -> str:
    if settings.auth_kind == "aksk":
        return "METASTUDIO_AK and METASTUDIO_SK"
    return "METASTUDIO_TOKEN"


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
            if _verdict(self.answers[0], self.settings) == "unlike":
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


def describe(error: BaseException, url: str, limit: float) -> str:
    """What went wrong, for a person: DNS, refused, timeout, TLS, reset or not HTTP."""
    causes = list(_causes(error))

    def find(*kinds: type) -> BaseException | None:
        return next((cause for cause in causes if isinstance(cause, kinds)), None)

    parts = urlsplit(url)
    netloc = parts.netloc
    if gai := find(socket.gaierror, urllib3.exceptions.NameResolutionError):
        why = gai.strerror if isinstance(gai, socket.gaierror) else _reason(gai)
        return f"cannot resolve the host name {parts.hostname} (DNS lookup failed: {why})"
    if find(ConnectionRefusedError):
        return f"cannot connect to {url}: connection refused (nothing listens on that port)"
    if find(requests.exceptions.ConnectTimeout, urllib3.exceptions.ConnectTimeoutError):
        return f"connecting to {netloc} timed out after {limit:g} s"
    if find(requests.exceptions.ReadTimeout, TimeoutError):
        return f"{url} accepted the connection but did not answer within {limit:g} s"
    if tls := find(ssl.SSLError):
        if isinstance(tls, ssl.SSLCertVerificationError):
            return (f"TLS with {netloc} failed: its certificate is not trusted "
                    f"({tls.verify_message}); for a private CA give its bundle with "
                    "--tls-verify PATH (METASTUDIO_TLS_VERIFY, tls_verify in the profile)")
        return f"TLS handshake with {netloc} failed: {_tls_reason(tls)}"
    if find(http.client.RemoteDisconnected):
        return f"{url} closed the connection without answering"
    if find(ConnectionResetError):
        return f"{url} reset the connection (mid-answer or before it)"
    if find(http.client.IncompleteRead):
        return f"{url} broke off its answer before the end"
    if bad := find(http.client.HTTPException):  # a status line or header that is not HTTP
        return f"{url} does not speak HTTP: {_first_bytes(bad)}"
    if find(urllib3.exceptions.ProtocolError):
        return f"{url} broke off its answer before the end"
    return f"{url} answered unusably: {_reason(error)}"


def _causes(error: BaseException):
    """The error and everything it wraps: causes, contexts, urllib3 reasons, arguments."""
    seen: set[int] = set()
    pending: list[object] = [error]
    while pending:
        cause = pending.pop(0)
        if not isinstance(cause, BaseException) or id(cause) in seen:
            continue
        seen.add(id(cause))
        yield cause
        pending += [cause.__cause__, cause.__context__, getattr(cause, "reason", None),
                    *cause.args]


def _first_bytes(error: BaseException) -> str:
    line = getattr(error, "line", None)
    if not isinstance(line, str):
        return _reason(error)
    hint = " (that is TLS: try https://)" if line[:2] in ("\x15\x03", "\x16\x03") else ""
    return f"it answered {line[:40]!r}{'...' if len(line) > 40 else ''}{hint}"


def _tls_reason(error: ssl.SSLError) -> str:
    text = getattr(error, "reason", None) or _reason(error)
    if "WRONG_VERSION_NUMBER" in str(text).upper():
        return "wrong version number (is it plain HTTP? try http://)"
    return str(text).replace("_", " ").lower()


def _one_line(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())  # a server's bytes may carry line breaks
    return text if len(text) <= limit else text[:limit] + "..."


def _reason(exc: BaseException) -> str:
    """The innermost cause, which names the real problem."""
    while exc.__cause__ is not None or exc.__context__ is not None:
        exc = exc.__cause__ or exc.__context__
    text = str(exc) or type(exc).__name__
    text = re.sub(r"\s*\(_ssl\.c:\d+\)", "", text)
    return text.split("] ")[-1] if "] " in text else text
