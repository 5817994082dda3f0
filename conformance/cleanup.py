"""Leftovers of a run: delete its deletable jobs, and nothing else, in bounded time.

A job is this run's only if its batch_name is the run id AND its tags carry it (Create
sets both); everything else on the target is left alone.

Every loop here is bounded whatever the target answers: listing stops at a page that
brings no job not seen before (a List that ignores offset and limit repeats itself) and
after MAX_PAGES pages in any case; deleting stops when its time is up (the end-of-run
cleanup gets `transport.grace_for(request_timeout)`, the `cleanup` command `max_time`),
and says what it left.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field

import requests

from metastudio_conformance import requirements
from metastudio_conformance.answers import json_body
from metastudio_conformance.client import ApiClient
from metastudio_conformance.transport import PoliteAdapter, TimeUp, grace_for

PAGE = 100
MAX_PAGES = 50  # 5,000 jobs: far more than a run keeps alive, and a List cannot page forever
MAX_TIME = 1800.0  # the `cleanup` command's time without a max_time
UNCHECKED = "unchecked: the cleanup's time ran out"


@dataclass
class Sweep:
    deleted: list[str] = field(default_factory=list)
    kept: list[tuple[str, str]] = field(default_factory=list)  # (job id, state or why)
    time_up: bool = False


def remove(settings, run_id: str) -> tuple[list[str], list[tuple[str, str]]]:
    """The `cleanup` command: delete the run's deletable jobs within `max_time`."""
    adapter = PoliteAdapter(settings.rate_per_second(), answer_time=settings.request_timeout,
                            max_answer_bytes=settings.max_answer_bytes)
    adapter.begin_cleanup(settings.max_time or MAX_TIME)
    with requests.Session() as session:
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        api = ApiClient(settings, session)
        sweep = Sweep()
        try:
            found = jobs_of_run(api, run_id)
        except TimeUp:
            found = []
        states = {job["job_id"]: job.get("state") for job in found}
        _delete_all(api, list(states), sweep, last_seen=lambda job_id: _state(states[job_id]))
    return sweep.deleted, sweep.kept


def open_window(api: ApiClient) -> tuple[object, float, float]:
    """The end-of-run cleanup's own time, from now (once for the run's session: the
    tests' cutoff has passed when the budget ran out). Returns adapter, grace, cutoff."""
    grace = grace_for(api.settings.request_timeout)
    adapter = api.session.get_adapter(api.settings.target)
    cutoff = (adapter.begin_cleanup(grace) if isinstance(adapter, PoliteAdapter)
              else time.monotonic() + grace)
    return adapter, grace, cutoff


def after_run(api: ApiClient, created: list[str], run_id: str | None,
              last_seen=lambda job_id: None) -> Sweep:
    """The end of a run: delete the jobs it created and left deletable, then (with a run
    id) those List finds by run id that it never heard of, within the cleanup's grace.

    `last_seen(job_id)` is what the run last knew of a job (`pool.Ledger.last_seen`): one
    already gone costs no request, one last shown in a state DELETE refuses is kept
    without asking again, any other is sent its DELETE at once."""
    adapter, grace, cutoff = open_window(api)
    sweep = Sweep()
    _delete_all(api, created, sweep, cutoff, last_seen)
    if run_id and not sweep.time_up:
        try:
            found = [job["job_id"] for job in jobs_of_run(api, run_id)]
        except requests.RequestException as exc:
            sweep.time_up = isinstance(exc, TimeUp)
            found = []
        _delete_all(api, [job for job in found if job not in created], sweep, cutoff)
    if sweep.time_up:
        _warn_time_up(adapter, grace, sweep, run_id)
    return sweep


def _delete_all(api: ApiClient, job_ids: list[str], sweep: Sweep,
                cutoff: float | None = None, last_seen=lambda job_id: None) -> None:
    """Delete each deletable job. A wrong or late answer for one goes on with the others;
    the end of the time, or a target that went away, stops (the rest is reported kept)."""
    for number, job_id in enumerate(job_ids):
        try:
            if cutoff is not None and time.monotonic() >= cutoff:
                raise TimeUp("the cleanup's time is up")
            deleted, state = _delete_if_deletable(api, job_id, last_seen(job_id))
        except (TimeUp, requests.ConnectionError) as exc:
            sweep.time_up = isinstance(exc, TimeUp)
            why = UNCHECKED if sweep.time_up else "unchecked: the target went away"
            sweep.kept += [(left, why) for left in job_ids[number:]]
            return
        except Exception:  # noqa: BLE001 - a wrong or late answer for this job: go on
            deleted, state = False, "unknown"
        if deleted:
            sweep.deleted.append(job_id)
        elif state != "gone":
            sweep.kept.append((job_id, state))


def _delete_if_deletable(api: ApiClient, job_id: str,
                         known: str | None = None) -> tuple[bool, str]:
    """(deleted, the state or why kept). A job in a state not known is sent its DELETE
    without a Show first: the documented gate refuses it in every other state and the job
    stays as it was (DEL-02), so one request both asks and deletes."""
    if known == "gone" or (known and not requirements.delete_allowed(known)):
        return False, known
    status = api.delete(job_id).status_code
    if requirements.is_delete_success(status):
        return True, known or "deletable"
    if status == 404:
        return False, "gone"
    return False, known or f"not deletable (DELETE answered {status})"


def _state(value) -> str | None:
    return value if isinstance(value, str) and value else None


def _warn_time_up(adapter, grace: float, sweep: Sweep, run_id: str | None) -> None:
    if getattr(adapter, "time_up_reported", False):
        return  # one line per run, however many projects' cleanups ran out
    adapter.time_up_reported = True
    left = sum(1 for _, why in sweep.kept if why == UNCHECKED)
    later = (f"; remove them with `metastudio-conformance cleanup --run-id {run_id}`"
             if run_id else "")
    print(f"metastudio-conformance: warning: cleanup stopped at its time limit ({grace:g} s) "
          f"with {left} job(s) of this run unchecked{later}", file=sys.stderr)


def jobs_of_run(api: ApiClient, run_id: str) -> list[dict]:
    """The target's jobs whose batch_name and tags both carry the run id (List, paged).

    Stops at the first page with no job id not seen before (a List that ignores offset,
    limit or the filter answers the same page again), and after MAX_PAGES pages."""
    found: list[dict] = []
    seen: set[str] = set()
    for number in range(MAX_PAGES):
        page = _list_page(api, run_id, offset=number * PAGE)
        new = [job for job in page if job["job_id"] not in seen]
        if not new:
            break
        seen.update(job["job_id"] for job in new)
        found += [job for job in new if _of_run(job, run_id)]
        if len(page) < PAGE:
            break
    return found


def _list_page(api: ApiClient, run_id: str, offset: int) -> list[dict]:
    """One page of List: its jobs that carry a job id; none for an answer that is not a
    List (any status but 200, or a body without a list of jobs)."""
    try:
        response = api.list_jobs(batch_name=run_id, offset=str(offset), limit=str(PAGE))
    except requests.RequestException:
        raise
    except Exception:  # noqa: BLE001 - the client found the answer wrong (a 5xx): no page
        return []
    body = json_body(response.content) if response.status_code == 200 else None
    jobs = body.get("jobs") if isinstance(body, dict) else None
    if not isinstance(jobs, list):
        return []
    return [job for job in jobs if isinstance(job, dict) and isinstance(job.get("job_id"), str)]


def _of_run(job: dict, run_id: str) -> bool:
    tags = job.get("tags")
    return job.get("batch_name") == run_id and isinstance(tags, list) and run_id in tags
