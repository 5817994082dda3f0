"""The contract files are valid OpenAPI and say what the seeds say."""

from __future__ import annotations

from pathlib import Path

import pytest
from openapi_spec_validator import validate
from openapi_spec_validator.readers import read_from_filename

from metastudio_conformance import contract

OPENAPI = Path(__file__).resolve().parent.parent / "openapi"


@pytest.mark.parametrize("name", ["training-jobs.yaml", "control.yaml"])
def test_spec_is_valid_openapi(name):
    spec, _ = read_from_filename(str(OPENAPI / name))
    validate(spec, base_uri=(OPENAPI / name).as_uri())


def test_seed_facts_are_in_the_spec():
    assert len(contract.job_states()) == 53
    assert len(set(contract.job_states())) == 53
    assert contract.deletable_states() == [
        "WAIT_FILE_UPLOAD", "AUTO_VERIFY_FAILED", "MANUAL_VERIFYING", "MANUAL_VERIFY_FAILED",
        "TRAINING_DATA_PREPROCESS_FAILED", "TRAIN_FAILED", "INFERENCE_DATA_PREPROCESS_FAILED",
        "JOB_SUCCESS", "WAIT_USER_CONFIRM", "JOB_REJECT", "JOB_FINISH",
    ]
    assert set(contract.deletable_states()) <= set(contract.job_states())
    assert len(contract.commands()) == 8
    assert set(contract.na_only_commands()) <= set(contract.commands())
    response = contract.schema("ExecuteCommandResponseBody")["properties"]
    assert response["commond_result"]["enum"] == ["EXCUTE_SUCCESS", "EXCUTE_FAILED"]
    assert response["multipart_data"]["items"]["properties"]["part_number"]["type"] == "string"


def test_app_user_id_pattern_refuses_chinese():
    import re

    pattern = re.compile(contract.app_user_id_pattern())
    assert pattern.match("app-user_01@example")
    assert not pattern.match("用户")
    assert not pattern.match("user-张")


def test_generation_view_leaves_credentials_to_the_client():
    command = contract.operation(contract.COMMAND_OPERATION)
    view = contract.generation_view()
    operation = view["paths"][command.path][command.method.lower()]
    refs = [p["$ref"].split("/")[-1] for p in operation["parameters"]]
    assert refs == ["XAppUserId"]
    # The spec itself is untouched.
    assert len(command.definition["parameters"]) == 5


def test_operations_come_from_the_spec_by_operation_id():
    operations = contract.operations()
    under_test = sorted(op.operation_id for op in operations.values() if op.under_test)
    assert under_test == [contract.DELETE_OPERATION, contract.COMMAND_OPERATION]
    delete = contract.operation(contract.DELETE_OPERATION)
    assert delete.method == "DELETE"
    assert delete.url_path(project_id="p", job_id="j").endswith("/p/digital-human-training-"
                                                                "manage/user/jobs/j")
