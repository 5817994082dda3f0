"""The Allure history file with one point per run, keyed on the run id.

Allure appends a point to the history each time it builds a report. Building one run's
report again, or a workflow's re-run attempt that restored the history its first attempt
saved, would count the run twice: so Allure gets a copy without this run's point, the
point it appends there is tagged with the run id, and the copy replaces the file.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

RUN_KEY = "metastudioRunId"  # Allure keeps unknown keys of older points as they are


@contextlib.contextmanager
def one_point_per_run(history: Path, run_id: str) -> Iterator[Path]:
    """The history for Allure to read and append to, without `run_id`'s earlier point; on
    leaving, the point Allure appended, tagged `run_id`, replaces the old one in `history`.
    """
    history.parent.mkdir(parents=True, exist_ok=True)
    with _locked(history), tempfile.TemporaryDirectory() as scratch:
        working = Path(scratch) / history.name
        kept = b"".join(line for line in _lines(history) if run_of(line) != run_id)
        working.write_bytes(kept)
        yield working
        points = _lines(working)
        if working.read_bytes() == kept or not points or run_of(points[-1]) is not None:
            return  # Allure appended nothing (it said why): the history stays as it was
        point = json.loads(points[-1])
        point[RUN_KEY] = run_id
        points[-1] = json.dumps(point, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"
        replacement = history.with_name(history.name + ".new")
        replacement.write_bytes(b"".join(points))
        os.replace(replacement, history)


def run_of(line: bytes) -> str | None:
    """The run id a history point was tagged with (None: untagged or unreadable)."""
    try:
        point = json.loads(line)
    except ValueError:
        return None
    return point.get(RUN_KEY) if isinstance(point, dict) else None


def _lines(path: Path) -> list[bytes]:
    """The points of a history file, each ending with a newline."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return []
    return [line if line.endswith(b"\n") else line + b"\n"
            for line in data.splitlines(keepends=True) if line.strip()]


@contextlib.contextmanager
def _locked(history: Path) -> Iterator[None]:
    """One report at a time per history file: two builds must not both append."""
    with open(history.with_name(history.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield
