"""The target under test: the bundled reference server when none is given, and a preflight.

The reference server runs as a separate process (`python -m reference_server`), started
with throw-away credentials and two projects (one standard, one NA), so the suite talks to
it over real HTTP exactly as it would to any other target.
"""

from __future__ import annotations

import contextlib
import secrets
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import requests

from conformance.config import Settings

BANNER = "serving on "
START_TIMEOUT = 30.0


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
        sys.executable, "-m", "reference_server", "--host", "127.0.0.1", "--port", "0",
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
    """One plain request to the target: raises TargetUnreachable if nothing answers."""
    try:
        requests.get(settings.target + "/", timeout=min(settings.request_timeout, 10.0),
                     allow_redirects=False)
    except requests.exceptions.SSLError as exc:
        raise TargetUnreachable(
            f"TLS handshake with {settings.target} failed: {_reason(exc)}"
        ) from None
    except requests.exceptions.Timeout:
        raise TargetUnreachable(
            f"{settings.target} did not answer within {settings.request_timeout:g} s"
        ) from None
    except requests.exceptions.ConnectionError as exc:
        raise TargetUnreachable(f"cannot connect to {settings.target}: {_reason(exc)}") from None
    except requests.exceptions.RequestException as exc:
        raise TargetUnreachable(f"{settings.target} answered unusably: {_reason(exc)}") from None


def _reason(exc: BaseException) -> str:
    """The innermost cause, which names the real problem (refused, DNS, certificate)."""
    while exc.__cause__ is not None or exc.__context__ is not None:
        exc = exc.__cause__ or exc.__context__
    text = str(exc) or type(exc).__name__
    return text.split("] ")[-1] if "] " in text else text
