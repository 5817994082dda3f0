"""A polite transport for shared targets: a client-side rate limit, and 429s honoured.

Mounted on the run's one session, so schemathesis' requests and the suite's own go
through it alike. Waiting never outlasts the run's deadline.

Every exchange is bounded (`exchange.py`): connecting, sending and the whole answer within
`answer_time` (the run's `request_timeout`), the answer read whole, decoded, up to
`max_answer_bytes`.

It also keeps the run bounded in time (`time_budget`). The run's session has its cutoff at
the deadline: an exchange in flight then is cut, and every request after it
ends its test as not covered. The end-of-run cleanup then gets its own grace
(`begin_cleanup`), after which requests fail with `TimeUp`, a network error the cleanup
stops on.
"""

from __future__ import annotations

import threading
import time
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import requests
from requests import exceptions as http_errors
from requests.adapters import HTTPAdapter

from metastudio_conformance.exchange import (
    DEFAULT_MAX_ANSWER_BYTES,
    WATCHED_POOLS,
    Exchange,
    read_body,
    sent_unanswered,
    watched,
)

MAX_RETRIES_429 = 3
MAX_RETRY_AFTER = 30.0
MAX_GRACE = 60.0  # seconds past the budget for the end-of-run cleanup
GRACE_PER_TIMEOUT = 10  # ... or ten request timeouts, when that is shorter


def grace_for(request_timeout: float) -> float:
    """How long past a deadline work may go on: min(60 s, 10 request timeouts)."""
    return min(MAX_GRACE, GRACE_PER_TIMEOUT * request_timeout)


class RunSession(requests.Session):
    """The run's session. requests reads the proxy settings for every request by scanning
    the whole environment (about 8% of a run's CPU); the environment does not change
    during a run, so they are read once per scheme and host, with no_proxy and the CA
    bundle variables honoured as requests honours them."""

    def __init__(self) -> None:
        super().__init__()
        self._settings: dict = {}

    def merge_environment_settings(self, url, proxies, stream, verify, cert):
        parts = urlsplit(url)
        key = (parts.scheme, parts.netloc, tuple(sorted((proxies or {}).items())), stream,
               verify, cert, self.trust_env)
        try:
            found = self._settings.get(key)
        except TypeError:  # an unhashable setting: no memo
            return super().merge_environment_settings(url, proxies, stream, verify, cert)
        if found is None:
            found = self._settings[key] = super().merge_environment_settings(
                url, proxies, stream, verify, cert)
        return {**found, "proxies": dict(found["proxies"])}


class TimeUp(http_errors.RequestException):
    """The cleanup's grace is over: this request was not sent (or not waited for)."""


