"""Jobs proven untouched, lent again instead of seeding new ones.

A job handed to a test goes back to its factory's pool only if the last thing the run did
to it was a Show that found it in the state it was handed out in, and nothing the run sent
it since its hand-out was carried out: every command and DELETE was refused (CMD-09 says a
refused request changes nothing, and the Show has just proven it). A job that executed
anything, whose answer never came, or whose Show found it elsewhere is never lent again.
The ledger watches the run's HTTP session (`PoliteAdapter.watchers`), so schemathesis'
requests count as much as the client's.

A proof holds until the run's next successful DELETE of any job: only DEL-04 says a DELETE
leaves the other jobs alone, and a suite that leant on it would charge a server that
breaks it to whichever test met the damage. A job proven before that is shown again
before it is lent.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from metastudio_conformance import requirements
from metastudio_conformance.answers import Answer, json_body

# .../jobs/{job_id} (Show, DELETE) and .../jobs/{job_id}/command; Create and List have no id.
_JOB_PATH = re.compile(r"/digital-human-training-manage/user/jobs/(?P<job>[^/?#]+)"
                       r"(?P<command>/command)?/?$")


class Ledger:
    """What the run last proved about each job it touched, from its requests and answers."""

    def __init__(self) -> None:
        self.proven: dict[str, tuple[str, int]] = {}  # job id -> (state its last Show
        # found, deletions before that Show); nothing sent to the job since
        self.tainted: set[str] = set()  # carried something out, or the answer never came
        self.deletions = 0  # successful DELETEs the run has seen
        self.gone: set[str] = set()  # deleted by the run (a Show's 404 may be another
        # project's client, which must not find it)

    def before(self, request) -> None:
        """A request is about to go: anything but a Show needs a new proof afterwards."""
        job_id, kind = _job_of(request)
        if job_id and kind != "show":
            self.proven.pop(job_id, None)
            self.tainted.add(job_id)  # until its answer says it was refused

    def after(self, request, response) -> None:
        job_id, kind = _job_of(request)
        if not job_id:
            return
        if kind == "show":
            body = json_body(response.content) if response.status_code == 200 else None
            state = body.get("state") if isinstance(body, dict) else None
            if isinstance(state, str) and job_id not in self.tainted:
                self.proven[job_id] = (state, self.deletions)
            else:
                self.proven.pop(job_id, None)
        elif requirements.is_refusal(Answer.of(response)):
            self.tainted.discard(job_id)  # refused: unchanged, once a Show proves it
        elif kind == "delete" and 200 <= response.status_code < 300:
            self.deletions += 1
            self.gone.add(job_id)

    def untouched_in(self, job_id: str, state: str) -> bool:
        """Proven in `state` since the run's last successful DELETE, nothing sent since."""
        return job_id not in self.tainted and self.proven.get(job_id) == (state,
                                                                          self.deletions)

    def last_seen(self, job_id: str) -> str | None:
        """"gone", the state its last Show found with nothing sent since, or None."""
        if job_id in self.gone:
            return "gone"
        proof = self.proven.get(job_id)
        return proof[0] if proof and job_id not in self.tainted else None

    def moved(self, job_id: str) -> bool:
        """It carried something out (or its answer never came) since its last proof, and
        the run has not deleted it: where it is now takes a Show."""
        return job_id in self.tainted and job_id not in self.gone

    def rebase(self, job_id: str, show) -> str | None:
        """A moved job proven anew: from now on its baseline is the state a Show finds
        (None: the Show found no job, or no state)."""
        self.tainted.discard(job_id)
        show(job_id)  # `after` records the proof
        return self.last_seen(job_id) if job_id not in self.gone else None

    def proven_before_a_delete(self, job_id: str, state: str) -> bool:
        proof = self.proven.get(job_id)
        return job_id not in self.tainted and proof is not None and proof[0] == state


class JobPool:
    """One project's jobs on loan to the test running now, and those free to lend again."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.free: dict[str, list[str]] = {}
        self.lent: dict[str, str] = {}  # job id -> the state it was handed out in
        self.reused = 0  # hand-outs of a proven job instead of a new one
        self.reshow = False  # the target moves jobs by itself (--settle-time): every proof
        # is shown again just before its job is lent, and a job found elsewhere is re-filed

    def take(self, state: str, show) -> str | None:
        """A free job proven in `state` (shown again with `show` if a DELETE came since
        its proof, or always with `reshow`), or None."""
        while self.free.get(state):
            job_id = self.free[state].pop()
            if self.reshow or (not self.ledger.untouched_in(job_id, state) and
                               self.ledger.proven_before_a_delete(job_id, state)):
                show(job_id)  # the ledger sees the answer
            if self.ledger.untouched_in(job_id, state):
                self.lent[job_id] = state
                self.reused += 1
                return job_id
            self.refile(job_id)
        return None

    def refile(self, job_id: str) -> None:
        """A free job whose last Show found it in another state, with nothing sent since,
        is free under that state."""
        now = self.ledger.last_seen(job_id)
        if now not in (None, "gone") and job_id not in self.free.get(now, []):
            self.free.setdefault(now, []).append(job_id)

    def lend(self, job_id: str, state: str) -> str:
        self.lent[job_id] = state
        return job_id

    def reclaim(self) -> None:
        """The test or example that borrowed the jobs is over: the proven ones come back."""
        for job_id, state in self.lent.items():
            if self.ledger.untouched_in(job_id, state):
                self.free.setdefault(state, []).append(job_id)
        self.lent.clear()

    def forget(self, job_id: str) -> None:
        """A job deleted to make room is no longer anybody's to lend."""
        self.lent.pop(job_id, None)
        for jobs in self.free.values():
            if job_id in jobs:
                jobs.remove(job_id)


def _job_of(request) -> tuple[str | None, str | None]:
    match = _JOB_PATH.search(urlsplit(request.url).path)
    if not match:
        return None, None
    if match["command"]:
        return match["job"], "command"
    return match["job"], "show" if request.method == "GET" else request.method.lower()
