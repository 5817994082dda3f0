"""The bundled reference server: started for a run given no target, stopped after it.

It runs as a separate process (`python -m reference_server`), started with throw-away
credentials and two projects (one standard, one NA), so the suite talks to it over real
HTTP exactly as it would to any other target. When it does not start, one line says why
and where its log is (`ReferenceServerFailed`, exit 4), never a traceback.
"""

from __future__ import annotations

import contextlib
import secrets
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from metastudio_conformance.config import Settings
from metastudio_conformance.unreachable import one_line

SERVE = (sys.executable, "-m", "metastudio_conformance.reference_server")

BANNER = "serving on "
START_TIMEOUT = 30.0


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
    return one_line(f"the bundled reference server did not start ({ended}): {said}{where}",
                    limit=600)  # the log's path must survive


def _last_line(log) -> str:
    log.flush()
    log.seek(0)
    lines = log.read().decode("utf-8", "replace").strip().splitlines()
    return lines[-1].strip()[:200] if lines else ""