class PoliteAdapter(HTTPAdapter):
    def __init__(self, per_second: float | None, deadline: float | None = None,
                 answer_time: float | None = None,
                 max_answer_bytes: int = DEFAULT_MAX_ANSWER_BYTES,
                 max_requests: int | None = None) -> None:
        super().__init__()
        # A read timeout bounds each read, not the exchange: a server dripping one byte at
        # a time would hold a request forever. `answer_time` bounds the whole exchange.
        self.answer_time = answer_time
        self.max_answer_bytes = max_answer_bytes  # decoded
        self.interval = 1.0 / per_second if per_second else 0.0
        self.deadline = deadline  # time.monotonic() value, or None
        # No request starts, and none is waited for, past the cutoff: the deadline itself
        # for the tests (an exchange in flight then is cut), then `begin_cleanup`'s.
        self.cutoff = deadline
        self.cleaning = False
        self._next = 0.0
        self._lock = threading.Lock()
        self.throttled = 0  # 429 answers seen
        self.watchers: list = []  # .before(request), .after(request, response): pool.Ledger,
        # latency.Latencies, count_journal.CountJournal (also .over(request) when cut)
        self.unanswered: list = []  # called for a request sent whose answer was cut off
        self.max_requests = max_requests  # the tests' request budget; cleanup is not counted
        self.spent = 0  # requests the tests sent through here (each 429 retry too)
        self.budget_name = f"max_requests {max_requests}"  # a worker's says it is a share

    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = WATCHED_POOLS  # connections that count

    def proxy_manager_for(self, proxy, **proxy_kwargs):
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if not proxy.lower().startswith("socks"):  # SOCKS pools keep their own connections
            manager.pool_classes_by_scheme = WATCHED_POOLS
        return manager

    def begin_cleanup(self, grace: float) -> float:
        """From now on the cleanup runs, for `grace` seconds at most (once: later calls
        keep the first window). Returns the cutoff."""
        if not self.cleaning:
            self.cleaning = True
            self.cutoff = time.monotonic() + grace
        return self.cutoff

    def send(self, request, **kwargs):
        for watcher in self.watchers:
            watcher.before(request)
        try:
            response = self._send_politely(request, **kwargs)
        except BaseException as cut:  # cut, broken off, or not sent (budget, time): over
            # The target got the request but its answer was cut or broke off: no response
            # hook fires.
            if isinstance(cut, http_errors.RequestException) and sent_unanswered(cut):
                for hook in self.unanswered:
                    hook(None)
            for watcher in self.watchers:
                if over := getattr(watcher, "over", None):  # count_journal
                    over(request)
            raise
        for watcher in self.watchers:
            watcher.after(request, response)
        return response

    def _send_politely(self, request, **kwargs):
        for attempt in range(MAX_RETRIES_429 + 1):
            self._wait_turn()
            self._check_time(request)
            self._check_budget(request)
            response = self._send_within(request, **kwargs)
            if response.status_code != 429 or attempt == MAX_RETRIES_429:
                return response
            self.throttled += 1
            delay = _retry_after(response.headers.get("Retry-After"))
            if self._past(self.deadline, delay) or self._past(self.cutoff, delay):
                return response
            response.close()
            time.sleep(delay)
        return response

    def _send_within(self, request, stream=False, timeout=None, **kwargs):
        """Send and read the whole answer, within the exchange's deadline and size cap.

        `stream` is ignored: schemathesis asks for a stream, then reads `.content` whole."""
        exchange = Exchange(request, deadline=None)
        limit = self._answer_limit(exchange.started)
        exchange.deadline = None if limit is None else exchange.started + limit
        with watched(exchange):
            try:
                response = super().send(request, stream=True,
                                        timeout=self._clamp(timeout, exchange), **kwargs)
            except (http_errors.Timeout, http_errors.ConnectionError) as error:
                self._check_time(request)  # cut short by the cutoff: say so, not "timeout"
                if exchange.past_deadline():
                    raise exchange.timeout_error() from error
                raise
            try:
                response._content = read_body(response, exchange, self.max_answer_bytes)
            except http_errors.Timeout:
                self._check_time(request)
                raise
        response._content_consumed = True
        # for watchers (latency.Latencies): the whole exchange, and the connection's reuse
        response.exchange_seconds = time.monotonic() - exchange.started
        response.reused = exchange.reused
        return response

    def _answer_limit(self, started: float) -> float | None:
        """Seconds the whole exchange may take: answer_time, and never past the cutoff."""
        limits = [self.answer_time] if self.answer_time else []
        if self.cutoff is not None:
            limits.append(max(self.cutoff - started, 0.0))
        return min(limits) if limits else None

    @staticmethod
    def _clamp(timeout, exchange: Exchange):
        """The request's own socket timeout, never longer than the exchange's time left."""
        left = exchange.time_left()
        if left is None:
            return timeout
        if isinstance(timeout, tuple):
            return tuple(left if part is None else min(part, left) for part in timeout)
        return left if timeout is None else min(timeout, left)

    def _check_time(self, request) -> None:
        if self.cutoff is None or time.monotonic() < self.cutoff:
            return
        what = f"{request.method} {request.path_url}"
        if self.cleaning:
            raise TimeUp(f"{what} not sent: the cleanup's time is up", request=request)
        from metastudio_conformance.outcomes import not_covered  # only a test can end so

        not_covered(f"the run's time budget ran out during this test (at {what})")

    def _check_budget(self, request) -> None:
        """The tests' request budget (`max_requests`): spent, no test request goes."""
        if self.cleaning or self.max_requests is None:
            return
        if self.spent >= self.max_requests:
            from metastudio_conformance.outcomes import not_covered  # only a test can end so

            not_covered(f"the run's request budget ({self.budget_name or self.max_requests})"
                        f" was spent during this test (at {request.method} {request.path_url})")
        self.spent += 1

    @staticmethod
    def _past(limit: float | None, delay: float) -> bool:
        return limit is not None and time.monotonic() + delay > limit

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
