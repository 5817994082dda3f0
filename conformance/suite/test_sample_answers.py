"""A few documented requests, one of each kind, judged by every rule the property tests
apply, in the run's first seconds.

The generated cases come late in a run (they are many); these hand-picked ones meet the
same checks (`cases.send_and_check`: documented status, JSON content type, the schema of
the status, the error body, the command answer, the DELETE gate) at once, so a server
that breaks what every answer must be is reported within seconds.
"""

from __future__ import annotations

import allure
import pytest

from metastudio_conformance import contract, schema
from metastudio_conformance.cases import send_and_check
from metastudio_conformance.client import new_job_id

START = contract.initial_state()
REFUSED_STATE = "TRAINING"  # DELETE is refused there (seed:delete), and most commands
UNKNOWN = None  # a job id no server has handed out

# (what, operationId, the job's state, the body)
SAMPLES = (
    ("a query command", contract.COMMAND_OPERATION, START,
     {"command": "GET_MULTIPART_UPLOADED"}),
    ("a command the state may refuse", contract.COMMAND_OPERATION, REFUSED_STATE,
     {"command": "SUBMITVERIFYING"}),
    ("a command to an unknown job", contract.COMMAND_OPERATION, UNKNOWN,
     {"command": "GET_MULTIPART_UPLOADED"}),
    ("a DELETE the state allows", contract.DELETE_OPERATION, START, None),
    ("a DELETE the state refuses", contract.DELETE_OPERATION, REFUSED_STATE, None),
    ("a DELETE of an unknown job", contract.DELETE_OPERATION, UNKNOWN, None),
)
ALSO = ("ERR-01", "ERR-02", "HDR-01", "CMD-03", "CMD-04", "CMD-05", "CMD-06", "DEL-01",
        "DEL-02", "RSP-05")


def _case(operation_id: str, project_id: str, job_id: str, body):
    operation = contract.operation(operation_id)
    api_operation = schema.for_this_run()[operation.path][operation.method]
    kwargs = {"body": body, "media_type": "application/json"} if body is not None else {}
    return api_operation.Case(path_parameters={"project_id": project_id, "job_id": job_id},
                              **kwargs)


@pytest.mark.requirement("RSP-01", "RSP-02", "RSP-03", "VAL-02", also=ALSO)
@pytest.mark.parametrize(("what", "operation_id", "state", "body"), SAMPLES,
                         ids=[sample[0].replace(" ", "-") for sample in SAMPLES])
def test_documented_request(what, operation_id, state, body, settings, http_session, api,
                            jobs, run_context):
    allure.dynamic.parameter("request", what)
    job_id = new_job_id() if state is UNKNOWN else jobs.in_state(state)
    case = _case(operation_id, settings.project_id, job_id, body)
    send_and_check(case, state, settings, http_session, api, run_context)
