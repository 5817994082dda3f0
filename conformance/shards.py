"""Splitting the collected tests by expected cost: across machines and across workers.

Sharding: the i-th of N parts of the collected tests.
The split depends only on the collected tests and `max_examples`, so every machine of a
run (same suite version, same selection) computes the same parts. It balances expected
cost, not count: a hypothesis test runs `max_examples` cases and weighs as much as dozens
of deterministic probes. Tests of other shards are recorded as such (`other-shard`), never
as passes or failures; `metastudio-conformance merge` joins the shards' report folders.

Workers: xdist's `worksteal` gives each worker a contiguous run of the tests and lets an
idle one take the tail of another's queue; `deal` orders them so each run starts with its
share of the long tests and ends with cheap ones that are easy to take over.
"""

from __future__ import annotations

from metastudio_conformance.config import shard_of

# Expected seconds per hypothesis case relative to one deterministic probe, measured on
# the bundled server (docs/performance.md): a schemathesis or stateful case sends several
# requests, a plain @given case one or two.
LONG_MODULES = ("test_properties", "test_state_machine")


def cost(item, max_examples: int) -> float:
    module = item.module.__name__.rsplit(".", 1)[-1] if getattr(item, "module", None) else ""
    if module in LONG_MODULES:
        return 1.5 * max_examples
    # @given, or a plain test that runs an inner @given (marked `hypothesis`: the series)
    if getattr(getattr(item, "obj", None), "hypothesis", None) is not None or \
            item.get_closest_marker("hypothesis") is not None:
        return 0.5 * max_examples
    return 1.0


def split(items: list, shard: str, max_examples: int) -> tuple[list, list]:
    """(this shard's items, the others), each in collection order. Greedy by cost: the
    most expensive test first, each to the part with the least cost so far (ties: the
    lower part, then the node id), so the result is the same on every machine."""
    index, count = shard_of(shard)
    loads = [0.0] * count
    part_of: dict[str, int] = {}
    for item in sorted(items, key=lambda it: (-cost(it, max_examples), it.nodeid)):
        part = min(range(count), key=lambda p: (loads[p], p))
        loads[part] += cost(item, max_examples)
        part_of[item.nodeid] = part
    mine = [item for item in items if part_of[item.nodeid] == index - 1]
    return mine, [item for item in items if part_of[item.nodeid] != index - 1]


def elsewhere(shard: str) -> str:
    """The reason a test of another shard gives here."""
    return f"not covered here: shard {shard} (this test runs in another shard)"


def deal(items: list, workers: int, max_examples: int, phases: list[list] | None = None
         ) -> list:
    """The tests in `workers` runs of equal length: dealt round-robin from the most to the
    least expensive, the long ones of each run first (the same order in every worker).
    With `phases` (lists of the items: a request budget's first cases, then the rest) each
    phase is dealt in turn and in its own order, cheap first, so every run begins with its
    share of the first phase and a spent budget has bought the most cases."""
    hands: list[list] = [[] for _ in range(workers)]
    for phase in phases or [sorted(items, key=lambda item: -cost(item, max_examples))]:
        for turn, item in enumerate(phase):
            hands[turn % workers].append(item)
    return [item for hand in hands for item in hand]
