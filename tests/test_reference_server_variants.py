"""Legitimately different configurations change only what they say.

One transcript (a fixed walk over every endpoint, successes and refusals) is taken from
the sound server and from each variant; each variant's transcript must equal the sound
one after exactly the change the option documents.
"""

from __future__ import annotations

import copy
import http.client
import json

import pytest
from metastudio_conformance.reference_server import start_server, stop_server
from metastudio_conformance.reference_server.variants import (
    ALT_CODES,
    EXTRA_JOB_FIELDS,
    GATEWAY_SIGNATURE_CODE,
)

from tests.reference_helpers import NA, OPTIONS, SK, STD, TOKEN, Api, signed

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
