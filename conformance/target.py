"""The target under test: the bundled reference server when none is given, and a preflight.

The reference server runs as a separate process (`python -m reference_server`), started
with throw-away credentials and two projects (one standard, one NA), so the suite talks to
it over real HTTP exactly as it would to any other target.
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
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

import requests
import urllib3
from metastudio_conformance.config import Settings

SERVE = (sys.executable, "-m", "metastudio_conformance.reference_server")

BANNER = "serving on "
START_TIMEOUT = 30.0
PREFLIGHT_BODY_LIMIT = 64 * 1024  # enough to see an answer arrive; a huge one stays unread
DEADLINE_GRACE = 1.0  # past the request timeout, so the probe's own timeouts speak first


class TargetUnreachable(Exception):
    """The target cannot be reached at all (exit code 3)."""


class ReferenceServerFailed(Exception):
    """The bundled reference server did not start (an error of the suite, exit code 4)."""


@contextlib.contextmanager
def reference_server(
    settings: Settings, faults: tuple[str, ...] = (), log_path: Path | None = None
) -> Iterator[Settings]:
    """Start the bundled server; yield `settings` pointed at it with fresh credentials."""
    standard, na = secrets.token_hex(16), secrets.token_hex(16)
    ak, sk = "AK" + secrets.token_hex(9).upper(), secrets.token_urlsafe(30)
    command = [
        *SERVE, "--host", "127.0.0.1", "--port", "0",
        "--ak", ak, "--sk", sk, "--na-project", na,
    ]
    for fault in faults:
        command += ["--fault", fault]
    log = open(log_path, "wb") if log_path else subprocess.DEVNULL  # noqa: SIM115
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=log)
    try:
        url = _read_banner(process)
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
        )
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if log_path:
            log.close()


def _read_banner(process: subprocess.Popen) -> str:
    found: list[str] = []

    def read() -> None:
        line = process.stdout.readline().decode("utf-8", "replace").strip()
        found.append(line)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(START_TIMEOUT)
    line = found[0] if found else ""
    if not line.startswith(BANNER):
        process.kill()
        raise ReferenceServerFailed(
            f"the bundled reference server did not start (exit {process.poll()}, "
            f"said {line!r})"
        )
    return line[len(BANNER):].strip()


def preflight(settings: Settings) -> None:
    """One plain GET of the target's root; any HTTP answer will do. Otherwise raises
    TargetUnreachable with one line that names the problem.

    Bounded whatever the target does: no credentials are sent, redirects are not followed,
    at most PREFLIGHT_BODY_LIMIT of the body is read, and the whole probe has a deadline.
    Socket timeouts alone cannot give that (a DNS lookup has none, and a server dripping a
    byte at a time never lets a read time out), so the probe runs in a daemon thread that
    is abandoned when the deadline passes; the run ends right after, taking it along.
    """
    url, limit = settings.target, settings.request_timeout
    probe = _Probe(url, limit)
    worker = threading.Thread(target=probe.run, name="preflight", daemon=True)
    worker.start()
    worker.join(limit + DEADLINE_GRACE)
    if worker.is_alive():
        if probe.phase == "resolving":
            raise TargetUnreachable(f"cannot resolve the host name {urlsplit(url).hostname} "
                                    f"(the DNS lookup took over {limit:g} s)")
        raise TargetUnreachable(f"{url} did not finish its answer within {limit:g} s (still "
                                f"{probe.phase}); too slow to test")
    if probe.error is not None:
        raise TargetUnreachable(_one_line(describe(probe.error, url, limit)))


class _Probe:
    def __init__(self, url: str, limit: float) -> None:
        self.url, self.limit = url, limit
        self.phase = "connecting"
        self.error: BaseException | None = None

    def run(self) -> None:
        parts = urlsplit(self.url)
        try:
            if not requests.utils.get_environ_proxies(self.url):  # a proxy resolves itself
                self.phase = "resolving"
                default = 443 if parts.scheme == "https" else 80  # no /etc/services needed
                socket.getaddrinfo(parts.hostname, parts.port or default)
            self.phase = "waiting for the answer"
            with requests.get(self.url + "/", timeout=self.limit, stream=True,
                              allow_redirects=False) as response:
                self.phase = f"reading the body of a {response.status_code} answer"
                read = 0
                for chunk in response.iter_content(16 * 1024):
                    read += len(chunk)
                    if read >= PREFLIGHT_BODY_LIMIT:
                        break
        except Exception as exc:  # every failure becomes one line, none a traceback
            self.error = exc


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
                    f"({tls.verify_message})")
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
