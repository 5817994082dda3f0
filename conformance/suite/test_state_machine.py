"""Random command sequences on real jobs, checked step by step against the model.

A hypothesis `RuleBasedStateMachine`: jobs are seeded or created, commanded, uploaded to,
shown and deleted in random order. After every step the server's view of the job must
equal the model's; refused commands change nothing; deleted jobs stay gone; a DELETE
removes only its own job. A failure shows hypothesis' shrunk sequence of steps and the
HTTP transcript of exactly those requests.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, rule, run_state_machine_as_test

from metastudio_conformance import contract, expect, requirements, rules
from metastudio_conformance.command_step import run_command
from metastudio_conformance.lifecycle_model import JobModel
from metastudio_conformance.outcomes import not_covered
from metastudio_conformance.strategies import bodies

REQUIREMENTS = ("CMD-09", "MOD-01", "MOD-02", "DEL-01", "DEL-02", "DEL-03", "DEL-04")
# Rules a random sequence may also find broken, without claiming a pass for them.
ALSO = ("CMD-03", "CMD-04", "CMD-05", "CMD-06", "CMD-08", "ERR-01", "MOD-04", "MOD-05")


def _machine(api, jobs, model, tenant):
    states = jobs.reachable_states()

    class JobLifecycle(RuleBasedStateMachine):
        handles = Bundle("jobs")

        def __init__(self) -> None:
            super().__init__()
            self.known: dict[str, JobModel] = {}
            self.upload_urls: dict[str, list[str]] = {}
            api.begin()  # the transcript of a failure is this example's alone

        @rule(target=handles, state=st.sampled_from(states))
        def seed(self, state):
            job_id = jobs.in_state(state)
            self.known[job_id] = jobs.model_of(job_id, state, model)
            return job_id

        @rule(target=handles, parts=st.integers(1, 3))
        def create(self, parts):
            answer = jobs.create(video_multipart_count=parts)
            self.known[answer["job_id"]] = JobModel(contract.initial_state(), parts=parts)
            urls = answer.get("training_video_upload_url")  # real URLs (jobs.create)
            self.upload_urls[answer["job_id"]] = urls if isinstance(urls, list) else []
            return answer["job_id"]

        @rule(job_id=handles, part=st.integers(1, 3))
        def upload(self, job_id, part):
            job, urls = self.known[job_id], self.upload_urls.get(job_id, [])
            if part > len(urls) or part in job.uploaded or job.deleted:
                return
            expect.that(api, rules.workflow_step, f"PUT part {part}",
                        api.upload(urls[part - 1], b"video part %d" % part), upload=True)
            job.uploaded.add(part)

        @rule(job_id=handles, body=bodies.command_bodies())
        def command(self, job_id, body):
            job = self.known[job_id]
            if job.deleted:
                _expect_gone(api, job_id, "command", api.command(job_id, body))
                return
            run_command(api, model, tenant, job_id, job, body)

        @rule(job_id=handles)
        def delete(self, job_id):
            job = self.known[job_id]
            response = api.delete(job_id)
            if job.deleted:
                _expect_gone(api, job_id, "a second DELETE", response)
                return
            expect.that(api, rules.delete_gate, job.state, response)
            if requirements.delete_allowed(job.state):
                job.deleted = True
                _expect_gone(api, job_id, "Show", api.show(job_id))
                self._others_untouched(job_id)
            else:
                expect.unchanged(api, rules.delete_gate, job_id, job.state, job.state)

        @rule(job_id=handles)
        def show(self, job_id):
            job = self.known[job_id]
            if job.deleted:
                _expect_gone(api, job_id, "Show", api.show(job_id))
            else:
                expect.unchanged(api, rules.refusal_changes_nothing, job_id, job.state)

        def _others_untouched(self, deleted: str) -> None:
            before = {other: job.state for other, job in self.known.items()
                      if other != deleted and not job.deleted}
            expect.that(api, rules.others_untouched, deleted, before,
                        {other: api.state_of(other) for other in before})

    return JobLifecycle


def _expect_gone(api, job_id, what, response) -> None:
    expect.that(api, rules.gone, f"{what} of deleted job {job_id}", response)


def _run(machine, settings):
    run_state_machine_as_test(machine, settings=hypothesis_settings(
        max_examples=max(5, settings.max_examples // 2), stateful_step_count=12,
        deadline=None, database=None, suppress_health_check=list(HealthCheck)))


@pytest.mark.requirement(*REQUIREMENTS, also=ALSO)
def test_lifecycle_standard_tenant(settings, api, jobs, lifecycle_model):
    if settings.tenant != "standard":
        not_covered("this run's main project is NA")
    _run(_machine(api, jobs, lifecycle_model, "standard"), settings)


@pytest.mark.requirement(*REQUIREMENTS, also=ALSO)
def test_lifecycle_na_tenant(settings, na_api, na_jobs, lifecycle_model):
    _run(_machine(na_api, na_jobs, lifecycle_model, "na"), settings)
