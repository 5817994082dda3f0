"""Legitimately different configurations change only what they say.

One transcript (a fixed walk over every endpoint, successes and refusals) is taken from
the sound server and from each variant; each variant's transcript must equal the sound
one after exactly the change the option documents.
"""

from __future__ import annotations

import ast
import copy
import http.client
import json
import subprocess
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from metastudio_conformance import reference_server
from metastudio_conformance.reference_server import start_server, stop_server
from metastudio_conformance.reference_server.__main__ import main as cli_main
from metastudio_conformance.reference_server.app import Options
from metastudio_conformance.reference_server.variants import (
    ALT_CODES,
    EXTRA_JOB_FIELDS,
    GATEWAY_SIGNATURE_CODE,
    LARGE_BODY,
    OPTION_SPELLINGS,
)
from metastudio_conformance.reference_server.variants import REGISTRY as VARIANTS
from tests.conftest import SERVE
from tests.reference_helpers import (
    CHINESE,
    NA,
    OPTIONS,
    SK,
    SPEC,
    STD,
    TOKEN,
    Api,
    assert_error,
    schema_errors,
    signed,
)

JSON_TYPE = "application/json;charset=UTF-8"
DELAY_MS = 25


def _shape(body):
    """Keys and value types, keeping the values that identify an answer."""
    if isinstance(body, dict):
        return {k: v if k in ("error_code", "commond_result") else _shape(v)
                for k, v in body.items()}
    if isinstance(body, list):
        return [_shape(body[0])] if body else []
    return type(body).__name__


def _entry(r):
    body = r.json() if r.content else None
    return {"status": r.status_code, "type": r.headers.get("Content-Type"),
            "request_id": r.headers.get("X-Request-Id"), "shape": _shape(body),
            "msg": body.get("error_msg") if isinstance(body, dict) else None,
            "seconds": r.elapsed.total_seconds()}


def _framing_error(a):
    host, port = a.url.split("//")[1].rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=5)
    conn.putrequest("POST", a.jobs(suffix="/x/command"))
    conn.putheader("Content-Length", "abc")
    conn.putheader("X-Auth-Token", TOKEN)
    conn.endheaders()
    resp = conn.getresponse()
    body = json.loads(resp.read())
    conn.close()
    return {"status": resp.status, "type": resp.getheader("Content-Type"),
            "request_id": resp.getheader("X-Request-Id"), "shape": _shape(body),
            "msg": body.get("error_msg"), "seconds": None}


def transcript(a) -> dict[str, dict]:
    created = a.call("POST", a.jobs(), json={"name": "t", "video_multipart_count": 2})
    job = created.json()["job_id"]
    walk = {
        "create": created,
        "show": a.show(job),
        "list": a.call("GET", a.jobs(), params={"job_id": job}),
        "parts": a.command(job, {"command": "GET_MULTIPART_UPLOADED"}),
        "submit-unconfirmed": a.command(job, {"command": "SUBMITVERIFYING"}),
        "submit-in-training": a.command(a.seed("TRAINING"), {"command": "SUBMITVERIFYING"}),
        "na-only": a.command(a.seed("WAIT_USER_CONFIRM"), {"command": "CONFIRM_ACCEPT"}),
        "na-accept": a.command(a.seed("WAIT_USER_CONFIRM", NA), {"command": "CONFIRM_ACCEPT"},
                               project=NA),
        "invalid-body": a.command(job, {"command": 1}),
        "malformed-json": a.call("POST", a.jobs(suffix=f"/{job}/command"), data=b"{bad"),
        "delete": a.delete(a.seed("JOB_SUCCESS")),
        "delete-refused": a.delete(a.seed("TRAINING")),
        "show-unknown": a.show("0" * 32),
        "delete-unknown": a.delete("0" * 32),
        "command-unknown": a.command("0" * 32, {"command": "SUBMITVERIFYING"}),
        "unknown-path": a.call("GET", "/nope"),
        "wrong-method": a.call("PATCH", a.jobs(suffix=f"/{job}/command")),
        "chinese-user-id": a.show(job, headers={"X-App-UserId": "用户".encode()}),
        "no-credentials": Api(a.url, headers={}, strict=False).show(job),
        "wrong-token": Api(a.url, headers={"X-Auth-Token": "nope"}, strict=False).show(job),
        "bad-signature": signed(a, "GET", a.jobs(), sk="not-" + SK),
        "project-mismatch": signed(a, "GET", a.jobs(), project=NA),
        "seed": a.call("POST", f"/conformance/v1/{STD}/jobs", json={"state": "TRAINING"}),
        "seed-refused": a.call("POST", f"/conformance/v1/{STD}/jobs", json={"state": "NOPE"}),
    }
    entries = {label: _entry(r) for label, r in walk.items()}
    entries["framing"] = _framing_error(a)
    return entries


