"""Every command in every state, for both tenant kinds: one result line per state.

The documented rules always apply (NA-only commands, refused commands change nothing,
error bodies); which command is allowed where comes from the lifecycle model profile.

The documents tell the tenants apart only by the NA-only commands (seed: "... are
available only for NA users"). So where the standard tenant's matrix sends every command
in every state, the NA tenant's sends its NA-only ones; `--full-matrix` sends it every
command too. A run whose main project is NA sends it every command.
"""

from __future__ import annotations

import pytest

from metastudio_conformance import contract
from metastudio_conformance.matrix import commands_in_state
from metastudio_conformance.outcomes import not_covered

REQUIREMENTS = ("CMD-09", "MOD-01", "MOD-02", "ERR-01")
ALSO = ("CMD-03", "CMD-04", "CMD-05", "MOD-04", "MOD-05")


def _body(command: str) -> dict:
    body = {"command": command}
    if command == "CONFIRM_ANSWER":
        body["comment_data"] = {"comment_title": "conformance", "attachment_name": ["a.txt"]}
    return body


@pytest.mark.requirement(*REQUIREMENTS, "CMD-06", "MOD-04", also=ALSO)
@pytest.mark.parametrize("state", contract.job_states())
def test_commands_standard_tenant(state, settings, api, jobs, lifecycle_model):
    if settings.tenant != "standard":
        not_covered("this run's main project is NA")
    commands_in_state(api, jobs, lifecycle_model, "standard", state,
                      [_body(command) for command in contract.commands()], "commands_standard")


def _na_commands(settings) -> list[str]:
    if settings.full_matrix or settings.tenant != "standard":
        return contract.commands()
    return contract.na_only_commands()  # the rest are the standard tenant's matrix's


@pytest.mark.requirement(*REQUIREMENTS, "MOD-05", also=ALSO)
@pytest.mark.parametrize("state", contract.job_states())
def test_commands_na_tenant(state, settings, na_api, na_jobs, lifecycle_model):
    commands_in_state(na_api, na_jobs, lifecycle_model, "na", state,
                      [_body(command) for command in _na_commands(settings)], "commands_na")
