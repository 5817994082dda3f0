"""Placeholder answers named (conformance/placeholders.py): a job id or an upload URL that
no real job carries is a setup finding naming the operation, the field and the value,
never a network error; against a mock serving the spec's examples (as Prism does) too."""

from __future__ import annotations

import pytest

from metastudio_conformance import contract, placeholders
from metastudio_conformance.placeholders import PlaceholderAnswer
from tests.conftest import run_cli
from tests.example_server import ExampleServer

EXAMPLE_ID = contract.raw_spec()["components"]["parameters"]["JobId"]["example"]
URL = "https://bucket.obs.example.com/part-1?Signature=abc"


@pytest.mark.parametrize("value", ["string", "String", "", None, 7, EXAMPLE_ID, "a/b",
                                   "..", "job 1", "\u4e00"])
def test_job_ids_no_target_hands_out(value):
    assert placeholders.job_id_problem(value)


@pytest.mark.parametrize("value", ["efc5300ecdba4ea48d1ff13a9d907bc1", "job-42",
                                   "0f8e0b9c-3f4e-4c1a-9d2e-7a1b2c3d4e5f", "J_1.a~"])
def test_any_other_identifier_is_taken(value):
    """The documents show one example of a job id and no form (docs/silent-points.md)."""
    assert placeholders.job_id_problem(value) is None


@pytest.mark.parametrize("value", ["string", "", "/upload/1", "ftp://host/x", "http://",
                                   "https://[::1", 3, ["https://h/x"]])
def test_values_that_are_no_upload_url(value):
    assert placeholders.not_a_url(value)


def test_upload_urls_of_every_kind_are_taken():
    assert not placeholders.not_a_url(URL)
    assert not placeholders.not_a_url("http://127.0.0.1:8080/upload/abc/video/1")


def test_a_placeholder_create_answer_names_every_field_and_value():
    answer = {"job_id": "string", "training_video_upload_url": ["string", URL],
              "cover_upload_url": "string", "grant_file_upload_url": None}
    with pytest.raises(PlaceholderAnswer) as caught:
        placeholders.check_created("Create", answer)
    assert str(caught.value) == (
        "Create answered job_id 'string', a schema's type name, not a job identifier "
        f"(documented: a task ID such as {EXAMPLE_ID}); training_video_upload_url[0], "
        "cover_upload_url 'string', not http(s) URLs (documented: presigned upload URLs): "
        "the target returns placeholder values, not a job")


def test_one_bad_url_beside_a_real_job_id_is_named_alone():
    with pytest.raises(PlaceholderAnswer, match=r"^Create answered cover_upload_url "
                       r"'/c', not an http\(s\) URL \(documented: a presigned upload URL\)"):
        placeholders.check_created("Create", {"job_id": "job-1", "cover_upload_url": "/c"})


def test_a_real_create_answer_passes():
    placeholders.check_created("Create", {"job_id": "job-1", "training_video_upload_url":
                                          [URL, URL], "cover_upload_url": URL})


def test_the_mock_serves_the_spec_examples():
    server = ExampleServer()
    try:
        import requests

        base = server.url + contract.operation(contract.CREATE_OPERATION).url_path(
            project_id="p")
        created = requests.post(base, json={"name": "x"}, timeout=5)
        command = requests.post(base + "/j/command", json={"command": "X"}, timeout=5)
        control = requests.post(server.url + "/conformance/v1/p/jobs", json={}, timeout=5)
    finally:
        server.stop()
    assert created.json()["job_id"] == "string"
    assert created.json()["training_video_upload_url"] == ["string"]
    assert created.headers["X-Request-Id"] == "string"
    assert command.json() == {"commond_result": "EXCUTE_SUCCESS"}  # the spec's example
    assert control.status_code == 404  # no control interface: jobs come from Create


@pytest.mark.slow
def test_a_mock_serving_examples_ends_with_findings_naming_the_placeholders(tmp_path):
    server = ExampleServer()
    try:
        result = run_cli(["run", "--target", server.url, "--project-id", "0" * 32,
                          "--seed", "1", "--max-examples", "3", "-k",
                          "test_documented_workflow or test_lifecycle_standard_tenant or "
                          "test_command_is_required"],
                         tmp_path / "reports", env={"METASTUDIO_TOKEN": "mock-token"})
    finally:
        server.stop()
    assert result.code == 4, result.stderr[-2000:]  # an error status: nothing was judged
    text = result.stdout + result.stderr + (result.report_dir / "results.json").read_text()
    assert "network error" not in text and "Traceback" not in text
    statuses = result.statuses()
    assert {statuses[rid] for rid in ("CMD-01", "CMD-08", "DEL-01", "MOD-01")} == {"error"}
    tests = {t["id"].split("::")[-1]: t for t in result.results["tests"]}
    for name in ("test_documented_workflow", "test_lifecycle_standard_tenant",
                 "test_command_is_required"):
        reason = tests[name]["reason"]
        assert "setup error: Create answered job_id 'string', a schema's type name" in reason
        assert "training_video_upload_url[0], cover_upload_url, id_card_image1_upload_url, "\
               "id_card_image2_upload_url, grant_file_upload_url 'string'" in reason, reason
        assert "placeholder values" in reason