def _comparable(entries: dict) -> dict:
    """What must be equal: everything but the request ids, messages and timings."""
    out = copy.deepcopy(entries)
    for entry in out.values():
        assert entry.pop("request_id"), entry  # present everywhere, in every variant
        del entry["msg"], entry["seconds"]
    return out


@pytest.fixture(scope="module")
def sound():
    srv, thread = start_server(**OPTIONS)
    yield transcript(Api(srv.url, strict=False))
    stop_server(srv, thread)


def _variant(**options) -> dict:
    srv, thread = start_server(**OPTIONS, **options)
    try:
        return transcript(Api(srv.url, strict=False))
    finally:
        stop_server(srv, thread)


def test_the_sound_transcript_is_what_the_variants_are_compared_with(sound):
    statuses = {label: e["status"] for label, e in sound.items()}
    assert statuses == {
        "create": 200, "show": 200, "list": 200, "parts": 200, "submit-unconfirmed": 400,
        "submit-in-training": 400, "na-only": 400, "na-accept": 200, "invalid-body": 400,
        "malformed-json": 400, "delete": 200, "delete-refused": 400, "show-unknown": 404,
        "delete-unknown": 404, "command-unknown": 404, "unknown-path": 400,
        "wrong-method": 400, "chinese-user-id": 400, "no-credentials": 401,
        "wrong-token": 401, "bad-signature": 401, "project-mismatch": 400, "seed": 201,
        "seed-refused": 400, "framing": 400}
    assert all(e["type"] == JSON_TYPE for label, e in sound.items() if label != "delete")


def test_alt_errors_changes_error_codes_and_messages_only(sound):
    alt = _variant(alt_errors=True)
    expected = _comparable(sound)
    for entry in expected.values():
        code = entry["shape"].get("error_code") if isinstance(entry["shape"], dict) else None
        if code is not None:
            entry["shape"]["error_code"] = ALT_CODES.get(code, code)
    expected["bad-signature"]["shape"]["error_code"] = GATEWAY_SIGNATURE_CODE
    assert _comparable(alt) == expected
    changed = {label for label in expected if expected[label]["shape"] != _comparable(sound)[
        label]["shape"]}
    assert changed == {"invalid-body", "malformed-json", "submit-unconfirmed",
                       "submit-in-training", "na-only", "delete-refused", "chinese-user-id",
                       "bad-signature", "seed-refused", "framing"}
    for label, entry in alt.items():
        if entry["msg"] is not None:
            assert isinstance(entry["msg"], str) and entry["msg"], label
            assert entry["msg"] != sound[label]["msg"], label


def _with_extra_fields(shape, label):
    if not isinstance(shape, dict):
        return shape
    shape = {**shape, "request_id": "str", "trace": {"span_id": "str", "served_by": "str"}}
    job_shape = {k: _shape(v) for k, v in EXTRA_JOB_FIELDS.items()}
    if label == "show":
        shape.update(job_shape)
    if label == "list":
        shape["jobs"] = [{**shape["jobs"][0], **job_shape}]
    return shape


def test_extra_fields_adds_fields_only(sound):
    extra = _variant(extra_fields=True)
    expected = _comparable(sound)
    for label, entry in expected.items():
        entry["shape"] = _with_extra_fields(entry["shape"], label)
    assert _comparable(extra) == expected
    assert extra["delete"]["shape"] == "NoneType"  # DELETE still answers without a body
    for label, entry in extra.items():
        assert entry["msg"] == sound[label]["msg"], label


def test_delay_ms_slows_every_answer_only(sound):
    slow = _variant(delay_ms=DELAY_MS)
    assert _comparable(slow) == _comparable(sound)
    seconds = [e["seconds"] for e in slow.values() if e["seconds"] is not None]
    assert min(seconds) >= DELAY_MS / 1000


def test_unknown_job_status_400_changes_unknown_jobs_only(sound):
    other = _variant(unknown_job_status=400)
    expected = _comparable(sound)
    for label in ("show-unknown", "delete-unknown", "command-unknown"):
        expected[label].update(status=400, shape={"error_code": "MSS.00000003",
                                                  "error_msg": "str"})
    assert _comparable(other) == expected


