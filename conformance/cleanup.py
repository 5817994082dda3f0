"""Leftovers of a cancelled run: delete its deletable jobs, and nothing else.

A job is this run's only if its batch_name is the run id AND its tags carry it (Create
sets both); everything else on the target is left alone.
"""

from __future__ import annotations

import requests
from metastudio_conformance import requirements
from metastudio_conformance.client import ApiClient

PAGE = 100


def remove(settings, run_id: str) -> tuple[list[str], list[tuple[str, str]]]:
    deleted: list[str] = []
    kept: list[tuple[str, str]] = []
    with requests.Session() as session:
        api = ApiClient(settings, session)
        for job in jobs_of_run(api, run_id):
            state = api.state_of(job["job_id"])
            if state and requirements.delete_allowed(state):
                if requirements.is_delete_success(api.delete(job["job_id"]).status_code):
                    deleted.append(job["job_id"])
                    continue
            kept.append((job["job_id"], state or "unknown"))
    return deleted, kept


def jobs_of_run(api: ApiClient, run_id: str) -> list[dict]:
    """The target's jobs whose batch_name and tags both carry the run id (List, paged)."""
    found, offset = [], 0
    while True:
        response = api.list_jobs(batch_name=run_id, offset=str(offset), limit=str(PAGE))
        if response.status_code != 200:
            break
        page = response.json().get("jobs", [])
        found += [j for j in page
                  if j.get("batch_name") == run_id and run_id in (j.get("tags") or [])]
        if len(page) < PAGE:
            break
        offset += PAGE
    return found
