"""A polite transport for shared targets: a client-side rate limit, and 429s honoured.

Mounted on the run's one session, so schemathesis' requests and the suite's own go
through it alike. Waiting never outlasts the run's deadline.
"""

from __future__ import annotations

import threading
import time
from email.utils import parsedate_to_datetime

from requests.adapters import HTTPAdapter
from requests.exceptions import ReadTimeout

MAX_RETRIES_429 = 3
MAX_RETRY_AFTER = 30.0


class PoliteAdapter(HTTPAdapter):
    def __init__(self, per_second: float | None, deadline: float | None = None,
                 answer_time: float | None = None) -> None:
        super().__init__()
        # A read timeout bounds each read, not the answer: a server dripping one byte at a
        # time would hold a request forever. `answer_time` bounds the whole answer.
        self.answer_time = answer_time
        self.interval = 1.0 / per_second if per_second else 0.0
        self.deadline = deadline  # time.monotonic() value, or None
        self._next = 0.0
        self._lock = threading.Lock()
        self.throttled = 0  # 429 answers seen

    def send(self, request, **kwargs):
        for attempt in range(MAX_RETRIES_429 + 1):
            self._wait_turn()
            response = self._send_within(request, **kwargs)
            if response.status_code != 429 or attempt == MAX_RETRIES_429:
                return response
            self.throttled += 1
            delay = _retry_after(response.headers.get("Retry-After"))
            if self.deadline is not None and time.monotonic() + delay > self.deadline:
                return response
            response.close()
            time.sleep(delay)
        return response

    def _send_within(self, request, stream=False, **kwargs):
        started = time.monotonic()
        response = super().send(request, stream=True, **kwargs)
        if stream or not self.answer_time:
            return response
        chunks = []
        try:
            # read1 returns what has arrived, so the deadline is checked as bytes trickle in
            while chunk := response.raw.read1(64 * 1024, decode_content=True):
                chunks.append(chunk)
                if time.monotonic() - started > self.answer_time:
                    raise ReadTimeout(f"the answer to {request.method} {request.path_url} did "
                                      f"not complete within {self.answer_time:g} s",
                                      request=request)
        except ReadTimeout:
            response.close()
            raise
        response._content = b"".join(chunks)
        response._content_consumed = True
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
