"""Latency per operation, and the hint when reused connections answer about 40 ms late.

A watcher of the run's transport (`PoliteAdapter.watchers`): every answered exchange adds
its whole time (connecting, sending, the whole answer) under its operation, and whether it
went on a fresh or a reused connection. A server with Nagle's algorithm on holds each
answer's body until the client acknowledges the head; the client acknowledges at once on
Linux (`exchange._ack_at_once`), elsewhere a delayed ACK costs about 40 ms per answer on a
kept-alive connection, and the report says so to the vendor.
"""

from __future__ import annotations

import math
import re
from urllib.parse import urlsplit

OPERATIONS = ("command", "DELETE", "Show", "List", "Create", "control")
_JOBS = re.compile(r"/digital-human-training-manage/user/jobs(?P<job>/[^/?#]+)?"
                   r"(?P<command>/command)?/?$")
STALL_MS = 30.0  # reused answers this much slower than fresh ones (median): a stall
# A run keeps one connection open: its first answer may be its only fresh one. The stall's
# mark is that most reused answers are late (their 25th percentile too); an answer without
# a body (a DELETE's 200) is one write and never waits: about a tenth of a run's.
MIN_FRESH, MIN_REUSED = 1, 10


def operation(method: str, url: str) -> str:
    """The operation of a request: method and path template, by the API's name."""
    match = _JOBS.search(urlsplit(url).path)
    if not match:
        return "control"  # the test-control interface, uploads, anything else
    if match["command"]:
        return "command"
    if match["job"]:
        return {"GET": "Show", "DELETE": "DELETE"}.get(method, "control")
    return {"GET": "List", "POST": "Create"}.get(method, "control")


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile of values (not empty)."""
    ordered = sorted(values)
    return ordered[max(math.ceil(share * len(ordered)) - 1, 0)]


class Latencies:
    """Exchange times in ms per operation, split by fresh and reused connection."""

    def __init__(self) -> None:
        self.samples: dict[str, list[tuple[float, bool]]] = {}  # op -> [(ms, reused)]

    def before(self, request) -> None:
        """Nothing to do before a request: its time comes with its answer."""

    def after(self, request, response) -> None:
        seconds = getattr(response, "exchange_seconds", None)
        if seconds is not None:
            op = operation(request.method, request.url)
            self.samples.setdefault(op, []).append((seconds * 1000,
                                                    bool(getattr(response, "reused", False))))

    def summary(self) -> dict:
        """For results.json: per operation count, p50, p95, max (ms), fresh and reused
        counts; the medians of fresh and reused answers; the stall hint or None."""
        ops = {}
        for op in sorted(self.samples, key=_order):
            times = [ms for ms, _ in self.samples[op]]
            reused = sum(1 for _, r in self.samples[op] if r)
            ops[op] = {"count": len(times), "p50_ms": _ms(percentile(times, 0.5)),
                       "p95_ms": _ms(percentile(times, 0.95)), "max_ms": _ms(max(times)),
                       "reused": reused, "fresh": len(times) - reused}
        fresh, reused = self._split()
        return {"operations": ops,
                "fresh_p50_ms": _ms(percentile(fresh, 0.5)) if fresh else None,
                "reused_p50_ms": _ms(percentile(reused, 0.5)) if reused else None,
                "hint": self.stall_hint()}

    def stall_hint(self) -> str | None:
        """A line for the vendor when answers on reused connections are consistently
        about 40 ms slower than on fresh ones; None otherwise."""
        fresh, reused = self._split()
        if len(fresh) < MIN_FRESH or len(reused) < MIN_REUSED:
            return None
        slow, quick = percentile(reused, 0.5), percentile(fresh, 0.5)
        if slow - quick < STALL_MS or percentile(reused, 0.25) - quick < STALL_MS * 0.5:
            return None
        return (f"answers on kept-alive connections took {slow:.0f} ms (median) against "
                f"{quick:.0f} ms on new connections: the server probably writes each answer's "
                f"head and body apart with Nagle's algorithm on, which meets the client's "
                f"delayed ACK; set TCP_NODELAY on its sockets or write each answer at once")

    def _split(self) -> tuple[list[float], list[float]]:
        every = [s for samples in self.samples.values() for s in samples]
        return [ms for ms, r in every if not r], [ms for ms, r in every if r]


def console_lines(summary: dict) -> list[str]:
    """The console's short block: one line per operation, and the hint."""
    if not summary or not summary.get("operations"):
        return []
    lines = ["latency per operation (ms): p50 / p95 / max"]
    for op, row in summary["operations"].items():
        lines.append(f"  {op:<8} {row['p50_ms']:>7.1f} / {row['p95_ms']:>7.1f} / "
                     f"{row['max_ms']:>7.1f}  ({row['count']} answers, {row['reused']} on "
                     f"reused connections)")
    if summary.get("hint"):
        lines.append(f"  hint: {summary['hint']}")
    return lines


def _order(op: str) -> int:
    """The API's order of operations (OPERATIONS), anything else last."""
    return OPERATIONS.index(op) if op in OPERATIONS else len(OPERATIONS)


def _ms(value: float) -> float:
    """Milliseconds to one decimal, as results.json keeps them."""
    return round(value, 1)
