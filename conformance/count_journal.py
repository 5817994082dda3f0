"""The run's own requests that may change a project's job count, shared by its workers.

DEL-04's count (`test_delete_removes_exactly_one_job`) holds only while nothing else
creates or deletes a job in the project. Under `--workers N` on one shared project (a real
target: README), the run's other workers do exactly that. Each worker's session writes a
line to one journal file before it sends a Create, a seed or a DELETE, and another once
that exchange is over (answered or cut). The count is judged only in a window no other
worker's such exchange overlapped: `still_since(mark)`.

A line is one `os.write` to a file opened with O_APPEND, so the workers' lines never
interleave (a local file, lines far below PIPE_BUF). The file grows by one pair of lines
per such request, so it is bounded by the run's requests.
"""

from __future__ import annotations

import itertools
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

MAX_WAIT = 2.0  # seconds `wait_still` waits for the other workers' exchanges to end
POLL = 0.005
# Create and the control interface's seed (POST .../jobs), and any DELETE.
_COUNTS = re.compile(r"/jobs/?$")


def may_change_count(method: str, url: str) -> bool:
    """A DELETE, or a POST to a jobs collection (Create, the control interface's seed)."""
    return method == "DELETE" or (method == "POST" and bool(_COUNTS.search(urlsplit(url).path)))


@dataclass(frozen=True)
class Mark:
    offset: int  # bytes of the journal read when the window opened
    busy: frozenset[str]  # other workers' exchanges in flight then


class CountJournal:
    """One worker's side of the journal; without a path (one process, or a project of its
    own) there is nobody else, and every window is still."""

    def __init__(self, path: Path | str | None = None, worker: str = "main") -> None:
        self.path = Path(path) if path else None
        self.worker = worker
        self._numbers = itertools.count(1)  # next() is atomic: threads of one test share it
        self._open: dict[int, str] = {}  # id(request) -> its line's key

    # PoliteAdapter watcher: .before / .after, and .over for an exchange that was cut.
    def before(self, request) -> None:
        if self.path is None or not may_change_count(request.method or "", request.url or ""):
            return
        key = f"{self.worker}:{next(self._numbers)}"
        self._open[id(request)] = key
        self._write(f"{key} b\n")

    def after(self, request, response=None) -> None:
        key = self._open.pop(id(request), None)
        if key is not None:
            self._write(f"{key} e\n")

    over = after

    def _write(self, line: str) -> None:
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line.encode())
        finally:
            os.close(fd)

    # The window.
    def _others(self, offset: int = 0) -> tuple[int, list[tuple[str, str]]]:
        """(where the journal ends, the other workers' lines from `offset`: key, edge)."""
        if self.path is None:
            return 0, []
        with open(self.path, "rb") as journal:
            journal.seek(offset)
            data = journal.read()
        lines = (line.partition(" ") for line in data.decode(errors="replace").splitlines())
        return offset + len(data), [(key, edge) for key, _, edge in lines
                                    if not key.startswith(f"{self.worker}:")]

    def _busy(self) -> tuple[int, set[str]]:
        """(where the journal ends, the other workers' exchanges in flight)."""
        end, lines = self._others()
        busy: set[str] = set()
        for key, edge in lines:
            (busy.add if edge == "b" else busy.discard)(key)
        return end, busy

    def mark(self) -> Mark:
        offset, busy = self._busy()
        return Mark(offset, frozenset(busy))

    def still_since(self, mark: Mark) -> bool:
        """No other worker's count-changing exchange was in flight at `mark` or began
        after it."""
        return not mark.busy and not self._others(mark.offset)[1]

    def wait_still(self, timeout: float = MAX_WAIT) -> None:
        """Until no other worker's count-changing exchange is in flight (at most
        `timeout`): a window opened then has a chance to stay still."""
        end = time.monotonic() + timeout
        while self.path is not None and self._busy()[1] and time.monotonic() < end:
            time.sleep(POLL)
