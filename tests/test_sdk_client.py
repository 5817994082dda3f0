"""The official SDK client (huaweicloudsdkmetastudio) against the reference server.

If the SDK, signing with AK/SK exactly as it does against Huawei Cloud, can drive the
documented workflow and parse every answer, the server speaks the real wire format.
"""

from __future__ import annotations

import json
from hashlib import md5

import pytest
import requests
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkcore.http.http_config import HttpConfig
from huaweicloudsdkcore.sdk_request import SdkRequest
from huaweicloudsdkmetastudio.v1 import (
    CommentData,
    Create2dModelTrainingJobReq,
    Create2dModelTrainingJobRequest,
    Delete2dModelTrainingJobRequest,
    Execute2dModelTrainingCommandByUserReq,
    Execute2dModelTrainingCommandByUserRequest,
    List2dModelTrainingJobRequest,
    MetaStudioClient,
    Show2dModelTrainingJobRequest,
)

from metastudio_conformance.reference_server import start_server, stop_server

pytestmark = pytest.mark.sdk

AK, SK = "AKSDKTEST0000001", "sdk-secret-key"
PROJECT, NA_PROJECT = "0" * 31 + "2", "e" * 32
TIMEOUT = 5


@pytest.fixture(scope="module")
def server():
    srv, thread = start_server(ak=AK, sk=SK, na_projects=[NA_PROJECT])
    yield srv
    stop_server(srv, thread)


def sdk_client(url: str, project: str, sk: str = SK) -> MetaStudioClient:
    config = HttpConfig.get_default_config()
    config.ignore_ssl_verification = True  # plain http on loopback; nothing to verify
    config.timeout = (TIMEOUT, TIMEOUT)
    return (MetaStudioClient.new_builder()
            .with_http_config(config)
            .with_credentials(BasicCredentials(AK, sk, project))
            .with_endpoints([url])  # no region: the endpoint is the reference server
            .build())


@pytest.fixture(scope="module")
def client(server):
    return sdk_client(server.url, PROJECT)


def seed(server, state: str, project: str = PROJECT) -> str:
    """The control interface, signed by the SDK's own credentials object."""
    body = json.dumps({"state": state}).encode()
    req = SdkRequest(method="POST", schema="http", host=server.url.split("//")[1],
                     resource_path=f"/conformance/v1/{project}/jobs", query_params=[],
                     header_params={"Content-Type": "application/json"}, body=body)
    BasicCredentials(AK, SK, project).sign_request(req)
    r = requests.post(server.url + req.uri, data=body, headers=req.header_params,
                      timeout=TIMEOUT)
    assert r.status_code == 201, r.text
    return r.json()["job_id"]


def command(client, job_id: str, name: str, **fields):
    body = Execute2dModelTrainingCommandByUserReq(command=name, **fields)
    return client.execute2d_model_training_command_by_user(
        Execute2dModelTrainingCommandByUserRequest(job_id=job_id, body=body))


def show(client, job_id: str):
    return client.show2d_model_training_job(Show2dModelTrainingJobRequest(job_id=job_id))


def test_sdk_drives_the_documented_workflow(client):
    created = client.create2d_model_training_job(Create2dModelTrainingJobRequest(
        body=Create2dModelTrainingJobReq(name="sdk-job", video_multipart_count=2,
                                         batch_name="sdk-batch", tags=["sdk"])))
    assert created.x_request_id and len(created.job_id) == 32
    assert len(created.training_video_upload_url) == 2
    for n, url in enumerate(created.training_video_upload_url, start=1):
        r = requests.put(url, data=b"part-%d" % n, timeout=TIMEOUT,
                         headers={"Content-Type": "application/octet-stream"})
        assert r.status_code == 200

    parts = command(client, created.job_id, "GET_MULTIPART_UPLOADED")
    assert parts.commond_result == "EXCUTE_SUCCESS" and parts.x_request_id
    assert [(p.part_number, p.etag) for p in parts.multipart_data] == [
        ("1", md5(b"part-1").hexdigest()), ("2", md5(b"part-2").hexdigest())]
    # the SDK would coerce an integer silently; the raw answer must already be a string
    assert '"part_number": "1"' in parts.raw_content.decode()

    for name in ("CONFIRM_MULTIPART_UPLOADED", "SUBMITVERIFYING"):
        assert command(client, created.job_id, name).commond_result == "EXCUTE_SUCCESS"

    shown = show(client, created.job_id)
    assert (shown.job_id, shown.name, shown.state) == (created.job_id, "sdk-job", "AUTO_VERIFYING")
    assert shown.batch_name == "sdk-batch" and shown.tags == ["sdk"]
    assert "USER_VERIFYING_SUBMITTED" in [log.log_type for log in shown.operation_logs]

    listed = client.list2d_model_training_job(List2dModelTrainingJobRequest(
        state="AUTO_VERIFYING,JOB_FINISH", batch_name="sdk-batch", limit=5, offset=0))
    assert listed.count == 1 and listed.jobs[0].job_id == created.job_id
    assert listed.jobs[0].state == "AUTO_VERIFYING"


