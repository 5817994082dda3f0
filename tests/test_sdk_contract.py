"""The spec checked against the official SDK's models, an oracle nobody here wrote.

Every difference between openapi/training-jobs.yaml and huaweicloudsdkmetastudio's request
and response models must be explained in docs/contract-differences.md, and every explanation
there must still describe a real difference. The comparison lives in tests/sdk_contract.py.
"""

from __future__ import annotations

import copy
import json
import re
from importlib.metadata import version

import pytest
import requests
from huaweicloudsdkcore.exceptions.exception_handler import DefaultExceptionHandler
from huaweicloudsdkcore.exceptions.exceptions import (
    ClientRequestException,
    ServerResponseException,
)
from huaweicloudsdkmetastudio.v1.metastudio_client import MetaStudioClient

from tests.sdk_contract import (
    DIFFERENCES_PATH,
    OPERATIONS,
    ROOT,
    Documented,
    Spec,
    as_yaml,
    compare,
    documented,
    load_spec,
    reconcile,
)

pytestmark = pytest.mark.sdk

SDK = "huaweicloudsdkmetastudio"


def test_spec_matches_the_sdk_or_the_difference_is_explained():
    unexplained, stale = reconcile(compare(load_spec()), documented())
    message = ""
    if unexplained:
        message += ("Differences not explained in docs/contract-differences.md (fix the spec, "
                    "or add them with a reason):\n" + as_yaml(unexplained))
    if stale:
        message += "Explained differences that no longer exist (remove them):\n" + "\n".join(
            f"  {k.schema} | {k.field} | {k.aspect} | sdk: {k.sdk} | spec: {k.spec}"
            for k in stale)
    assert not message, message


def test_every_documented_difference_gives_its_reason():
    known = documented()
    assert known, "no YAML entries found in docs/contract-differences.md"
    assert [k for k in known if not k.reason or k.reason == "TODO"] == []


def test_the_differences_are_those_of_the_pinned_sdk():
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    pinned = re.search(rf'"{SDK}==([^"]+)"', pyproject)
    assert pinned, f"{SDK} must be pinned exactly: the documented differences are per version"
    assert version(SDK) == pinned.group(1)
    assert f"{SDK} {pinned.group(1)}" in DIFFERENCES_PATH.read_text(encoding="utf-8")


# ------------------------------------------------ the comparison can fail


def rename_property(schema: str, old: str, new: str):
    def mutate(spec):
        properties = spec["components"]["schemas"][schema]["properties"]
        properties[new] = properties.pop(old)
    return mutate


def set_property(schema: str, name: str, **changes):
    def mutate(spec):
        spec["components"]["schemas"][schema]["properties"][name].update(changes)
    return mutate


def drop_enum_value(schema: str, name: str, value: str):
    def mutate(spec):
        node = spec["components"]["schemas"][schema]
        node = node["properties"][name] if name else node
        node["enum"].remove(value)
    return mutate


def require(schema: str, name: str):
    def mutate(spec):
        spec["components"]["schemas"][schema].setdefault("required", []).append(name)
    return mutate


def move_header_to_query(spec):
    spec["components"]["parameters"]["XAppUserId"]["in"] = "query"


def delete_becomes_put(spec):
    item = spec["paths"]["/v1/{project_id}/digital-human-training-manage/user/jobs/{job_id}"]
    item["put"] = item.pop("delete")


def drop_na_only_command(spec):
    item = spec["paths"][
        "/v1/{project_id}/digital-human-training-manage/user/jobs/{job_id}/command"]
    item["post"]["x-na-only-commands"].remove("CONFIRM_ACTIVE")