def test_excute_failed_refusal_changes_refused_commands_only(sound):
    other = _variant(refusal="excute-failed")
    expected = _comparable(sound)
    for label in ("submit-unconfirmed", "submit-in-training", "na-only"):
        expected[label].update(status=200, shape={"commond_result": "EXCUTE_FAILED",
                                                  "excute_failed_msg": "str"})
    assert _comparable(other) == expected


@pytest.mark.parametrize("options", [dict(delay_ms=-1), dict(delay_ms=10**9)])
def test_bad_variant_options_are_refused(options):
    with pytest.raises(ValueError, match="delay_ms"):
        start_server(**options)


# --- the silent-point variants (docs/silent-points.md): each alone, then all together ---

SILENT = [name for name in VARIANTS if name not in OPTION_SPELLINGS]
# what each variant changes in the common transcript; the rest must stay as the sound one
TRANSCRIPT_CHANGES = {
    "omit-empty-arrays": {"parts": {"shape": {"commond_result": "EXCUTE_SUCCESS"}}},
    "delete-204": {"delete": {"status": 204, "type": None}},
    "method-405": {"wrong-method": {"status": 405}},
}


@contextmanager
def serving(*variants, **options):
    srv, thread = start_server(**{**OPTIONS, **options}, variants=variants)
    try:
        yield Api(srv.url, strict=False)
    finally:
        stop_server(srv, thread)


def _result(r) -> str | None:
    return r.json().get("commond_result") if r.status_code == 200 else None


def _created(a, parts=2) -> str:
    return a.call("POST", a.jobs(), json={"name": "v", "video_multipart_count": parts}
                  ).json()["job_id"]


def _upload_all(a, parts=2) -> str:
    created = a.call("POST", a.jobs(), json={"name": "v", "video_multipart_count": parts}).json()
    for url in created["training_video_upload_url"]:
        assert requests.put(url, data=b"part", timeout=5).status_code == 200
    return created["job_id"]


@pytest.mark.parametrize("name", [name for name in SILENT if name != "absent-as-null"])
def test_each_variant_changes_only_its_own_answers_in_the_transcript(sound, name):
    other = _variant(variants=[name])
    expected = _comparable(sound)
    for label, change in TRANSCRIPT_CHANGES.get(name, {}).items():
        expected[label].update(change)
    assert _comparable(other) == expected


def test_lenient_upload_confirm_confirms_before_the_parts_arrive():
    with serving() as sound, serving("lenient-upload-confirm") as lenient:
        assert_error(sound.command(_created(sound), {"command": "CONFIRM_MULTIPART_UPLOADED"}),
                     400)
        job = _created(lenient)
        assert _result(lenient.command(job, {"command": "CONFIRM_MULTIPART_UPLOADED"})) == \
            "EXCUTE_SUCCESS"
        assert _result(lenient.command(job, {"command": "SUBMITVERIFYING"})) == "EXCUTE_SUCCESS"
        assert lenient.state(job) == "AUTO_VERIFYING"


def test_confirm_upload_once_refuses_the_second_confirmation():
    confirm = {"command": "CONFIRM_MULTIPART_UPLOADED"}
    with serving() as sound, serving("confirm-upload-once") as once:
        job = sound.seed("WAIT_FILE_UPLOAD")
        assert [_result(sound.command(job, confirm)) for _ in "12"] == ["EXCUTE_SUCCESS"] * 2
        job = once.seed("WAIT_FILE_UPLOAD")
        assert _result(once.command(job, confirm)) == "EXCUTE_SUCCESS"
        assert_error(once.command(job, confirm), 400)
        assert _result(once.command(job, {"command": "SUBMITVERIFYING"})) == "EXCUTE_SUCCESS"


def test_confirm_upload_once_keeps_its_rule_beside_lenient_confirm():
    confirm = {"command": "CONFIRM_MULTIPART_UPLOADED"}
    with serving("lenient-upload-confirm", "confirm-upload-once") as a:
        job = _created(a)
        assert _result(a.command(job, confirm)) == "EXCUTE_SUCCESS"
        assert_error(a.command(job, confirm), 400)


def test_submit_unconfirmed_needs_the_parts_but_no_confirmation():
    submit = {"command": "SUBMITVERIFYING"}
    with serving() as sound, serving("submit-unconfirmed") as other:
        assert_error(sound.command(sound.seed("WAIT_FILE_UPLOAD"), submit), 400)
        job = other.seed("WAIT_FILE_UPLOAD")  # its one part is uploaded
        assert _result(other.command(job, submit)) == "EXCUTE_SUCCESS"
        assert other.state(job) == "AUTO_VERIFYING"
        missing = _created(other)
        assert_error(other.command(missing, submit), 400)
        assert other.state(missing) == "WAIT_FILE_UPLOAD"
        assert _result(other.command(_upload_all(other), submit)) == "EXCUTE_SUCCESS"


