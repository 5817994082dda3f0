"""The silent points (docs/silent-points.md): how this target answers where the documents
leave more than one answer open, one minimal pair per point.

Each test sends a probe beside its twin (the same request without the one difference),
reads the target's choice from the pair (`silent_answers`: one label per point) and notes
it in the `silent_points` matrix. Nothing here is a documented requirement: every choice
is correct. With a learned model (`learn`, then `run --model`), MOD-06 holds the target to
the choice the learned target made: a different one fails with both side by side; a point
the model does not know (`unknown`) is not judged; `either` accepts each answer seen.
Without one, the choice is only recorded and MOD-06 is disabled. Points 1-3 (the command x
state table, the refusal form, the unknown job) are the lifecycle model's (MOD-01..03).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from metastudio_conformance import contract, expect, rules
from metastudio_conformance import silent_answers as read
from metastudio_conformance.answers import Answer
from metastudio_conformance.client import new_job_id
from metastudio_conformance.learned import EITHER, POINTS
from metastudio_conformance.outcomes import Violation, disabled, not_covered
from metastudio_conformance.strategies import framing
from metastudio_conformance.strategies.near_miss_probe import QUERY_COMMAND
from metastudio_conformance.twins import SharedJob

MATRIX = "silent_points"
START = contract.initial_state()
QUERY = {"command": QUERY_COMMAND}  # carried out in the initial state, changes nothing
UNDOCUMENTED = {"command": "NOT_A_DOCUMENTED_COMMAND"}
BIG = 2 * 1024 * 1024  # bytes of comment_message: over the reference's 1 MiB, under 12 MB
LONG_USER_ID = "conformance" * 6  # 66 plain characters
FRAMED = {"bom": "request_framing.bom", "duplicate-key": "request_framing.duplicate_key",
          "chunked": "request_framing.chunked", "text-plain": "json_content_type.text_plain",
          "no-content-type": "json_content_type.none"}
OPEN_FRAMING = {FRAMED[p.id.rpartition(":")[2]]: p for p in framing.probes(contract.raw_spec())
                if p.verdict == framing.OBSERVED}


@dataclass(frozen=True)
class Found:
    """One pair's reading: the label (None: the pair cannot tell), what was sent, the
    answer that decided it."""

    label: str | None
    sent: str
    answer: Answer

    @property
    def observed(self) -> str:
        return self.answer.describe()[:300]


@pytest.fixture(scope="module")
def shared_job(jobs) -> SharedJob:
    return SharedJob(jobs, START)


def _query(api, job_id: str, body=None, **how) -> Answer:
    return expect.answer(api.command(job_id, body if body is not None else QUERY, **how))


def validation_order(api, **_) -> Found:
    job_id = new_job_id()
    twin, probe = _query(api, job_id), _query(api, job_id, UNDOCUMENTED)
    return Found(read.validation_order(twin, probe), f"{UNDOCUMENTED} to a job that never "
                 f"existed, beside {QUERY}", probe)


def null_in_optional_field(api, job_id, **_) -> Found:
    body = {**QUERY, "command_message": None}
    twin, probe = _query(api, job_id), _query(api, job_id, body)
    return Found(read.beside_carried_out(twin, probe, "as the field absent", "refused"),
                 json.dumps(body), probe)


def body_size(api, job_id, **_) -> Found:
    body = {**QUERY, "comment_data": {"comment_message": "x" * BIG}}
    twin, probe = _query(api, job_id), _query(api, job_id, body)
    label = read.outcome(probe) if read.carried_out(twin) else None
    return Found(label, f"{QUERY} with a {BIG // 2**20} MiB comment_message", probe)


def undocumented_method(api, job_id, **_) -> Found:
    path = contract.operation(contract.COMMAND_OPERATION).url_path(
        project_id=api.project_id, job_id=job_id)
    probe = expect.answer(api.request("PUT", path, json_body=QUERY))
    return Found(str(probe.status), f"PUT {path}", probe)


def seeded_parts(api, jobs, **_) -> Found:
    probe = _query(api, jobs.seeded(START))
    return Found(read.seeded_parts(probe), f"{QUERY} on a job just seeded in {START}", probe)


def extra_fields(api, job_id, **_) -> Found:
    twin, probe = _query(api, job_id), _query(api, job_id, UNDOCUMENTED)
    return Found(read.extra_fields([twin, probe]), f"{QUERY} and {UNDOCUMENTED}", probe)


def multipart_data_items(api, jobs, **_) -> Found:
    created = jobs.create()
    urls = created.get("training_video_upload_url")
    if not isinstance(urls, list) or not urls or not isinstance(urls[0], str):
        not_covered("Create gave no training_video_upload_url: no part to upload")
    api.upload(urls[0], b"part 1" * 64)
    probe = _query(api, created["job_id"])
    return Found(read.multipart_data_items(probe), f"{QUERY} after one part was uploaded",
                 probe)


def empty_arrays(api, jobs, **_) -> Found:
    probe = _query(api, jobs.create()["job_id"])
    return Found(read.empty_arrays(probe), f"{QUERY} on a job just created", probe)


def error_code_choice(api, job_id, **_) -> Found:
    invalid = _query(api, job_id, UNDOCUMENTED)
    malformed = expect.answer(api.call(contract.COMMAND_OPERATION, job_id, data=b'{"command": ',
                                       headers={"Content-Type": framing.JSON_TYPE}))
    return Found(read.error_code_choice(invalid, malformed),
                 f"{UNDOCUMENTED}, and the body '{{\"command\": '", malformed)


def unknown_body_fields(api, job_id, **_) -> Found:
    body = {**QUERY, "conformance_probe": "1"}
    twin, probe = _query(api, job_id), _query(api, job_id, body)
    return Found(read.beside_carried_out(twin, probe, "ignored", "refused"), json.dumps(body),
                 probe)


def app_user_id_length(api, job_id, **_) -> Found:
    twin = _query(api, job_id, headers={"X-App-UserId": "conformance"})
    probe = _query(api, job_id, headers={"X-App-UserId": LONG_USER_ID})
    return Found(read.beside_carried_out(twin, probe, f"{len(LONG_USER_ID)} characters "
                 "accepted", f"{len(LONG_USER_ID)} characters refused"),
                 f"{QUERY} with X-App-UserId of {len(LONG_USER_ID)} plain characters", probe)


def sdk_commands(api, job_id, **_) -> Found:
    later = {"command": contract.also_accepted_commands()[0]}
    invalid, probe = _query(api, job_id, UNDOCUMENTED), _query(api, job_id, later)
    return Found(read.sdk_command(invalid, probe), f"{later} beside {UNDOCUMENTED}", probe)


def null_in_answer_field(api, job_id, **_) -> Found:
    probe = _query(api, job_id)
    return Found(read.null_in_answer_field(probe), json.dumps(QUERY), probe)


def delete_success_status(api, jobs, **_) -> Found:
    probe = expect.answer(api.delete(jobs.in_state(START)))
    return Found(read.delete_status(probe), f"DELETE of a job in {START}", probe)


def job_id_form(api, jobs, **_) -> Found:
    created = jobs.create()
    answer = Answer(200, {}, created, json.dumps(created).encode())
    return Found(read.job_id_form(created.get("job_id")), "Create", answer)


def _framed(key: str):
    def probe_framing(api, job_id, **_) -> Found:
        probe = OPEN_FRAMING[key]
        twin = _query(api, job_id)
        headers = {"Content-Type": probe.content_type} if probe.content_type else {}
        answer = expect.answer(api.call(probe.operation, job_id, data=probe.data,
                                        headers=headers, chunked=probe.chunked))
        return Found(read.framing(twin, answer), probe.what, answer)
    return probe_framing


# Each point: its pair, and whether it runs on the shared job in the initial state.
PAIRS = {
    "validation_order": (validation_order, False),
    "null_in_optional_field": (null_in_optional_field, True),
    "body_size": (body_size, True),
    "undocumented_method": (undocumented_method, True),
    "seeded_parts": (seeded_parts, False),
    "extra_fields": (extra_fields, True),
    "delete_success_status": (delete_success_status, False),
    "multipart_data_items": (multipart_data_items, False),
    "empty_arrays": (empty_arrays, False),
    "error_code_choice": (error_code_choice, True),
    "unknown_body_fields": (unknown_body_fields, True),
    **{key: (_framed(key), True) for key in OPEN_FRAMING if key.startswith("json_")},
    "app_user_id_length": (app_user_id_length, True),
    "sdk_commands": (sdk_commands, True),
    "null_in_answer_field": (null_in_answer_field, True),
    **{key: (_framed(key), True) for key in OPEN_FRAMING if key.startswith("request_")},
    "job_id_form": (job_id_form, False),
}


@pytest.mark.requirement("MOD-06")
@pytest.mark.parametrize("point", list(PAIRS))
def test_silent_point(point, api, jobs, shared_job, lifecycle_model):
    pair, shared = PAIRS[point]
    found = []
    for _ in range(api.settings.silent_rounds or 1):  # a target may answer two ways
        if shared:
            with shared_job.use() as job_id:
                found.append(pair(api, job_id=job_id, jobs=jobs))
        else:
            found.append(pair(api, jobs=jobs))
    _judge(api, lifecycle_model.learned, point, found)


def _judge(api, learned, point: str, found: list[Found]) -> None:
    """Note each round's row; hold the labels read to the learned answer (MOD-06)."""
    rows = [{"point": point, "title": POINTS[point], "sent": each.sent, "answer": each.label,
             "observed": each.observed} for each in found]
    if all(each.label is None for each in found):
        _note(api, rows, "not judged")
        not_covered(f"{POINTS[point]}: the pair cannot tell ({found[0].observed[:120]})")
    if learned is None:
        _note(api, rows, "recorded")
        disabled("no learned model to hold the answer to (run --model FILE, written by "
                 "`learn`): recorded in the silent_points matrix")
    chosen = learned.points.get(point)
    if not isinstance(chosen, dict):
        _note(api, rows, "not learned", learned="unknown")
        not_covered(f"{POINTS[point]}: not learned from {learned.source}; either answer "
                    "passes")
    answers = list(chosen.get("answers") or {}) if chosen["answer"] == EITHER else [
        chosen["answer"]]
    evidence = chosen.get("evidence")
    example = evidence.get("answer") if isinstance(evidence, dict) else None
    learned_from = f"learned from {learned.source}: " + " | ".join(map(str, answers)) + (
        f" ({example})" if example else "")

    for each, row in zip(found, rows, strict=True):
        row = {**row, "learned": " | ".join(map(str, answers))}
        if each.label is None:
            api.run.note(MATRIX, {**row, "verdict": "not judged"})
            continue
        try:  # strict (a model given): the first difference ends the test, after its row
            agrees = expect.deviation(api, rules.silent_point_as_learned, POINTS[point],
                                      each.label, each.observed, answers, learned_from)
        except Violation:
            api.run.note(MATRIX, {**row, "verdict": "differs"})
            raise
        api.run.note(MATRIX, {**row, "verdict": "agrees" if agrees else "differs"})


def _note(api, rows: list[dict], verdict: str, **more) -> None:
    for row in rows:
        api.run.note(MATRIX, {**row, **more, "verdict": verdict})
