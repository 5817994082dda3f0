"""One answer, every rule: what `checks.judged` charges for a property test's answer.

JSON null in an optional answer field is the field absent (docs/silent-points.md, point
18); a required field that is null is still missing. A broken rule does not hide the
rules that do not depend on it; a 5xx is ERR-02's alone.
"""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
import requests
import schemathesis
from schemathesis.core.transport import Response

from metastudio_conformance import checks, contract
from metastudio_conformance.recorder import NOT_JUDGED, Marks, classify

SCHEMA = schemathesis.openapi.from_dict(contract.generation_view())
COMMAND = contract.operation(contract.COMMAND_OPERATION)
MODEL = SimpleNamespace(max_response_time=None)
PROPERTY_TEST = Marks(["ERR-01", "ERR-02", "HDR-01", "RSP-01", "RSP-02", "RSP-03", "VAL-01",
                       "VAL-02", "DEL-01", "DEL-02"],
                      ["CMD-03", "CMD-04", "CMD-05", "CMD-06", "RSP-05"])
OK = "EXCUTE_SUCCESS"


def _broken(status: int, body, command: str = "GET_MULTIPART_UPLOADED",
            state: str = "WAIT_FILE_UPLOAD") -> set[str]:
    """The requirements `judged` finds broken by `body` (JSON, or raw bytes) answering a
    standard tenant's documented command to a job in `state`."""
    case = SCHEMA[COMMAND.path][COMMAND.method].Case(
        path_parameters={"project_id": "p", "job_id": "j"}, body={"command": command},
        media_type="application/json")
    url = "http://target" + COMMAND.url_path(project_id="p", job_id="j")
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    response = Response(status_code=status, content=content, elapsed=0.01, message="",
                        headers={"content-type": ["application/json"], "x-request-id": ["r"]},
                        request=requests.Request("POST", url).prepare(), encoding="utf-8",
                        http_version="1.1", verify=True)
    judged = checks.for_run(MODEL, lambda violation: None, state)[1]
    try:
        case.validate_response(response, checks=[judged])
    except BaseException as error:  # noqa: BLE001 - what schemathesis raises is the verdict
        return {rid for rid, status, _ in classify(error, PROPERTY_TEST) if status == "fail"}
    return set()


NULLS = {"commond_result": OK, "attachment_upload_url": None, "multipart_data": None,
         "excute_failed_msg": None, "error_info": None}


@pytest.mark.parametrize("body", [
    NULLS,
    {"commond_result": OK, "multipart_data": [{"part_number": "1", "etag": None}]},
    {"commond_result": "EXCUTE_FAILED", "excute_failed_msg": "no", "error_info": None},
    {"commond_result": OK, "error_info": {"error_code": None, "error_msg": None}},
], ids=["every-optional-field", "etag", "error-info", "error-info-members"])
def test_null_in_an_optional_answer_field_is_the_field_absent(body):
    assert _broken(200, body) == set()


@pytest.mark.parametrize(("status", "body", "rule"), [
    (200, {**NULLS, "commond_result": None}, "CMD-03"),
    (400, {"error_code": "MSS.00000003", "error_msg": None}, "ERR-01"),
    (200, {"commond_result": OK, "multipart_data": [None]}, "CMD-04"),
    (200, {"commond_result": OK, "attachment_upload_url": [None]}, "CMD-05"),
    (200, {"commond_result": OK, "excute_failed_msg": 3}, "RSP-03"),
], ids=["commond_result", "error_msg", "a-part", "a-url", "a-wrong-type"])
def test_null_where_a_value_is_required_still_fails(status, body, rule):
    assert _broken(status, body) == {rule}


def test_the_schema_and_a_rule_broken_by_one_answer_are_both_reported():
    """An NA-only command carried out for a standard tenant (CMD-06), whose answer also
    carries error_info of the wrong type (RSP-03): two faults, two findings."""
    assert _broken(200, {"commond_result": OK, "error_info": "none"}, "CONFIRM_ACCEPT",
                   "WAIT_USER_CONFIRM") == {"CMD-06", "RSP-03"}


def test_each_field_rule_is_judged_on_its_own():
    assert _broken(200, {"commond_result": "EXECUTE_SUCCESS",
                         "multipart_data": [{"part_number": 1}],
                         "attachment_upload_url": "u"}) == {"CMD-03", "CMD-04", "CMD-05"}


@pytest.mark.parametrize(("status", "body", "rule"), [
    # the status is the fault: its (documented) error body is no second finding
    (200, {"error_code": "MSS.00000003", "error_msg": "not for you"}, "CMD-06"),
    # the body is not JSON: the content type's finding would be the same fact
    (400, b"400 Bad Request", "ERR-01"),
], ids=["error-body-under-200", "text-error"])
def test_rules_that_depend_on_a_broken_one_are_not_charged_again(status, body, rule):
    command = "CONFIRM_ACCEPT" if status == 200 else "GET_MULTIPART_UPLOADED"
    assert _broken(status, body, command, "WAIT_USER_CONFIRM") == {rule}


def test_a_5xx_is_err_02_alone_and_leaves_the_other_claims_not_judged():
    case = SCHEMA[COMMAND.path][COMMAND.method].Case(
        path_parameters={"project_id": "p", "job_id": "j"},
        body={"command": "CONFIRM_ACCEPT"}, media_type="application/json")
    url = "http://target" + COMMAND.url_path(project_id="p", job_id="j")
    response = Response(status_code=500, content=b"<html>oops</html>", elapsed=0.01,
                        message="", headers={"content-type": ["text/html"]},
                        request=requests.Request("POST", url).prepare(), encoding="utf-8",
                        http_version="1.1", verify=True)
    judged = checks.for_run(MODEL, lambda violation: None, "WAIT_USER_CONFIRM")[1]
    with pytest.raises(BaseException) as raised:  # noqa: PT011 - a schemathesis group
        case.validate_response(response, checks=[judged])
    found = {rid: (status, text) for rid, status, text in classify(raised.value, PROPERTY_TEST)}
    assert {rid for rid, (status, _) in found.items() if status == "fail"} == {"ERR-02"}
    assert found["RSP-03"] == ("not-covered", NOT_JUDGED)


def test_only_optional_answer_fields_take_null_and_only_in_answers():
    view = contract.generation_view()
    body = view["paths"][COMMAND.path]["post"]
    answer = body["responses"]["200"]["content"]["application/json"]["schema"]
    assert answer["properties"]["error_info"]["nullable"] is True
    assert answer["properties"]["error_info"]["properties"]["error_code"]["nullable"] is True
    assert "nullable" not in answer["properties"]["commond_result"]
    error = view["components"]["responses"]["ParameterError"]["content"]["application/json"]
    assert not any("nullable" in prop for prop in error["schema"]["properties"].values())
    request = body["requestBody"]["content"]["application/json"]["schema"]
    assert request == {"$ref": "#/components/schemas/ExecuteCommandRequestBody"}
    assert "nullable" not in json.dumps(view["components"]["schemas"])