@pytest.mark.parametrize("failed", ["AUTO_VERIFY_FAILED", "MANUAL_VERIFY_FAILED"])
def test_resubmit_any_message_resubmits_without_update_video(failed):
    submit = {"command": "SUBMITVERIFYING"}
    with serving() as sound, serving("resubmit-any-message") as other:
        assert_error(sound.command(sound.seed(failed), submit), 400)
        job = other.seed(failed)
        assert _result(other.command(job, submit)) == "EXCUTE_SUCCESS"
        assert other.state(job) == "AUTO_VERIFYING"


def test_submit_to_manual_review_lands_in_a_deletable_review_state():
    with serving("submit-to-manual-review") as a:
        job = a.seed("WAIT_FILE_UPLOAD")
        assert _result(a.command(job, {"command": "CONFIRM_MULTIPART_UPLOADED"})) == \
            "EXCUTE_SUCCESS"
        assert _result(a.command(job, {"command": "SUBMITVERIFYING"})) == "EXCUTE_SUCCESS"
        assert a.state(job) == "MANUAL_VERIFYING"
        again = a.seed("AUTO_VERIFY_FAILED")
        body = {"command": "SUBMITVERIFYING", "command_message": "UPDATE_VIDEO"}
        assert _result(a.command(again, body)) == "EXCUTE_SUCCESS"
        assert a.state(again) == "MANUAL_VERIFYING"
        assert a.delete(job).status_code == 200  # MANUAL_VERIFYING is deletable (seed)


@pytest.mark.parametrize("state", ["TRAINING", "JOB_FINISH", "AUTO_VERIFYING"])
def test_parts_query_anywhere_answers_in_every_state(state):
    query = {"command": "GET_MULTIPART_UPLOADED"}
    with serving() as sound, serving("parts-query-anywhere") as other:
        assert_error(sound.command(sound.seed(state), query), 400)
        job = other.seed(state)
        answer = other.command(job, query)
        assert answer.json() == {"commond_result": "EXCUTE_SUCCESS", "multipart_data": []}
        assert other.state(job) == state


def test_answer_only_when_waiting_refuses_a_pended_job():
    body = {"command": "CONFIRM_ANSWER", "comment_data": {"comment_message": "m"}}
    with serving("answer-only-when-waiting") as a:
        pending = a.seed("JOB_PENDING", NA)
        assert_error(a.command(pending, body, project=NA), 400)
        assert a.state(pending, NA) == "JOB_PENDING"
        assert a.show(pending, NA).json()["comment_logs"] == []
        waiting = a.seed("WAIT_USER_CONFIRM", NA)
        assert _result(a.command(waiting, body, project=NA)) == "EXCUTE_SUCCESS"


def test_answer_needs_comment_refuses_a_bare_answer():
    with serving("answer-needs-comment") as a:
        job = a.seed("WAIT_USER_CONFIRM", NA)
        assert_error(a.command(job, {"command": "CONFIRM_ANSWER"}, project=NA), 400)
        assert a.show(job, NA).json()["comment_logs"] == []
        body = {"command": "CONFIRM_ANSWER", "comment_data": {"attachment_name": ["a.png"]}}
        answer = a.command(job, body, project=NA).json()
        assert answer["commond_result"] == "EXCUTE_SUCCESS"
        assert len(answer["attachment_upload_url"]) == 1


@pytest.mark.parametrize(("command", "end"), [("CONFIRM_ACCEPT", "JOB_FINISH"),
                                              ("CONFIRM_REJECT", "JOB_REJECT")])
def test_decide_from_pending_accepts_and_rejects_a_pended_job(command, end):
    with serving() as sound, serving("decide-from-pending") as other:
        assert_error(sound.command(sound.seed("JOB_PENDING", NA), {"command": command},
                                   project=NA), 400)
        job = other.seed("JOB_PENDING", NA)
        assert _result(other.command(job, {"command": command}, project=NA)) == "EXCUTE_SUCCESS"
        assert other.state(job, NA) == end
        standard = other.seed("JOB_PENDING")  # still NA-only
        assert_error(other.command(standard, {"command": command}), 400)
        assert other.state(standard) == "JOB_PENDING"


