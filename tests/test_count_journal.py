"""DEL-04's count under workers that share a project: `count_journal`.

The run's other workers create and delete jobs in the same project while one of them
counts. The journal tells the count test which windows nobody else touched; these tests
put a neighbour's Create inside the window, deterministically, and show the count test
waits for a still window instead of charging DEL-04, and still charges a real fault.
"""

from __future__ import annotations

import multiprocessing
import types

import pytest
import requests

from metastudio_conformance.client import ApiClient
from metastudio_conformance.config import Settings
from metastudio_conformance.count_journal import CountJournal, may_change_count
from metastudio_conformance.jobs import JobFactory
from metastudio_conformance.outcomes import NotCovered, Violation
from metastudio_conformance.suite import test_delete_gating as gating
from metastudio_conformance.transport import PoliteAdapter

JOBS = "/v1/p/digital-human-training-manage/user/jobs"


@pytest.mark.parametrize(("method", "path", "changes"), [
    ("DELETE", f"{JOBS}/j1", True),
    ("POST", JOBS, True),  # Create
    ("POST", "/conformance/v1/p/jobs", True),  # the control interface's seed
    ("POST", f"{JOBS}/j1/command", False),
    ("GET", f"{JOBS}?limit=1", False),
    ("GET", f"{JOBS}/j1", False),
])
def test_which_requests_may_change_the_count(method, path, changes):
    assert may_change_count(method, f"http://h{path}") is changes


def _request(method: str = "DELETE", path: str = f"{JOBS}/j1"):
    return requests.Request(method, f"http://h{path}").prepare()


def test_a_window_is_still_only_without_anyone_elses_exchange(tmp_path):
    path = tmp_path / "journal"
    mine, other = CountJournal(path, "gw0"), CountJournal(path, "gw1")
    done = _request()
    other.before(done)
    other.after(done, None)  # over before the window opens: no matter
    mine.before(_request("POST", JOBS))  # my own lines never disturb my window
    mark = mine.mark()
    assert mine.still_since(mark)
    late = _request()
    other.before(late)  # begins inside the window
    assert not mine.still_since(mark)
    busy = mine.mark()  # in flight when the window opens
    assert busy.busy and not mine.still_since(busy)
    other.over(late)  # cut: over all the same
    assert not mine.mark().busy
    other.before(_request("GET", f"{JOBS}/j1"))  # a Show changes no count: not written
    assert mine.still_since(mine.mark())


@pytest.mark.parametrize("ending", ["refused connection", "request budget spent"])
def test_an_exchange_that_ends_without_an_answer_is_over_all_the_same(tmp_path, ending):
    """A DELETE that was cut, or never sent, must not leave the others waiting on it."""
    adapter = PoliteAdapter(None, answer_time=2, max_requests=0 if "budget" in ending else None)
    adapter.watchers.append(CountJournal(tmp_path / "journal", "gw1"))
    session = requests.Session()
    session.mount("http://", adapter)
    with pytest.raises((requests.ConnectionError, NotCovered)):
        session.delete("http://127.0.0.1:9/v1/p/digital-human-training-manage/user/jobs/j")
    assert (tmp_path / "journal").read_text() == "gw1:1 b\ngw1:1 e\n"
    assert not CountJournal(tmp_path / "journal", "gw0").mark().busy


def test_without_a_journal_file_every_window_is_still():
    alone = CountJournal()
    alone.before(_request())
    alone.wait_still()
    assert alone.still_since(alone.mark()) and not alone.mark().busy


def _append(path: str, worker: str) -> None:
    journal = CountJournal(path, worker)
    for _ in range(2000):
        request = _request()
        journal.before(request)
        journal.after(request, None)


def test_workers_lines_never_interleave(tmp_path):
    path = str(tmp_path / "journal")
    processes = [multiprocessing.Process(target=_append, args=(path, f"gw{n}"))
                 for n in range(3)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(60)
    lines = (tmp_path / "journal").read_text().splitlines()
    assert len(lines) == 3 * 2000 * 2
    assert all(line.split(" ")[1] in ("b", "e") and line.startswith("gw") for line in lines)
    assert not CountJournal(path, "gw9").mark().busy  # every b has its e


class Neighbour:
    """Another worker of the run in the same project: when the counting worker's DELETE is
    answered (inside its window), it creates a job, `windows` times."""

    def __init__(self, server, journal_path, windows: int) -> None:
        self.api = _client(server, CountJournal(journal_path, "gw1"))
        self.windows = windows

    def before(self, request) -> None:
        pass

    def after(self, request, response) -> None:
        if request.method == "DELETE" and self.windows > 0:
            self.windows -= 1
            self.api.seed("JOB_FINISH")


def _client(server, journal: CountJournal, *watchers) -> ApiClient:
    settings = Settings(target=server.url, project_id=server.project_id, ak=server.ak,
                        sk=server.sk, control=True)
    adapter = PoliteAdapter(None, answer_time=10)
    adapter.watchers += [journal, *watchers]
    session = requests.Session()
    session.mount("http://", adapter)
    return ApiClient(settings, session)


def _count_test(server, tmp_path, noisy_windows: int, neighbour_journals: bool = True):
    """The suite's own DEL-04 count test, in this process, beside a neighbour."""
    path = tmp_path / "journal"
    journal = CountJournal(path, "gw0")
    neighbour = Neighbour(server, path if neighbour_journals else None, noisy_windows)
    api = _client(server, journal, neighbour)
    gating.test_delete_removes_exactly_one_job(api, JobFactory(api),
                                               types.SimpleNamespace(journal=journal))
    return neighbour


def test_the_count_waits_for_a_window_no_other_worker_touched(server_factory, tmp_path):
    neighbour = _count_test(server_factory(), tmp_path, noisy_windows=3)
    assert neighbour.windows == 0  # three windows had a neighbour's Create, then a still one


def test_a_count_never_still_is_not_covered_not_charged(server_factory, tmp_path):
    with pytest.raises(NotCovered, match=f"during each of {gating.STILL_WINDOWS} "):
        _count_test(server_factory(), tmp_path, noisy_windows=gating.STILL_WINDOWS)


def test_without_the_journal_a_neighbour_is_charged_to_del_04(server_factory, tmp_path):
    # what the journal prevents: the count moved by the run's own other worker
    with pytest.raises(Violation, match="job count went") as raised:
        _count_test(server_factory(), tmp_path, noisy_windows=2, neighbour_journals=False)
    assert raised.value.requirement == "DEL-04"


def test_a_delete_that_takes_another_job_is_still_charged(server_factory, tmp_path):
    # The fault deletes the project's oldest other job: older jobs than the test's own, so
    # the count (not the test's kept jobs) must find it, in the still windows after a noisy one.
    server = server_factory("--fault", "delete-deletes-another-job")
    elder = _client(server, CountJournal())
    for _ in range(5):
        elder.seed("JOB_FINISH")
    with pytest.raises(Violation, match="job count went") as raised:
        _count_test(server, tmp_path, noisy_windows=1)
    assert raised.value.requirement == "DEL-04"
