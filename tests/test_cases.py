"""Where a generated case's job is: picked from the case alone, so a seed repeats a run."""

from __future__ import annotations

from types import SimpleNamespace

from schemathesis.core import NotSet

from metastudio_conformance.cases import state_for

STATES = [f"STATE_{number}" for number in range(53)]


def test_a_case_without_a_body_meets_the_same_state_every_time():
    # Each NotSet() has its own address in its repr: the state must not depend on it
    picked = {state_for(SimpleNamespace(body=NotSet(), headers=None), STATES)
              for _ in range(50)}
    assert len(picked) == 1


def test_cases_spread_over_the_states_half_of_them_on_the_first():
    cases = [SimpleNamespace(body={"command": f"C{number}"}, headers=None)
             for number in range(400)]
    picked = [state_for(case, STATES) for case in cases]
    assert 150 < picked.count(STATES[0]) < 250
    assert len(set(picked)) > 40
    assert picked == [state_for(case, STATES) for case in cases]
