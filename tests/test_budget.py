"""A request budget for rate-limited targets (`--max-requests`, issue 19): first cases of
every requirement first, the tests stopped when it is spent, what it left out reported."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import requests

from metastudio_conformance import config, ordering
from metastudio_conformance.outcomes import NotCovered
from metastudio_conformance.recorder import Marks
from metastudio_conformance.transport import PoliteAdapter
from tests import hostile_servers as hostile
from tests.conftest import run_cli


def _answers(conn, listener):
    while hostile.read_request(conn, listener) is not None:
        conn.sendall(hostile.json_answer("200 OK", {}))


def test_the_budget_stops_test_requests_and_never_the_cleanup():
    adapter = PoliteAdapter(None, max_requests=2)
    session = requests.Session()
    session.mount("http://", adapter)
    with hostile.serving(_answers) as listener:
        for _ in range(2):
            assert session.get(listener.url + "/x", timeout=5).status_code == 200
        with pytest.raises(NotCovered, match=r"^the run's request budget \(max_requests 2\) "
                                             r"was spent during this test \(at GET /x\)$"):
            session.get(listener.url + "/x", timeout=5)
        adapter.begin_cleanup(5.0)
        assert session.get(listener.url + "/x", timeout=5).status_code == 200
    assert adapter.spent == 2


@pytest.mark.parametrize(("values", "budget"), [
    ({"target": "http://127.0.0.1:1"}, None),  # loopback, no rate limit: no budget
    ({"target": "http://127.0.0.1:1", "rate_limit": "5/s"}, 800),
    ({"target": "https://staging.example.com"}, 800),  # a shared target: 5/s, 800
    ({"target": "https://staging.example.com", "max_requests": "2000"}, 2000),
])
def test_a_rate_limited_target_gets_the_default_budget(values, budget):
    settings = config.validate({"project_id": "p", "token": "t", **values})
    assert settings.max_requests == budget


def _item(name: str, claims: list[str], state: str | None = None):
    params = {"state": state} if state else {}
    return SimpleNamespace(name=name, claims=claims, callspec=SimpleNamespace(params=params))


def test_first_cases_of_every_requirement_go_first():
    items = [_item("a1", ["A"]), _item("a2", ["A"]), _item("a3", ["A"]),
             _item("b-training", ["B"], "TRAINING"), _item("b-initial", ["B"], "WAIT_FILE_UPLOAD"),
             _item("c", ["C", "A"])]
    ordered = ordering.coverage_first(items, lambda item: Marks(item.claims, []))
    # two first cases per requirement (one may turn out unreachable); a state Create cannot
    # give goes after; the rest keep the cheap-first order
    assert [item.name for item in ordered] == ["a1", "a2", "b-initial", "c", "a3", "b-training"]


@pytest.mark.slow
def test_a_spent_budget_stops_the_run_and_says_what_it_left_out(tmp_path):
    result = run_cli(["run", "--seed", "1", "--no-control", "--max-requests", "120"],
                     tmp_path / "reports")
    assert result.code == 0, result.stderr[-2000:]
    results = result.results
    assert results["stopped"] == "the run's request budget (max_requests 120) was spent"
    assert results["requests_sent"] <= 121  # the budget, and the Show of a cut cleanup
    not_run = [test for test in results["tests"] if test["outcome"] == "not-run"]
    assert not_run and {test["reason"] for test in not_run} == {results["stopped"]}
    statuses = result.statuses()
    assert "fail" not in statuses.values() and "error" not in statuses.values()
    assert "the run's request budget (max_requests 120) was spent" in (
        result.report_dir / "conformance.md").read_text()


def test_workers_each_begin_with_their_share_of_the_first_cases():
    from metastudio_conformance import shards

    first = [_item(f"first-{n}", ["A"]) for n in range(4)]
    rest = [_item(f"rest-{n}", ["A"]) for n in range(4)]
    dealt = shards.deal(first + rest, 2, 10, phases=[first, rest])
    hands = [dealt[:4], dealt[4:]]  # worksteal hands each worker a contiguous half
    assert [[item.name for item in hand] for hand in hands] == [
        ["first-0", "first-2", "rest-0", "rest-2"], ["first-1", "first-3", "rest-1", "rest-3"]]


@pytest.mark.slow
def test_a_budget_under_workers_is_split_and_named(tmp_path):
    result = run_cli(["run", "--seed", "1", "--no-control", "--workers", "2",
                      "--max-requests", "200"], tmp_path / "reports")
    assert result.code == 0, result.stderr[-2000:]
    assert result.results["stopped"] == ("the run's request budget (max_requests 200, 100 "
                                         "for each of 2 workers) was spent")
    assert result.results["requests_sent"] <= 202
