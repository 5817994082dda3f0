"""`metastudio-conformance inventory`: the project's existing jobs by state, read-only.

A staging service has no control interface: the states Create cannot reach are covered
only by jobs that already exist there. This lists them (List, paged and bounded as the
cleanup's is; Show for a job List gives no state), says which states would add coverage,
and writes a starter inventory with every job `disposable: false`: the suite never
touches a job until a person marks it disposable (`inventory.py`).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import requests
import yaml

from metastudio_conformance import contract
from metastudio_conformance.answers import json_body
from metastudio_conformance.client import ApiClient
from metastudio_conformance.transport import PoliteAdapter

PAGE = 100
MAX_PAGES = 50  # 5,000 jobs, as the cleanup: a List that never ends stops here


def survey(settings) -> dict[str, str]:
    """job id -> state of every job List shows in the project (Show where List gives no
    state); only GETs are sent."""
    adapter = PoliteAdapter(settings.rate_per_second(), answer_time=settings.request_timeout,
                            max_answer_bytes=settings.max_answer_bytes)
    found: dict[str, str | None] = {}
    with requests.Session() as session:
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        api = ApiClient(settings, session)
        for number in range(MAX_PAGES):
            page = _page(api, number * PAGE)
            new = [job for job in page if job["job_id"] not in found]
            for job in new:
                state = job.get("state")
                found[job["job_id"]] = state if state in contract.job_states() else None
            if not new or len(page) < PAGE:
                break
        for job_id in [job for job, state in found.items() if state is None]:
            found[job_id] = api.state_of(job_id)
    return {job: state for job, state in found.items() if state in contract.job_states()}


def _page(api: ApiClient, offset: int) -> list[dict]:
    response = api.list_jobs(offset=str(offset), limit=str(PAGE))
    body = json_body(response.content) if response.status_code == 200 else None
    jobs = body.get("jobs") if isinstance(body, dict) else None
    if not isinstance(jobs, list):
        raise requests.RequestException(f"List answered {response.status_code}: not a list "
                                        "of jobs")
    return [job for job in jobs if isinstance(job, dict) and isinstance(job.get("job_id"), str)]


def summary(jobs: dict[str, str]) -> list[str]:
    """Lines for the console: jobs per state, and the states they would add."""
    counts = Counter(jobs.values())
    initial = contract.initial_state()
    lines = [f"{len(jobs)} job(s) in {len(counts)} state(s):"]
    lines += [f"  {state:<36} {counts[state]}" for state in contract.job_states()
              if counts[state]]
    adds = [state for state in contract.job_states() if counts[state] and state != initial]
    missing = [state for state in contract.job_states()
               if not counts[state] and state != initial]
    lines.append(f"would add coverage without the control interface (marked disposable): "
                 f"{', '.join(adds) or 'none'}")
    lines.append(f"no job in {len(missing)} other state(s) Create cannot reach: "
                 f"{', '.join(missing) or 'none'}")
    return lines


def write_starter(jobs: dict[str, str], path: Path) -> None:
    """An inventory `run --inventory` accepts, every job `disposable: false`."""
    order = {state: index for index, state in enumerate(contract.job_states())}
    rows = [{"job_id": job, "state": state, "disposable": False}
            for job, state in sorted(jobs.items(), key=lambda item: order[item[1]])]
    header = ("# Jobs found in the project, read-only (metastudio-conformance inventory).\n"
              "# The suite may command and DELETE a job marked `disposable: true`, once,\n"
              "# after a Show confirms its state. Mark only jobs you can lose.\n")
    path.write_text(header + yaml.safe_dump({"jobs": rows}, sort_keys=False), encoding="utf-8")