def test_no_seeded_parts_seeds_an_upload_job_without_parts():
    with serving("no-seeded-parts") as a:
        job = a.seed("WAIT_FILE_UPLOAD")
        assert a.command(job, {"command": "GET_MULTIPART_UPLOADED"}).json()["multipart_data"] == []
        assert_error(a.command(job, {"command": "CONFIRM_MULTIPART_UPLOADED"}), 400)
        uploaded = _upload_all(a)  # Create and upload work as before
        parts = a.command(uploaded, {"command": "GET_MULTIPART_UPLOADED"}).json()
        assert [p["part_number"] for p in parts["multipart_data"]] == ["1", "2"]


def test_parts_without_etag_reports_part_numbers_only():
    with serving("parts-without-etag") as a:
        parts = a.command(_upload_all(a), {"command": "GET_MULTIPART_UPLOADED"}).json()
        assert parts["multipart_data"] == [{"part_number": "1"}, {"part_number": "2"}]
        assert schema_errors("ExecuteCommandResponseBody", parts) == []


def test_omit_empty_arrays_leaves_out_empty_lists_only():
    with serving("omit-empty-arrays") as a:
        assert a.command(_created(a), {"command": "GET_MULTIPART_UPLOADED"}).json() == \
            {"commond_result": "EXCUTE_SUCCESS"}
        parts = a.command(_upload_all(a), {"command": "GET_MULTIPART_UPLOADED"}).json()
        assert len(parts["multipart_data"]) == 2
        job = a.seed("WAIT_USER_CONFIRM", NA)
        bare = a.command(job, {"command": "CONFIRM_ANSWER"}, project=NA).json()
        assert bare == {"commond_result": "EXCUTE_SUCCESS"}
        assert a.call("GET", a.jobs(), params={"job_id": "0" * 32}).json()["jobs"] == []


def test_delete_204_answers_without_a_body():
    with serving("delete-204") as a:
        job = a.seed("JOB_FINISH")
        r = a.delete(job)
        assert r.status_code == 204 and r.content == b"" and r.headers.get("X-Request-Id")
        assert "Content-Type" not in r.headers
        assert_error(a.show(job), 404)
        assert_error(a.delete(a.seed("TRAINING")), 400)


def test_delete_status_alternates_between_the_two_documented_answers():
    with serving("delete-status-alternates") as a:
        statuses = [a.delete(a.seed("JOB_FINISH")).status_code for _ in range(4)]
        assert statuses == [200, 204, 200, 204]
        assert_error(a.delete(a.seed("TRAINING")), 400)  # a refusal is not a turn
        assert a.delete(a.seed("JOB_FINISH")).status_code == 200


@pytest.mark.parametrize(("method", "suffix", "allow"), [
    ("PATCH", "/{job}/command", "POST"), ("PUT", "/{job}", "DELETE, GET"),
    ("DELETE", "", "POST, GET")])
def test_method_405_lists_the_documented_methods(method, suffix, allow):
    with serving("method-405") as a:
        job = a.seed("JOB_FINISH")
        r = a.call(method, a.jobs(suffix=suffix.format(job=job)))
        assert_error(r, 405, "MSS.00010004")
        assert set(r.headers["Allow"].split(", ")) == set(allow.split(", "))
        assert a.state(job) == "JOB_FINISH"
        assert_error(a.call("GET", "/nope"), 400, "MSS.00010003")  # unknown paths as before


def test_method_405_covers_upload_urls_too():
    with serving("method-405") as a:
        created = a.call("POST", a.jobs(), json={"name": "v"}).json()
        r = a.call("GET", created["training_video_upload_url"][0].removeprefix(a.url))
        assert_error(r, 405)
        assert r.headers["Allow"] == "PUT"


@pytest.mark.parametrize(("body", "headers"), [
    ({"command": 1}, {}), ({}, {}), ({"command": "SUBMITVERIFYING"}, {"X-App-UserId": CHINESE})])
def test_validate_job_first_reports_the_unknown_job_before_the_parameters(body, headers):
    unknown = "0" * 32
    with serving() as sound, serving("validate-job-first") as other:
        assert_error(sound.command(unknown, body, headers=headers), 400)
        assert_error(other.command(unknown, body, headers=headers), 404, "MSS.41000003")
        assert_error(other.command(other.seed("JOB_FINISH"), body, headers=headers), 400)
    with serving("validate-job-first", "unknown-job-400") as both:
        assert_error(both.command(unknown, body, headers=headers), 400, "MSS.00000003")


def test_validate_job_first_covers_delete_and_show():
    with serving("validate-job-first") as a:
        for r in (a.delete("0" * 32, headers={"X-App-UserId": CHINESE}),
                  a.show("0" * 32, headers={"X-App-UserId": CHINESE})):
            assert_error(r, 404, "MSS.41000003")