def test_sdk_deletes_a_job_in_a_deletable_state(server, client):
    job_id = seed(server, "TRAIN_FAILED")
    deleted = client.delete2d_model_training_job(Delete2dModelTrainingJobRequest(job_id=job_id))
    assert deleted.status_code == 200 and deleted.x_request_id
    with pytest.raises(ClientRequestException) as gone:
        show(client, job_id)
    assert (gone.value.status_code, gone.value.error_code) == (404, "MSS.41000003")


def test_sdk_sees_a_refused_delete_as_client_error(server, client):
    job_id = seed(server, "TRAINING")
    with pytest.raises(ClientRequestException) as refused:
        client.delete2d_model_training_job(Delete2dModelTrainingJobRequest(job_id=job_id))
    assert refused.value.status_code == 400
    assert refused.value.error_code == "MSS.00000003"
    assert refused.value.request_id and refused.value.error_msg
    assert show(client, job_id).state == "TRAINING"


def test_sdk_confirm_answer_for_an_na_tenant(server):
    na_client = sdk_client(server.url, NA_PROJECT)
    job_id = seed(server, "WAIT_USER_CONFIRM", NA_PROJECT)
    answer = command(na_client, job_id, "CONFIRM_ANSWER", comment_data=CommentData(
        comment_title="t", comment_message="m", attachment_name=["a.png", "b.png"]))
    assert answer.commond_result == "EXCUTE_SUCCESS" and len(answer.attachment_upload_url) == 2
    assert show(na_client, job_id).comment_logs[0].comment_message == "m"
    assert command(na_client, job_id, "CONFIRM_ACCEPT").commond_result == "EXCUTE_SUCCESS"
    assert show(na_client, job_id).state == "JOB_FINISH"


def test_sdk_with_a_wrong_secret_is_refused(server):
    config = HttpConfig.get_default_config()
    config.timeout = (TIMEOUT, TIMEOUT)
    intruder = (MetaStudioClient.new_builder().with_http_config(config)
                .with_credentials(BasicCredentials(AK, "wrong-secret", PROJECT))
                .with_endpoints([server.url]).build())
    with pytest.raises(ClientRequestException) as refused:
        intruder.list2d_model_training_job(List2dModelTrainingJobRequest())
    assert (refused.value.status_code, refused.value.error_code) == (401, "MSS.00000001")
    assert refused.value.request_id


def test_sdk_parses_a_legitimately_different_server():
    """Extra undocumented fields and the other documented error codes: the SDK copes."""
    srv, thread = start_server(ak=AK, sk=SK, alt_errors=True, extra_fields=True)
    try:
        client = sdk_client(srv.url, PROJECT)
        job_id = seed(srv, "TRAINING")
        shown = show(client, job_id)
        assert (shown.job_id, shown.state) == (job_id, "TRAINING") and shown.x_request_id
        assert '"region_hint"' in shown.raw_content.decode()  # there, and ignored
        listed = client.list2d_model_training_job(List2dModelTrainingJobRequest(job_id=job_id))
        assert listed.count == 1 and listed.jobs[0].state == "TRAINING"
        with pytest.raises(ClientRequestException) as refused:
            client.delete2d_model_training_job(Delete2dModelTrainingJobRequest(job_id=job_id))
        assert (refused.value.status_code, refused.value.error_code) == (400, "MSS.10000003")
        intruder = sdk_client(srv.url, PROJECT, sk="wrong-secret")
        with pytest.raises(ClientRequestException) as denied:
            intruder.list2d_model_training_job(List2dModelTrainingJobRequest())
        assert (denied.value.status_code, denied.value.error_code) == (401, "APIGW.0301")
    finally:
        stop_server(srv, thread)
