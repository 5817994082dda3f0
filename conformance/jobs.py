"""Getting real jobs into the states a test needs, and cleaning up only what the run made.

Three ways in, tried in order: the test-control interface (openapi/control.yaml) where
the target has it; the inventory's disposable jobs, each used once after Show confirms
its state; the real API's Create, which gives a job in the initial state. A state that
none reaches is reported as not covered, never as passed.
"""

from __future__ import annotations

import pytest
import requests
from metastudio_conformance import cleanup as leftovers
from metastudio_conformance import contract, inventory, requirements
from metastudio_conformance.client import ApiClient, SeedError

NOT_COVERED = "not covered: "
PRODUCT_TAG = "metastudio-conformance"


class JobFactory:
    def __init__(self, api: ApiClient) -> None:
        self.api = api
        self.control = api.settings.control  # None until the first seed tells
        self.created: list[str] = []
        self.test_start = 0  # jobs before this index belong to finished tests
        self.spare = [e for e in inventory.load(api.settings.inventory) if e.disposable]
        self.used_create = False  # then the cleanup also sweeps the run's jobs by run id

    def reachable_states(self) -> list[str]:
        """Every state through the control interface, else only the initial one; the
        initial state always comes first."""
        self._check_writes()
        if self.control is None:
            try:
                self._track(self.api.seed(contract.initial_state()))
                self.control = True
            except SeedError:
                self.control = False
        initial = contract.initial_state()
        others = [state for state in contract.job_states() if state != initial]
        if self.control:
            return [initial, *others]
        return [initial, *sorted({e.state for e in self.spare} - {initial})]

    def in_state(self, state: str) -> str:
        """A fresh job of this run in `state`, or a not-covered skip saying why not."""
        self._check_writes()
        if self.control is not False:
            try:
                job_id = self.api.seed(state)
                self.control = True
                return self._track(job_id)
            except SeedError:
                if self.control:
                    raise
                self.control = False
        for entry in [e for e in self.spare if e.state == state]:
            self.spare.remove(entry)
            if self.api.state_of(entry.job_id) == state:
                return entry.job_id
        if state == contract.initial_state():
            return self._create()
        pytest.skip(
            f"{NOT_COVERED}no way to reach {state}: the target has no control interface, "
            f"the inventory has no disposable job in it, and Create gives "
            f"{contract.initial_state()}"
        )

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
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if response.status_code != 200 or not isinstance(answer, dict) or not isinstance(
            answer.get("job_id"), str
        ):
            raise SeedError(f"Create answered {response.status_code} "
                            f"{response.headers.get('Content-Type', '')}: {response.text[:200]}")
        self._track(answer["job_id"])
        return answer

    def begin_test(self) -> None:
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
                self.test_start -= 1
                if len(self.created) < cap:
                    return
        pytest.skip(f"{NOT_COVERED}{cap} jobs of this run are alive and none can be deleted "
                    f"(max_live_jobs)")

    def _check_writes(self) -> None:
        if not self.api.settings.writes_allowed:
            pytest.skip("disabled: writes to a non-loopback target need --allow-writes or "
                        "`disposable: true` in the profile")
        self._make_room()

    def _track(self, job_id: str) -> str:
        self.created.append(job_id)
        return job_id

    def cleanup(self) -> None:
        """Delete what this run created and left deletable; never touch anything else.

        A Create cut short by Ctrl-C may have made a job whose id never came back, so
        after the tracked jobs the run's jobs are also found by run id (List)."""
        created, self.created = self.created, []  # once, even if called again
        try:
            for job_id in created:
                self._delete_if_deletable(job_id)
            if self.used_create and self.api.settings.run_id:
                self.used_create = False
                for job in leftovers.jobs_of_run(self.api, self.api.settings.run_id):
                    if job["job_id"] not in created:
                        self._delete_if_deletable(job["job_id"])
        except requests.RequestException:
            return  # the target went away; nothing more can be cleaned

    def _delete_if_deletable(self, job_id: str) -> None:
        try:
            state = self.api.state_of(job_id)
            if state and requirements.delete_allowed(state):
                self.api.delete(job_id)
        except AssertionError:
            pass  # a wrong answer (e.g. too slow) for this job: try the others
