"""Getting real jobs into the states a test needs, and cleaning up only what the run made.

Five ways in, tried in order: a job of this run that a Show has just proven untouched
in that state (`pool`: refused requests change nothing); the test-control interface
(openapi/control.yaml) where the target has it; the inventory's disposable jobs, each used
once after Show confirms its state; the real API's Create, which gives a job in the initial
state; and a job of a finished test that a command (or the server itself) moved on, found
again with Show (`_adopt_moved`: AUTO_VERIFYING after the workflow's SUBMITVERIFYING). A
state that none reaches is reported as not covered, never as passed.
"""

from __future__ import annotations

import sys
import time

from metastudio_conformance import cleanup as leftovers
from metastudio_conformance import contract, inventory, placeholders, requirements
from metastudio_conformance.answers import json_body
from metastudio_conformance.client import ApiClient, SeedError
from metastudio_conformance.outcomes import disabled, not_covered
from metastudio_conformance.pool import JobPool, Ledger

PRODUCT_TAG = "metastudio-conformance"
SETTLE_POLLS = 10  # Shows per job at most while --settle-time waits


class JobFactory:
    def __init__(self, api: ApiClient, ledger: Ledger | None = None) -> None:
        self.api = api
        self.pool = JobPool(ledger or Ledger())
        api.listeners.append(self.pool.reclaim)  # an example's end frees its proven jobs
        self.control = api.settings.control  # None until the first seed tells
        self.created: list[str] = []
        self.test_start = 0  # jobs before this index belong to finished tests
        self.spare = [e for e in inventory.load(api.settings.inventory) if e.disposable]
        self.used_create = False  # then the cleanup also sweeps the run's jobs by run id
        self.made = 0  # jobs this factory seeded or created
        self.origin: dict[str, str] = {}  # job id -> control, inventory or create
        self.moved: set[str] = set()  # jobs a command (or the target) moved on
        self.settled = False  # --settle-time waited already
        # proofs go stale by themselves on a service that moves jobs (`_without_control`)
        self.pool.reshow = bool(api.settings.settle_time) or self.control is False

    def reachable_states(self) -> list[str]:
        """Every state through the control interface, else only the initial one; the
        initial state always comes first."""
        self._check_writes()
        if self.control is None:
            try:
                self._track(self.api.seed(contract.initial_state()), "control")
                self.control = True
            except SeedError:
                self._without_control()
        initial = contract.initial_state()
        others = [state for state in contract.job_states() if state != initial]
        if self.control:
            return [initial, *others]
        return [initial, *sorted({e.state for e in self.spare} - {initial})]

    def in_state(self, state: str) -> str:
        """A job of this run in `state`, untouched or fresh, or a not-covered skip saying
        why not."""
        self._check_writes()
        job_id = self.pool.take(state, self.api.show)
        if job_id:
            return job_id
        if self.control is not False:
            try:
                job_id = self.api.seed(state)
                self.control = True
                return self.pool.lend(self._track(job_id, "control"), state)
            except SeedError:
                if self.control:
                    raise
                self._without_control()
        for entry in [e for e in self.spare if e.state == state]:
            self.spare.remove(entry)
            if self.api.state_of(entry.job_id) == state:
                self.origin[entry.job_id] = "inventory"
                return entry.job_id
        if state == contract.initial_state():
            return self.pool.lend(self._create(), state)
        if self._adopt_moved() and (job_id := self.pool.take(state, self.api.show)):
            return job_id
        if self._settle() and (job_id := self.pool.take(state, self.api.show)):
            return job_id
        not_covered(f"no way to reach {state}: the target has no control interface, the "
                    f"inventory has no disposable job in it, and Create gives "
                    f"{contract.initial_state()}")

    def seeded(self, state: str) -> str:
        """A job just seeded in `state` through the control interface, never one of the
        pool (a test that asks what a seed holds), or a not-covered skip."""
        self._check_writes()
        if self.control is not False:
            try:
                job_id = self._track(self.api.seed(state), "control")
                self.control = True
                return job_id
            except SeedError:
                if self.control:
                    raise
                self._without_control()
        not_covered("the target has no control interface to seed a job through")

    def _without_control(self) -> None:
        """A real service moves jobs by itself: proofs are shown again before a lend."""
        self.control = False
        self.pool.reshow = True

    def _adopt_moved(self) -> int:
        """Jobs of finished tests that carried something out (a command moved them on, or
        the server did on its own) are found again: one Show each says where each is now,
        and each goes to the pool under that state, for any test that needs it. A job is
        shown again only after it carried something out again. Returns how many were found."""
        found = 0
        for job_id in self.created[: self.test_start]:
            if not self.pool.ledger.moved(job_id) or job_id in self.pool.lent:
                continue
            state = self.pool.ledger.rebase(job_id, self.api.show)
            if state is not None:
                self.pool.free.setdefault(state, []).append(job_id)
                self.moved.add(job_id)
                found += 1
        return found

    def _settle(self) -> int:
        """--settle-time: once in the run, wait up to that long for the jobs found moved
        (`_adopt_moved`) to move on by themselves, polling Show (within the rate limit,
        SETTLE_POLLS times at most); each lands in the pool under its new state. Returns
        how many moved."""
        settle = self.api.settings.settle_time
        if not settle or self.settled:
            return 0
        self.settled = True
        waiting = {job: state for state, jobs in self.pool.free.items() for job in jobs
                   if job in self.moved}
        landed = 0
        ends = time.monotonic() + settle
        while waiting and time.monotonic() < ends:
            time.sleep(min(max(settle / SETTLE_POLLS, 1.0), max(ends - time.monotonic(), 0)))
            for job_id, before in list(waiting.items()):
                self.api.show(job_id)  # the ledger sees the answer
                now = self.pool.ledger.last_seen(job_id)
                if now != before:
                    if job_id in self.pool.free.get(before, []):
                        self.pool.free[before].remove(job_id)
                    self.pool.refile(job_id)
                    del waiting[job_id]
                    landed += now not in (None, "gone")
        return landed

    def _create(self) -> str:
        return self.create()["job_id"]

    def create(self, **fields) -> dict:
        """A job made by the real Create operation; its answer (job id, upload URLs),
        whose job id and upload URLs are real ones (`placeholders`: else a setup error).

        Its name, batch_name and tags carry the run id, so `cleanup --run-id` finds it."""
        self._check_writes()
        run_id = self.api.settings.run_id or "no-run-id"
        self.used_create = True
        fields = {"batch_name": run_id, "tags": [PRODUCT_TAG, run_id], **fields}
        response = self.api.create(f"{PRODUCT_TAG} {run_id}", **fields)
        answer = json_body(response.content)
        if response.status_code != 200 or not isinstance(answer, dict) or not isinstance(
            answer.get("job_id"), str
        ):
            raise SeedError(f"Create answered {response.status_code} "
                            f"{response.headers.get('Content-Type', '')}: {response.text[:200]}")
        placeholders.check_created("Create", answer)
        self._track(answer["job_id"], "create")
        return answer

    def begin_test(self) -> None:
        self.pool.reclaim()
        self.test_start = len(self.created)

    def _make_room(self) -> None:
        """Respect max_live_jobs: delete finished tests' deletable jobs, oldest first."""
        cap = self.api.settings.max_live_jobs
        if cap is None or len(self.created) < cap:
            return
        for job_id in list(self.created[: self.test_start]):
            state = self.api.state_of(job_id)
            if state is None or (requirements.delete_allowed(state) and
                                 requirements.is_delete_success(self.api.delete(job_id)
                                                                .status_code)):
                self.created.remove(job_id)
                self.pool.forget(job_id)
                self.test_start -= 1
                if len(self.created) < cap:
                    return
        not_covered(f"{cap} jobs of this run are alive and none can be deleted "
                    f"(max_live_jobs)")

    def _check_writes(self) -> None:
        if not self.api.settings.writes_allowed:
            disabled("writes are off for a non-loopback target: add --allow-writes if the "
                     "project is yours (or disposable: true in the profile)")
        self._make_room()

    def _track(self, job_id: str, origin: str) -> str:
        self.made += 1
        self.created.append(job_id)
        self.origin[job_id] = origin
        return job_id

    def model_of(self, job_id: str, state: str, model):
        """The model's view of a job handed out in `state`."""
        return model.seeded(state, self.origin.get(job_id, "control"))

    def reset_bundled(self) -> None:
        """Every job of the bundled server gone at once (control.yaml's Reset)."""
        self.created = []
        leftovers.open_window(self.api)
        try:
            self.api.request("POST", "/conformance/v1/reset")
        except Exception as exc:  # noqa: BLE001 - the server goes away with the run anyway
            print(f"metastudio-conformance: warning: the bundled server's reset failed: {exc}",
                  file=sys.stderr)

    def cleanup(self) -> None:
        """Delete what this run created and left deletable; never touch anything else.

        A Create cut short by Ctrl-C may have made a job whose id never came back, so
        after the tracked jobs the run's jobs are also found by run id (List). Bounded in
        time: it stops after its grace and says what it left (`cleanup.after_run`)."""
        created, self.created = self.created, []  # once, even if called again
        run_id = self.api.settings.run_id if self.used_create else None
        self.used_create = False
        leftovers.after_run(self.api, created, run_id, self.pool.ledger.last_seen)
