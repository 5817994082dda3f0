"""The silent-point labels (conformance/silent_answers.py): each reads the same choice the
same way whoever answered, and says nothing when its pair cannot tell."""

from __future__ import annotations

import json

import pytest

from metastudio_conformance import silent_answers as read
from metastudio_conformance.answers import Answer


def _answer(status: int, body=None, **headers) -> Answer:
    raw = json.dumps(body).encode() if body is not None else b""
    return Answer(status, headers, body, raw)


DONE = _answer(200, {"commond_result": "EXCUTE_SUCCESS", "multipart_data": []})
FAILED = _answer(200, {"commond_result": "EXCUTE_FAILED"})


def _error(status=400, code="MSS.10000003", message="parameter validation failed"):
    return _answer(status, {"error_code": code, "error_msg": message})


def test_outcome_names_carried_out_read_and_refused():
    assert read.outcome(DONE) == "carried out"
    assert read.outcome(FAILED) == "200 EXCUTE_FAILED"
    assert read.outcome(_error(413, "X")) == "refused (413)"
    assert read.outcome(_answer(302)) == "302"


def test_a_probe_is_read_only_beside_a_twin_carried_out():
    assert read.beside_carried_out(DONE, DONE, "ignored", "refused") == "ignored"
    assert read.beside_carried_out(DONE, _error(), "ignored", "refused") == "refused"
    assert read.beside_carried_out(DONE, FAILED, "ignored", "refused") == "refused"
    assert read.beside_carried_out(_error(), _error(), "ignored", "refused") is None


def test_validation_order_is_the_same_refusal_as_the_unknown_job_or_another():
    unknown = _error(404, "MSS.41000003", "task does not exist")
    assert read.validation_order(unknown, unknown) == "the job first"
    assert read.validation_order(unknown, _error()) == "the parameters first"
    # an unknown job answered 400 with another code: still the parameters first
    assert read.validation_order(_error(400, "MSS.00000003", "no such job"),
                                 _error()) == "the parameters first"
    assert read.validation_order(DONE, _error()) is None  # the twin was not refused


@pytest.mark.parametrize("parts, label", [([], "no part"), (None, "no part"),
                                          ([{"part_number": "1"}], "1 part"),
                                          ([{}, {}], "2 parts")])
def test_seeded_parts_counts_the_parts_reported(parts, label):
    assert read.seeded_parts(_answer(200, {"commond_result": "EXCUTE_SUCCESS",
                                           "multipart_data": parts})) == label
    assert read.seeded_parts(_error()) is None


def test_extra_fields_are_any_field_the_schema_does_not_list_nested_too():
    assert read.extra_fields([DONE, _error()]) == "documented fields only"
    assert read.extra_fields([DONE, _answer(400, {"error_code": "X", "error_msg": "y",
                                                  "request_id": "1"})]) == "extra fields"
    nested = {"commond_result": "EXCUTE_SUCCESS",
              "multipart_data": [{"part_number": "1", "etag": "e", "size": 3}]}
    assert read.extra_fields([_answer(200, nested)]) == "extra fields"
    assert read.extra_fields([_answer(204)]) is None


@pytest.mark.parametrize("item, label", [({"part_number": "1", "etag": "e"},
                                          "part_number and etag"),
                                         ({"part_number": "1"}, "part_number only"),
                                         ({"part_number": "1", "etag": None},
                                          "part_number only"),
                                         ({"etag": "e"}, "etag only"), ({}, "neither")])
def test_multipart_items_say_which_fields_they_carry(item, label):
    answer = _answer(200, {"commond_result": "EXCUTE_SUCCESS", "multipart_data": [item]})
    assert read.multipart_data_items(answer) == label
    assert read.multipart_data_items(DONE) is None  # nothing uploaded: cannot tell


def test_empty_arrays_are_empty_left_out_or_null():
    assert read.empty_arrays(DONE) == "[]"
    assert read.empty_arrays(_answer(200, {"commond_result": "EXCUTE_SUCCESS"})) == "left out"
    assert read.empty_arrays(_answer(200, {"commond_result": "EXCUTE_SUCCESS",
                                           "multipart_data": None})) == "null"
    assert read.empty_arrays(_answer(200, {"commond_result": "EXCUTE_SUCCESS",
                                           "multipart_data": [{}]})) is None


def test_error_code_choice_names_both_codes():
    assert read.error_code_choice(_error(), _error(code="MSS.10000002")) == \
        "invalid value: MSS.10000003; malformed JSON: MSS.10000002"
    assert read.error_code_choice(FAILED, _error(code="MSS.00000002")) == \
        "invalid value: 200 EXCUTE_FAILED; malformed JSON: MSS.00000002"
    assert read.error_code_choice(DONE, _error()) is None


def test_a_later_sdk_command_is_read_beside_an_undocumented_value():
    invalid = _error(message="command NOPE is not valid")
    assert read.sdk_command(invalid, _error(message="command CONFIRM_REPAIR is not valid")) \
        == "refused as an invalid value"  # the same code: the message may echo the value
    assert read.sdk_command(invalid, _error(code="MSS.00000003")) == \
        "known, refused as not allowed now"
    assert read.sdk_command(invalid, FAILED) == "known, refused as not allowed now"
    assert read.sdk_command(invalid, DONE) == "carried out"


def test_null_in_answer_fields_is_null_or_left_out_and_none_when_all_are_there():
    assert read.null_in_answer_field(DONE) == "left out"
    assert read.null_in_answer_field(_answer(200, {"commond_result": "EXCUTE_SUCCESS",
                                                   "excute_failed_msg": None})) == "null"
    full = {"commond_result": "EXCUTE_SUCCESS", "attachment_upload_url": [],
            "multipart_data": [], "excute_failed_msg": "", "error_info": {}}
    assert read.null_in_answer_field(_answer(200, full)) is None


def test_framing_delete_status_and_job_id_forms():
    assert read.framing(DONE, DONE) == "like its twin"
    assert read.framing(DONE, _error()) == "refused (400)"
    assert read.framing(DONE, _answer(411)) == "refused (411)"  # RFC 9112's other answer
    assert read.framing(DONE, _answer(302)) == "differs"
    assert read.delete_status(_answer(204)) == "204"
    assert read.delete_status(_error()) is None
    assert read.job_id_form("efc5300ecdba4ea48d1ff13a9d907bc0") == "32 lower-case hex"
    assert read.job_id_form("2f1c7a3e-0b4d-4e8a-9c1f-5d6e7f8a9b0c") == "a dashed UUID"
    assert read.job_id_form("JOB-42") == "6 characters: digits, upper case, other"
    assert read.job_id_form(None) is None