def test_null_as_absent_treats_null_optional_fields_as_missing():
    body = {"command": "GET_MULTIPART_UPLOADED", "command_message": None,
            "operation_reason": None, "comment_data": {"comment_title": None}}
    with serving() as sound, serving("null-as-absent") as other:
        assert_error(sound.command(sound.seed("WAIT_FILE_UPLOAD"), body), 400)
        job = other.seed("WAIT_FILE_UPLOAD")
        assert _result(other.command(job, body)) == "EXCUTE_SUCCESS"
        assert_error(other.command(job, {"command": None}), 400)  # required stays required
        assert_error(other.command(job, {"command": "GET_MULTIPART_UPLOADED",
                                         "comment_data": {"attachment_name": [None]}}), 400)
        created = other.call("POST", other.jobs(), json={"name": "n", "batch_name": None,
                                                        "video_multipart_count": None})
        assert len(created.json()["training_video_upload_url"]) == 1  # the spec's default


def test_null_as_absent_is_not_fooled_by_deep_nesting():
    deep = b'{"command": "GET_MULTIPART_UPLOADED", "x": ' + b"{\"a\": " * 900 + b"null" + \
        b"}" * 900 + b"}"
    with serving("null-as-absent") as a:
        r = a.call("POST", a.jobs(suffix=f"/{a.seed('WAIT_FILE_UPLOAD')}/command"), data=deep,
                   headers={"Content-Type": "application/json"})
        assert r.status_code in (200, 400) and r.headers.get("X-Request-Id")


# absent-as-null: the optional members each answer of the transcript leaves out
# (`name` or `array.member` for the items of an array); error bodies have none (ErrorBody
# requires both its members), Create's answer carries all of its own.
LEFT_OUT = {
    "show": ["contact", "batch_name", "model_version", "operation_logs.error_code"],
    "list": ["jobs.batch_name"],
    "parts": ["attachment_upload_url", "excute_failed_msg", "error_info"],
    "na-accept": ["attachment_upload_url", "multipart_data", "excute_failed_msg", "error_info"],
}


def _with_nulls(shape: dict, names: list[str]) -> dict:
    shape = copy.deepcopy(shape)
    for name in names:
        array, _, member = name.partition(".")
        if member:  # `error_code` keeps its value in a shape, so its null shows as None
            for item in shape[array]:
                item[member] = None if member == "error_code" else "NoneType"
        else:
            shape[name] = "NoneType"
    return shape


def test_absent_as_null_sends_null_for_each_absent_optional_field_only(sound):
    other = _variant(variants=["absent-as-null"])
    expected = _comparable(sound)
    for label, names in LEFT_OUT.items():
        expected[label]["shape"] = _with_nulls(expected[label]["shape"], names)
    assert _comparable(other) == expected


def _without_nulls(value):
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(item) for item in value]
    return value


def test_absent_as_null_reaches_refusals_and_the_other_variants_answers():
    """Beside excute-failed-refusal, parts-without-etag and omit-empty-arrays: null takes
    the place of every member they leave out; a required member is never null."""
    with serving("absent-as-null", "excute-failed-refusal", "parts-without-etag",
                 "omit-empty-arrays") as a:
        job = _upload_all(a)
        refused = a.command(a.seed("TRAINING"), {"command": "SUBMITVERIFYING"}).json()
        assert refused["commond_result"] == "EXCUTE_FAILED"
        assert refused["error_info"] is None and refused["multipart_data"] is None
        parts = a.command(job, {"command": "GET_MULTIPART_UPLOADED"}).json()
        assert parts["multipart_data"] == [{"part_number": "1", "etag": None},
                                           {"part_number": "2", "etag": None}]
        for body in (refused, parts):
            assert schema_errors("ExecuteCommandResponseBody", _without_nulls(body)) == []
        assert_error(a.command("0" * 32, {"command": "SUBMITVERIFYING"}), 404)


def _huge(command: str, size=2 * 1024 * 1024) -> bytes:
    return json.dumps({"command": command, "operation_reason": "x" * size}).encode()


