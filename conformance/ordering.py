"""The order the suite's tests run in: cheap deterministic probes first, long ones last.

A broken server is reported within seconds (with --max-failures / -x the run stops
there): single probes of every area first, then the probes and examples of the request
rules, then the command matrix (848 commands), whose jobs proven untouched (`pool`) serve
the DELETE gate instead of new ones, and the generated cases last. Within a tier
pytest's own order stays, so the order is the same on every run and every machine.
"""

from __future__ import annotations

# What every answer must be (status, content type, schema, error body, X-Request-Id),
# judged on a handful of requests before anything else.
FIRST = {("test_sample_answers", "*"),
         ("test_headers", "test_request_id_on_every_kind_of_answer")}

# (module, test function or "*"), cheapest first; a test not named here runs in tier 0.
# A successful DELETE voids every proof of the pool (pool.py), so the DELETEs the gate
# allows come after the tests that live on proven jobs.
TIERS = (
    {("test_near_misses", "test_near_miss_is_refused")},  # 94 probes that must be refused
    {("test_commands", "test_command_is_required"),  # hypothesis examples on one job each
     ("test_commands", "test_undocumented_command_is_refused"),
     ("test_commands", "test_wrong_types_are_refused"),
     ("test_headers", "test_chinese_app_user_id_is_refused"),
     ("test_headers", "test_plain_app_user_id_is_accepted"),
     ("test_robustness", "test_malformed_body_is_refused")},
    {("test_lifecycle", "*")},  # 848 commands, one result line per state
    {("test_delete_gating", "test_delete_in_state")},  # the refused ones, then the allowed
    {("test_near_misses", "*")},  # noted, not judged: some DELETEs among them succeed
    {("test_properties", "*")},  # schemathesis' generated cases
    {("test_state_machine", "*")},  # random sequences: the longest
)


FIRST_CASES = 2  # tests per requirement a request budget spends on first


def tier(item) -> tuple[int, bool]:
    module = item.module.__name__.rsplit(".", 1)[-1] if item.module else ""
    name = getattr(item, "originalname", item.name)
    deletes = any("DEL-01" in marker.args for marker in item.iter_markers("requirement"))
    if (module, name) in FIRST or (module, "*") in FIRST:
        return -1, deletes
    for number, tests in enumerate(TIERS, start=1):
        if (module, name) in tests or (module, "*") in tests:
            return number, deletes
    return 0, deletes


def cheap_first(items: list) -> list:
    return sorted(items, key=tier)  # stable: pytest's order within a tier


def coverage_first(items: list, marks_of) -> list:
    """With a request budget (`max_requests`): first cases of every requirement before the
    rest, so what the budget buys covers the most (`first_cases`)."""
    first, rest = first_cases(items, marks_of)
    return first + rest


def first_cases(items: list, marks_of, per_requirement: int = FIRST_CASES
                ) -> tuple[list, list]:
    """The tests a budget spends on first, and the rest. Each test, in the given order, is
    a first case if it claims a requirement with fewer than `per_requirement` first tests
    (two: a first case may turn out unreachable) and its job can be had without the control
    interface (no state but Create's); the rest keep their order."""
    from metastudio_conformance import contract

    first, rest, chosen = [], [], {}
    for item in items:
        claims = marks_of(item).claims
        params = getattr(getattr(item, "callspec", None), "params", {})
        reachable = params.get("state", contract.initial_state()) == contract.initial_state()
        if reachable and any(chosen.get(rid, 0) < per_requirement for rid in claims):
            first.append(item)
            for rid in claims:
                chosen[rid] = chosen.get(rid, 0) + 1
        else:
            rest.append(item)
    return first, rest
