"""Command validation and the NA-only commands (seed:command Tables 3, 4 and NOTE)."""

from __future__ import annotations

import pytest
from hypothesis import given

from metastudio_conformance import contract, expect, rules
from metastudio_conformance.outcomes import not_covered
from metastudio_conformance.series import RefusalSeries
from metastudio_conformance.strategies import bodies

START = contract.initial_state()  # where a well-formed command is meaningful


def _refused_and_unchanged(api, jobs, requirement: str, strategy, what) -> None:
    """Parameter errors are not carried out, and the job is exactly as it was (one job
    for every example, one Show after the last: `series`)."""
    series = RefusalSeries(api, jobs, requirement, START)

    @given(body=strategy)
    def example(body):
        api.begin()
        series.refused(what(body), lambda job_id: api.command(job_id, body))

    example()
    series.prove_unchanged()


@pytest.mark.hypothesis  # runs max_examples examples (shards.cost)
@pytest.mark.requirement("CMD-01", "ERR-01")
def test_command_is_required(api, jobs):
    _refused_and_unchanged(api, jobs, "CMD-01", bodies.bodies_without_command(),
                           lambda body: "a body without `command`")


@pytest.mark.hypothesis  # runs max_examples examples (shards.cost)
@pytest.mark.requirement("CMD-02", "ERR-01")
def test_undocumented_command_is_refused(api, jobs):
    _refused_and_unchanged(api, jobs, "CMD-02",
                           bodies.undocumented_commands().map(lambda c: {"command": c}),
                           lambda body: f"undocumented command {body['command']!r}")


@pytest.mark.hypothesis  # runs max_examples examples (shards.cost)
@pytest.mark.requirement("CMD-07", "ERR-01")
def test_wrong_types_are_refused(api, jobs):
    _refused_and_unchanged(api, jobs, "CMD-07", bodies.bodies_with_wrong_types(),
                           lambda body: "a body field of the wrong type")


@pytest.mark.requirement("CMD-06", "ERR-01")
@pytest.mark.parametrize("command", contract.na_only_commands())
@pytest.mark.parametrize("state", ["WAIT_USER_CONFIRM", "JOB_PENDING"])
def test_na_only_command_refused_for_standard_tenant(command, state, settings, api, jobs):
    if settings.tenant != "standard":
        not_covered("this run's tenant is NA; run with --tenant standard")
    job_id = jobs.in_state(state)
    response = api.command(job_id, {"command": command, "comment_data": {
        "comment_title": "conformance", "attachment_name": ["a.txt"]}})
    expect.that(api, rules.na_only_refused, f"{command} for a standard tenant", response)
    expect.unchanged(api, rules.na_only_refused, job_id, state)
