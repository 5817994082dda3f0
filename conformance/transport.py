"""A polite transport for shared targets: a client-side rate limit, and 429s honoured.

Mounted on the run's one session, so schemathesis' requests and the suite's own go
through it alike. Waiting never outlasts the run's deadline.
"""

from __future__ import annotations

import threading
import time
from email.utils import parsedate_to_datetime

from requests.adapters import HTTPAdapter

MAX_RETRIES_429 = 3
MAX_RETRY_AFTER = 30.0


class PoliteAdapter(HTTPAdapter):
    def __init__(self, per_second: float | None, deadline: float | None = None) -> None:
        super().__init__()
        self.interval = 1.0 / per_second if per_second else 0.0
        self.deadline = deadline  # time.monotonic() value, or None
        self._next = 0.0
        self._lock = threading.Lock()
        self.throttled = 0  # 429 answers seen

    def send(self, request, **kwargs):
        for attempt in range(MAX_RETRIES_429 + 1):
            self._wait_turn()
            response = super().send(request, **kwargs)
            if response.status_code != 429 or attempt == MAX_RETRIES_429:
                return response
            self.throttled += 1
            delay = _retry_after(response.headers.get("Retry-After"))
            if self.deadline is not None and time.monotonic() + delay > self.deadline:
                return response
            response.close()
            time.sleep(delay)
        return response

    def _wait_turn(self) -> None:
        if not self.interval:
            return
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next)
            self._next = start + self.interval
        if start > now:
            time.sleep(start - now)


def _retry_after(value: str | None) -> float:
    """Seconds from a Retry-After header (delta or HTTP date); 1 s when absent."""
    if not value:
        return 1.0
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError):
            seconds = 1.0
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)