@pytest.mark.parametrize("command", ["SUBMITVERIFYING", "GET_MULTIPART_UPLOADED"])
def test_accept_large_bodies_reads_them_and_answers_excute_failed(command):
    with serving() as sound, serving("accept-large-bodies") as other:
        job = sound.seed("WAIT_FILE_UPLOAD")
        assert_error(sound.call("POST", sound.jobs(suffix=f"/{job}/command"), data=_huge(command),
                                headers={"Content-Type": "application/json"}), 400)
        job = other.seed("WAIT_FILE_UPLOAD")
        before = other.show(job).json()
        r = other.call("POST", other.jobs(suffix=f"/{job}/command"), data=_huge(command),
                       headers={"Content-Type": "application/json"})
        assert r.status_code == 200 and r.json()["commond_result"] == "EXCUTE_FAILED"
        assert r.json()["excute_failed_msg"]
        assert other.show(job).json() == before
        small = other.command(job, {"command": command, "operation_reason": "short"})
        assert small.status_code in (200, 400) and _result(small) != "EXCUTE_FAILED"


def test_accept_large_bodies_still_has_a_limit():
    with serving("accept-large-bodies") as a:
        job = a.seed("WAIT_FILE_UPLOAD")
        r = a.call("POST", a.jobs(suffix=f"/{job}/command"),
                   data=_huge("SUBMITVERIFYING", 17 * 1024 * 1024),
                   headers={"Content-Type": "application/json"})
        assert_error(r, 400, "MSS.00000002")


@pytest.mark.parametrize("body", [
    {"command": "GET_MULTIPART_UPLOADED", "colour": "blue"},
    {"command": "GET_MULTIPART_UPLOADED", "comment_data": {"comment_mood": "happy"}}])
def test_reject_unknown_fields_refuses_undocumented_fields(body):
    with serving() as sound, serving("reject-unknown-fields") as other:
        assert _result(sound.command(sound.seed("WAIT_FILE_UPLOAD"), body)) == "EXCUTE_SUCCESS"
        assert_error(other.command(other.seed("WAIT_FILE_UPLOAD"), body), 400, "MSS.10000003")
        documented = {"command": "GET_MULTIPART_UPLOADED", "operation_reason": "r",
                      "comment_data": {"comment_title": "t"}}
        assert _result(other.command(other.seed("WAIT_FILE_UPLOAD"), documented)) == \
            "EXCUTE_SUCCESS"


@pytest.mark.parametrize(("content_type", "refused"), [
    (None, True), ("text/plain", True), ("application/json; charset=utf-8", False),
    ("Application/JSON", False)])
def test_require_json_content_type(content_type, refused):
    body = b'{"command": "GET_MULTIPART_UPLOADED"}'
    headers = {"Content-Type": content_type} if content_type else {}
    with serving() as sound, serving("require-json-content-type") as other:
        for a in (sound, other):
            r = a.call("POST", a.jobs(suffix=f"/{a.seed('WAIT_FILE_UPLOAD')}/command"),
                       data=body, headers=headers)
            if a is other and refused:
                assert_error(r, 400, "MSS.10000002")
            else:
                assert _result(r) == "EXCUTE_SUCCESS"


def test_short_app_user_id_refuses_long_ids():
    with serving() as sound, serving("short-app-user-id") as other:
        assert sound.show(sound.seed("JOB_FINISH"), headers={"X-App-UserId": "u" * 17}
                          ).status_code == 200
        job = other.seed("JOB_FINISH")
        assert other.show(job, headers={"X-App-UserId": "u" * 16}).status_code == 200
        assert_error(other.delete(job, headers={"X-App-UserId": "u" * 17}), 400, "MSS.00000003")
        assert other.state(job) == "JOB_FINISH"


def test_uuid_job_ids_are_dashed_and_serve_every_operation():
    with serving() as sound, serving("uuid-job-ids") as other:
        assert len(sound.seed("JOB_FINISH")) == 32 and len(_created(sound)) == 32
        for job in (other.seed("JOB_FINISH"), _created(other)):
            assert len(job) == 36 and job.count("-") == 4, job
            assert other.show(job).status_code == 200
        assert _result(other.command(job, {"command": "GET_MULTIPART_UPLOADED"})) == \
            "EXCUTE_SUCCESS"
        assert other.delete(job).status_code == 200 and other.show(job).status_code == 404


BODY_FIELDS = SPEC["components"]["schemas"]["ExecuteCommandRequestBody"]["properties"]


@pytest.mark.parametrize("command", BODY_FIELDS["command"]["x-also-accepted"])
def test_sdk_commands_are_valid_values_refused_as_not_allowed_now(command):
    with serving() as sound, serving("sdk-commands") as other, \
            serving("sdk-commands", refusal="excute-failed") as failing:
        assert_error(sound.command(sound.seed("WAIT_FILE_UPLOAD"), {"command": command}), 400,
                     "MSS.10000003")
        job = other.seed("WAIT_FILE_UPLOAD")
        assert_error(other.command(job, {"command": command}), 400, "MSS.00000003")
        assert other.state(job) == "WAIT_FILE_UPLOAD"
        job = failing.seed("WAIT_FILE_UPLOAD")
        assert _result(failing.command(job, {"command": command})) == "EXCUTE_FAILED"
        assert_error(other.command(job, {"command": command + "X"}), 400, "MSS.10000003")


