"""Everything a run does ends, whatever the target answers: List paging, the end-of-run
cleanup (its own grace), the `cleanup` command, and the transport's cutoffs."""

from __future__ import annotations

import contextlib
import re
import time

import pytest
import requests

from metastudio_conformance import cleanup
from metastudio_conformance.client import ApiClient
from metastudio_conformance.config import Settings
from metastudio_conformance.outcomes import NotCovered
from metastudio_conformance.transport import PoliteAdapter, TimeUp, grace_for
from tests import hostile_servers as hostile
from tests.conftest import run_cli

RUN_ID = "msc-20260101000000-abcdef"
PROJECT = "0" * 31 + "1"


@pytest.fixture
def tiny_api():
    """start(**options) -> (TinyApi, listener); stopped after the test."""
    with contextlib.ExitStack() as stack:
        def start(**options):
            api = hostile.TinyApi(RUN_ID, **options)
            return api, stack.enter_context(hostile.serving(api.handle))

        yield start


def _client(url: str, adapter: PoliteAdapter | None = None, timeout: float = 2.0) -> ApiClient:
    settings = Settings(target=url, project_id=PROJECT, token="t", request_timeout=timeout,
                        run_id=RUN_ID)
    session = requests.Session()
    if adapter is not None:
        session.mount("http://", adapter)
    return ApiClient(settings, session)


def test_a_list_that_ignores_paging_is_read_once(tiny_api):
    # The same full page whatever the offset: the second page brings nothing new, so stop.
    api, listener = tiny_api()
    found = cleanup.jobs_of_run(_client(listener.url), RUN_ID)
    assert sorted(job["job_id"] for job in found) == sorted(api.jobs)
    assert api.lists == 2


def test_a_list_that_never_ends_stops_at_the_page_cap(tiny_api, monkeypatch):
    monkeypatch.setattr(cleanup, "MAX_PAGES", 4)
    api, listener = tiny_api(fresh=True)
    found = cleanup.jobs_of_run(_client(listener.url), RUN_ID)
    assert api.lists == 4 and len(found) == 4 * cleanup.PAGE


def test_the_page_cap_is_documented():
    assert cleanup.MAX_PAGES * cleanup.PAGE == 5000
    assert "MAX_PAGES" in cleanup.__doc__


def test_cleanup_command_against_a_list_that_ignores_paging(tiny_api, tmp_path):
    api, listener = tiny_api()
    started = time.monotonic()
    result = run_cli(["cleanup", "--run-id", RUN_ID, "--target", listener.url,
                      "--project-id", PROJECT], tmp_path / "reports",
                     env={"METASTUDIO_TOKEN": "t"}, timeout=60)
    assert result.code == 0, result.stderr
    assert result.stdout.strip() == f"run {RUN_ID}: deleted 100 job(s); kept 0 not deletable"
    assert api.lists == 3  # the preflight's, then two pages
    assert len(api.deleted) == 100
    assert time.monotonic() - started < 30


def test_end_of_run_cleanup_stops_after_its_grace(tiny_api, capsys):
    # 100 jobs at 0.1 s per answer (Show and DELETE each) would take 20 s; a 0.2 s request
    # timeout gives the cleanup 2 s (min(60 s, 10 timeouts)), then it says what it left.
    api, listener = tiny_api(delay=0.1)
    adapter = PoliteAdapter(None, answer_time=0.6)
    client = _client(listener.url, adapter, timeout=0.2)
    started = time.monotonic()
    sweep = cleanup.after_run(client, list(api.jobs), RUN_ID)
    seconds = time.monotonic() - started
    assert grace_for(0.2) == 2.0
    assert 1.8 < seconds < 3.0, seconds
    assert sweep.time_up and sweep.deleted  # it deleted some, then stopped
    unchecked = [job for job, why in sweep.kept if why == cleanup.UNCHECKED]
    assert len(sweep.deleted) + len(unchecked) == 100
    line = capsys.readouterr().err.strip()
    assert re.fullmatch(rf"metastudio-conformance: warning: cleanup stopped at its time limit "
                        rf"\(2 s\) with {len(unchecked)} job\(s\) of this run unchecked; "
                        rf"remove them with `metastudio-conformance cleanup --run-id {RUN_ID}`",
                        line), line


def test_the_cleanup_window_opens_once_for_all_projects(tiny_api):
    api, listener = tiny_api(delay=0.3)
    adapter = PoliteAdapter(None)
    client = _client(listener.url, adapter, timeout=0.1)
    started = time.monotonic()
    cleanup.after_run(client, list(api.jobs)[:50], None)
    cleanup.after_run(client, list(api.jobs)[50:], None)  # e.g. the NA project's factory
    assert time.monotonic() - started < 1.8  # one grace of 1 s in all, not two


# The transport's cutoffs.
def _slow_answers(conn, listener):
    hostile.read_request(conn, listener)
    if not listener.stop_event.wait(0.5):
        conn.sendall(hostile.json_answer("200 OK", {}))


def test_a_test_running_past_budget_and_grace_ends_not_covered():
    adapter = PoliteAdapter(None, deadline=time.monotonic() - 0.5)
    session = requests.Session()
    session.mount("http://", adapter)
    with hostile.serving(_slow_answers) as listener:
        with pytest.raises(NotCovered, match=r"^the run's time budget ran out during this "
                                             r"test \(at GET /x\)$"):
            session.get(listener.url + "/x", timeout=5)
        assert listener.requests == []  # not sent at all


def test_an_answer_in_flight_at_the_cutoff_is_cut_there():
    adapter = PoliteAdapter(None, answer_time=5.0)
    adapter.begin_cleanup(0.2)
    session = requests.Session()
    session.mount("http://", adapter)
    with hostile.serving(_slow_answers) as listener:
        started = time.monotonic()
        with pytest.raises(TimeUp):
            session.get(listener.url + "/x", timeout=5)
    assert time.monotonic() - started < 0.5


def test_run_budget_leaves_429_unwaited_past_the_cutoff():
    def throttles(conn, listener):
        hostile.read_request(conn, listener)
        conn.sendall(hostile.answer("429 Too Many Requests", "text/plain", b"", "Retry-After: 5"))

    adapter = PoliteAdapter(None)
    adapter.begin_cleanup(1.0)
    session = requests.Session()
    session.mount("http://", adapter)
    with hostile.serving(throttles) as listener:
        started = time.monotonic()
        assert session.get(listener.url + "/x", timeout=5).status_code == 429
    assert time.monotonic() - started < 0.5


def test_max_time_below_zero_is_exit_2(tmp_path):
    result = run_cli(["run", "--max-time", "-5"], tmp_path / "reports", timeout=60)
    assert result.code == 2
    assert result.stderr == ("metastudio-conformance: max_time (--max-time) must be a positive "
                             "number of seconds, not -5\n")
    assert result.stdout == ""
