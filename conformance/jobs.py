"""Getting real jobs into the states a test needs, and cleaning up only what the run made.

Four ways in, tried in order: a job of this run that a Show has just proven untouched
in that state (`pool`: refused requests change nothing); the test-control interface
(openapi/control.yaml) where the target has it; the inventory's disposable jobs, each used
once after Show confirms its state; the real API's Create, which gives a job in the initial
state. A state that none reaches is reported as not covered, never as passed.
"""

from __future__ import annotations

import sys

from metastudio_conformance import cleanup as leftovers
from metastudio_conformance import contract, inventory, requirements
from metastudio_conformance.answers import json_body
from metastudio_conformance.client import ApiClient, SeedError
from metastudio_conformance.outcomes import disabled, not_covered
from metastudio_conformance.pool import JobPool, Ledger

PRODUCT_TAG = "metastudio-conformance"


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

    def reachable_states(self) -> list[str]:
        """Every state through the control interface, else only the initial one; the
        initial state always comes first."""
        self._check_writes()
        if self.control is None:
            try:
                self._track(self.api.seed(contract.initial_state()), "control")
                self.control = True
            except SeedError:
                self.control = False
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
                self.control = False
        for entry in [e for e in self.spare if e.state == state]:
            self.spare.remove(entry)
            if self.api.state_of(entry.job_id) == state:
                self.origin[entry.job_id] = "inventory"
                return entry.job_id
        if state == contract.initial_state():
            return self.pool.lend(self._create(), state)
        not_covered(f"no way to reach {state}: the target has no control interface, the "
                    f"inventory has no disposable job in it, and Create gives "
                    f"{contract.initial_state()}")

    def _create(self) -> str:
        return self.create()["job_id"]

    def create(self, **fields) -> dict:
        """A job made by the real Create operation; its answer (job id, upload URLs).

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