@pytest.mark.parametrize("message", BODY_FIELDS["command_message"]["x-also-accepted"])
def test_sdk_commands_accepts_the_later_command_messages(message):
    body = {"command": "GET_MULTIPART_UPLOADED", "command_message": message}
    with serving() as sound, serving("sdk-commands") as other:
        assert_error(sound.command(sound.seed("WAIT_FILE_UPLOAD"), body), 400, "MSS.10000003")
        assert _result(other.command(other.seed("WAIT_FILE_UPLOAD"), body)) == "EXCUTE_SUCCESS"


def test_registry_names_and_older_options_are_one_choice():
    assert Options(variants=frozenset({"unknown-job-400", "excute-failed-refusal"})) \
        .unknown_job_status == 400
    older = Options(refusal="excute-failed", alt_errors=True)
    assert older.variants == {"excute-failed-refusal", "alt-errors"}
    assert Options(variants=frozenset({"accept-large-bodies"})).max_body == LARGE_BODY
    with pytest.raises(ValueError, match="unknown variant 'nope'"):
        Options(variants=frozenset({"nope"}))


def test_all_variants_together_still_serve_every_answer():
    with serving(*VARIANTS) as a:
        strict = Api(a.url)  # X-Request-Id everywhere, never a 5xx
        walk = transcript(strict)
        assert walk["delete"]["status"] == 204 and walk["wrong-method"]["status"] == 405
        assert walk["command-unknown"]["status"] == 400  # unknown-job-400
        job = strict.seed("WAIT_FILE_UPLOAD")
        assert strict.command(job, {"command": "SUBMITVERIFYING"}).json()["commond_result"] \
            == "EXCUTE_FAILED"  # no part seeded, so not even submit-unconfirmed lets it pass


def test_cli_lists_and_combines_variants(capsys):
    assert cli_main(["--list-variants"]) == 0
    listed = [line.split(None, 1) for line in capsys.readouterr().out.splitlines()]
    assert [name for name, _ in listed] == list(VARIANTS) and all(d for _, d in listed)
    with pytest.raises(SystemExit):
        cli_main(["--help"])
    helped = " ".join(capsys.readouterr().out.split())
    valued = {"unknown-job-400": "--unknown-job-status", "excute-failed-refusal": "--refusal",
              "method-405": "--method-status", "delete-204": "--delete-status"}
    for name in VARIANTS:
        assert valued.get(name, f"--{name}") in helped, name
    assert "--all-variants" in helped and "--variants" in helped
    assert cli_main(["--variants", "nope"]) == 2
    assert "unknown variant 'nope'" in capsys.readouterr().err


def test_cli_variant_spellings_reach_the_server():
    argv = ["--port", "0", "--variants", "null-as-absent,no-seeded-parts", "--delete-status",
            "204", "--method-status", "405", "--refusal", "excute-failed", "--parts-without-etag"]
    proc = subprocess.Popen([*SERVE, *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        url = proc.stdout.readline().strip().removeprefix("serving on ")
        proc.terminate()
        assert proc.wait(timeout=10) == 0
        banner = proc.stderr.read()
        assert ("variants=delete-204,excute-failed-refusal,method-405,no-seeded-parts,"
                "null-as-absent,parts-without-etag") in banner, banner
        assert url.startswith("http://127.0.0.1:")
    finally:
        proc.kill()
        proc.wait()
    everything = subprocess.Popen([*SERVE, "--port", "0", "--all-variants"],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert everything.stdout.readline().startswith("serving on ")
        everything.terminate()
        everything.wait(timeout=10)
        assert "variants=" + ",".join(sorted(VARIANTS)) in everything.stderr.read()
    finally:
        everything.kill()
        everything.wait()


def test_the_server_imports_nothing_of_the_suite():
    """It reads the spec as package data only, so a suite bug cannot hide in both."""
    package = Path(reference_server.__file__).parent
    for source in package.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                     [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level
                     else [])
            for name in names:
                assert not name.startswith("metastudio_conformance") or name.startswith(
                    ("metastudio_conformance.reference_server",
                     "metastudio_conformance.openapi")), (source.name, name)