MUTATIONS = {
    "renamed field": (rename_property("MultipartUploadInfo", "part_number", "part_no"),
                      ("MultipartUploadInfo", "part_number", "field")),
    "renamed error field": (rename_property("ErrorBody", "error_msg", "message"),
                            ("ErrorBody", "error_msg", "field")),
    "changed type": (set_property("MultipartUploadInfo", "part_number", type="integer"),
                     ("MultipartUploadInfo", "part_number", "type")),
    "changed nested type": (set_property("CommentData", "attachment_name", type="string"),
                            ("CommentData", "attachment_name", "type")),
    "dropped command": (drop_enum_value("ExecuteCommandRequestBody", "command",
                                        "GET_MULTIPART_UPLOADED"),
                        ("ExecuteCommandRequestBody", "command", "enum")),
    "dropped result": (drop_enum_value("ExecuteCommandResponseBody", "commond_result",
                                       "EXCUTE_FAILED"),
                       ("ExecuteCommandResponseBody", "commond_result", "enum")),
    "dropped job state": (drop_enum_value("JobState", "", "MANUL_STOP_ACTION_MARK"),
                          ("ShowJobResponseBody", "state", "enum")),
    "required optional field": (require("CommentData", "comment_title"),
                                ("CommentData", "comment_title", "required")),
    "header moved to query": (move_header_to_query,
                              ("Delete2dModelTrainingJob request", "X-App-UserId", "in")),
    "wrong method": (delete_becomes_put, ("Delete2dModelTrainingJob", "-", "route")),
    "NA-only list": (drop_na_only_command,
                     ("Execute2dModelTrainingCommandByUser", "command", "na-only")),
}


@pytest.mark.parametrize("mutate, expected", MUTATIONS.values(), ids=MUTATIONS.keys())
def test_a_changed_spec_is_caught(mutate, expected):
    spec = copy.deepcopy(load_spec())
    mutate(spec)
    unexplained, _ = reconcile(compare(spec), documented())
    assert expected in {(d.schema, d.field, d.aspect) for d in unexplained}


def test_dropping_a_documented_value_also_makes_its_explanation_stale():
    spec = copy.deepcopy(load_spec())
    drop_enum_value("ExecuteCommandRequestBody", "command_message", "UPDATE_VIDEO")(spec)
    _, stale = reconcile(compare(spec), documented())
    assert ("ExecuteCommandRequestBody", "command_message", "enum") in {
        (k.schema, k.field, k.aspect) for k in stale}


def test_an_explanation_of_a_difference_that_does_not_exist_is_stale():
    invented = Documented("CommentData", "comment_title", "type", "integer", "string", "none")
    _, stale = reconcile(compare(load_spec()), [*documented(), invented])
    assert stale == [invented]


# ------------------------------------------------ status codes: what the SDK does with them


def fake_response(status: int, body: bytes) -> requests.Response:
    response = requests.Response()
    response.status_code, response._content, response.encoding = status, body, "utf-8"
    response.headers["X-Request-Id"] = "req-1"
    return response


def documented_statuses():
    spec = Spec(load_spec())
    for operation_id in OPERATIONS:
        _, _, operation, _ = spec.operation(operation_id)
        for status, response in operation["responses"].items():
            yield operation_id, int(status), spec.resolve(response)


@pytest.mark.parametrize("operation_id, status, response", [
    pytest.param(o, s, r, id=f"{o}-{s}") for o, s, r in documented_statuses()])
def test_the_sdk_parses_every_documented_status(operation_id, status, response):
    """A 2xx (Delete's 204 with an empty body too) parses into the operation's response;
    a 4xx/5xx example body raises the SDK's exception carrying its error_code."""
    example = response.get("content", {}).get("application/json", {}).get("example")
    raw = fake_response(status, json.dumps(example).encode() if example else b"")
    if status < 400:
        DefaultExceptionHandler().handle_exception(None, raw)
        parsed = MetaStudioClient().sync_response_handler(
            raw, f"{operation_id}Response", ["X-Request-Id"], None)
        assert type(parsed).__name__ == f"{operation_id}Response"
        assert parsed.x_request_id == "req-1"
        return
    expected = ClientRequestException if status < 500 else ServerResponseException
    with pytest.raises(expected) as raised:
        DefaultExceptionHandler().handle_exception(None, raw)
    assert raised.value.error_code == example["error_code"]
    assert raised.value.request_id == "req-1"
