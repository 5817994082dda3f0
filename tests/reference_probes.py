"""One probe per fault of the reference server: a few requests and the one observation the
fault is about, small enough to compare with `==`.

`PROBES[fault] = (probe, what a sound server shows, what the faulty one shows)`. A probe
looks only at what its fault claims to change (status, one field, one header), so faults
that break something else leave it alone; where two faults really change the same thing,
`OVERLAPS` says what the other fault's probe sees instead. Probes take an `Api` and make
fewer than 50 API requests (the counting faults rely on that), except random-500's own.
"""

from __future__ import annotations

import http.client
import json
import time
import uuid
from datetime import UTC, datetime, timedelta

from tests.reference_helpers import CHINESE, NA, SK, Api, signed

JSON_TYPE = "application/json;charset=UTF-8"
QUIET = "c" * 32  # a project no probe puts jobs in: listing it stays cheap


def _json(r):
    try:
        return json.loads(r.text)
    except ValueError:
        return None


def _result(r):
    body = _json(r)
    return r.status_code, body.get("commond_result") if isinstance(body, dict) else None


def _parts(a):
    return a.command(a.seed("WAIT_FILE_UPLOAD"), {"command": "GET_MULTIPART_UPLOADED"}).json()


def _confirm_parts(a):
    return a.command(a.seed("WAIT_FILE_UPLOAD"), {"command": "CONFIRM_MULTIPART_UPLOADED"}).json()


def _delete_then_show(a, state):
    job = a.seed(state)
    return a.delete(job).status_code, a.show(job).status_code


def _na_command_as_standard(a):
    job = a.seed("WAIT_USER_CONFIRM")
    return a.command(job, {"command": "CONFIRM_ACCEPT"}).status_code, a.state(job)


def _request_ids(a):
    answers = (a.show(a.seed("TRAINING")), a.show("0" * 32), a.call("GET", "/nope"))
    return tuple(bool(r.headers.get("X-Request-Id")) for r in answers)


def _ids_on_errors(a):
    job = a.seed("TRAINING")
    answers = (a.show(job), a.show("0" * 32), a.command(job, {"command": 1}))
    return tuple(bool(r.headers.get("X-Request-Id")) for r in answers)


def _ids_on_delete(a):
    answers = (a.delete(a.seed("JOB_SUCCESS")), a.delete("0" * 32), a.show(a.seed("TRAINING")))
    return tuple(bool(r.headers.get("X-Request-Id")) for r in answers)


def _content_types(a):
    return tuple(r.headers.get("Content-Type") for r in (a.show(a.seed("TRAINING")),
                                                         a.call("GET", "/nope")))


def _error_pages(a):
    answers = (a.call("GET", "/nope"), a.show("0" * 32))
    return [(r.status_code, "json" if isinstance(_json(r), dict) else r.text) for r in answers]


def _schema_invalid_command(a):
    r = a.command(a.seed("WAIT_FILE_UPLOAD"), {"command": "FROBNICATE"})
    return r.status_code, "error_code" in (_json(r) or {})


def _ill_typed_comment_data(a):
    job = a.seed("WAIT_USER_CONFIRM", project=NA)
    body = {"command": "CONFIRM_PENDING", "comment_data": {"comment_title": 5}}
    return a.command(job, body, project=NA).status_code, a.state(job, NA)


def _empty_command(a):
    return a.call("POST", a.jobs(suffix=f"/{a.seed('WAIT_FILE_UPLOAD')}/command"),
                  data=b"").status_code


def _delete_leaves_others(a):
    project = uuid.uuid4().hex  # its own project: "the oldest other job" is the first one
    first, second = a.seed("JOB_SUCCESS", project), a.seed("JOB_SUCCESS", project)
    return a.delete(second, project).status_code, a.show(first, project).status_code


def _delete_twice(a):
    job = a.seed("JOB_SUCCESS")
    return a.delete(job).status_code, a.delete(job).status_code


def _refused_submit(a):
    job = a.seed("TRAINING")
    return a.command(job, {"command": "SUBMITVERIFYING"}).status_code, a.state(job)


def _resubmit(a):
    job = a.seed("AUTO_VERIFY_FAILED")
    body = {"command": "SUBMITVERIFYING", "command_message": "UPDATE_VIDEO"}
    return a.command(job, body).status_code, a.state(job)


def _answer_urls(a):
    job = a.seed("WAIT_USER_CONFIRM", project=NA)
    counts = []
    for names in (["a.png"], ["a.png", "b.pdf"]):
        body = {"command": "CONFIRM_ANSWER", "comment_data": {"attachment_name": names}}
        counts.append(len(a.command(job, body, project=NA).json()["attachment_upload_url"]))
    return counts


def _reported_parts(a):
    created = a.call("POST", a.jobs(), json={"name": "p", "video_multipart_count": 3}).json()
    for n, url in enumerate(created["training_video_upload_url"]):
        assert a.session.put(url, data=b"part%d" % n, timeout=5).status_code == 200
    job = created["job_id"]
    return len(a.command(job, {"command": "GET_MULTIPART_UPLOADED"}).json()["multipart_data"])


def _bad_signatures(a):
    stale = datetime.now(UTC) - timedelta(minutes=20)
    return (signed(a, "GET", a.jobs(QUIET), sk="not-" + SK, project=QUIET).status_code,
            signed(a, "GET", a.jobs(QUIET), date=stale, project=QUIET).status_code)


def _delete_from_another_project(a):
    job = a.seed("JOB_SUCCESS")
    return a.delete(job, project=NA).status_code, a.show(job).status_code


def burst(a, count: int, stop=None) -> list[tuple[int, float, bytes]]:
    """`count` cheap API requests (list an empty project) on one keep-alive connection,
    4x faster than through requests: (status, seconds, body) each; ends early once
    stop(answer) is true."""
    host, port = a.url.split("//")[1].rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    answers = []
    try:
        for _ in range(count):
            started = time.monotonic()
            conn.request("GET", a.jobs(QUIET), headers=dict(a.session.headers))
            resp = conn.getresponse()
            answers.append((resp.status, time.monotonic() - started, resp.read()))
            if stop is not None and stop(answers[-1]):
                break
    finally:
        conn.close()
    return answers


def _every_50th_fails(a):
    return [json.loads(body).get("error_code") for status, _, body in burst(a, 50)
            if status >= 500]


def _every_20th_is_slow(a):
    return sum(seconds >= 2.5 for _, seconds, _ in burst(a, 20))


PROBES = {
    "missing-command-accepted": (lambda a: _result(a.command(a.seed("WAIT_FILE_UPLOAD"), {})),
                                 (400, None), (200, "EXCUTE_SUCCESS")),
    "unknown-command-accepted": (
        lambda a: _result(a.command(a.seed("WAIT_FILE_UPLOAD"), {"command": "FROBNICATE"})),
        (400, None), (200, "EXCUTE_SUCCESS")),
    "command-result-typo-fixed": (lambda a: sorted(_parts(a)),
                                  ["commond_result", "multipart_data"],
                                  ["command_result", "multipart_data"]),
    "part-number-integer": (lambda a: type(_parts(a)["multipart_data"][0]["part_number"]),
                            str, int),
    "na-command-for-standard": (_na_command_as_standard, (400, "WAIT_USER_CONFIRM"),
                                (200, "JOB_FINISH")),
    "no-request-id": (_request_ids, (True, True, True), (False, False, False)),
    "chinese-user-id-accepted": (
        lambda a: a.show(a.seed("TRAINING"), headers={"X-App-UserId": CHINESE}).status_code,
        400, 200),
    "error-without-msg": (lambda a: sorted(a.call("GET", "/nope").json()),
                          ["error_code", "error_msg"], ["error_code"]),
    "500-on-malformed-json": (
        lambda a: a.call("POST", a.jobs(suffix="/x/command"), data=b"{bad").status_code, 400, 500),
    "delete-in-training": (lambda a: _delete_then_show(a, "TRAINING"), (400, 200), (200, 404)),
    "delete-keeps-job": (lambda a: _delete_then_show(a, "JOB_SUCCESS"), (200, 404), (200, 200)),
    "auth-not-enforced": (
        lambda a: Api(a.url, headers={}, strict=False).show(a.seed("TRAINING")).status_code,
        401, 200),
    "execute-success-typo": (lambda a: _confirm_parts(a).get("commond_result"),
                             "EXCUTE_SUCCESS", "EXECUTE_SUCCESS"),
    "commond-result-missing": (lambda a: sorted(_confirm_parts(a)), ["commond_result"], []),
    "multipart-data-not-list": (lambda a: type(_parts(a)["multipart_data"]), list, dict),
    "wrong-content-type": (_content_types, (JSON_TYPE, JSON_TYPE), ("text/html", "text/html")),
    "no-request-id-on-errors": (_ids_on_errors, (True, True, True), (True, False, False)),
    "no-request-id-on-delete": (_ids_on_delete, (True, True, True), (False, False, True)),
    "error-code-number": (lambda a: type(a.call("GET", "/nope").json()["error_code"]), str, int),
    "text-plain-errors": (_error_pages, [(400, "json"), (404, "json")],
                          [(400, "400 Bad Request"), (404, "404 Not Found")]),
    "error-with-status-200": (_schema_invalid_command, (400, True), (200, True)),
    "comment-data-types-accepted": (_ill_typed_comment_data, (400, "WAIT_USER_CONFIRM"),
                                    (200, "JOB_PENDING")),
    "500-on-empty-body": (_empty_command, 400, 500),
    "delete-refused-in-job-finish": (lambda a: _delete_then_show(a, "JOB_FINISH"), (200, 404),
                                     (400, 200)),
    "delete-deletes-another-job": (_delete_leaves_others, (200, 200), (200, 404)),
    "second-delete-succeeds": (_delete_twice, (200, 404), (200, 200)),
    "refused-command-mutates": (_refused_submit, (400, "TRAINING"), (400, "AUTO_VERIFYING")),
    "submit-changes-nothing": (_resubmit, (200, "AUTO_VERIFYING"), (200, "AUTO_VERIFY_FAILED")),
    "confirm-answer-wrong-url-count": (_answer_urls, [1, 2], [0, 1]),
    "multipart-forgets-parts": (_reported_parts, 3, 2),
    "bad-signature-accepted": (_bad_signatures, (401, 401), (200, 200)),
    "cross-project-delete": (_delete_from_another_project, (404, 200), (200, 404)),
    "error-info-string": (lambda a: _parts(a).get("error_info"), None, ""),
    "random-500": (_every_50th_fails, [], ["MSS.00000004"]),
    "random-slow": (_every_20th_is_slow, 0, 1),
}

RAISED_JSON = ("raised", "JSONDecodeError")

# (fault, another fault's probe) -> what that probe sees on the faulty server, where the
# two faults change the same observable thing; every other pair must see the sound value
OVERLAPS = {
    ("command-result-typo-fixed", "execute-success-typo"): None,
    ("command-result-typo-fixed", "commond-result-missing"): ["command_result"],
    ("commond-result-missing", "command-result-typo-fixed"): ["multipart_data"],
    ("commond-result-missing", "execute-success-typo"): None,
    ("multipart-data-not-list", "part-number-integer"): ("raised", "KeyError"),
    ("no-request-id", "no-request-id-on-errors"): (False, False, False),
    ("no-request-id", "no-request-id-on-delete"): (False, False, False),
    ("no-request-id-on-errors", "no-request-id"): (True, False, False),
    ("no-request-id-on-errors", "no-request-id-on-delete"): (True, False, True),
    ("text-plain-errors", "error-without-msg"): RAISED_JSON,
    ("text-plain-errors", "error-code-number"): RAISED_JSON,
    ("text-plain-errors", "wrong-content-type"): (JSON_TYPE, "text/plain"),
    ("text-plain-errors", "error-with-status-200"): (400, False),
    ("error-with-status-200", "unknown-command-accepted"): (200, None),
    ("unknown-command-accepted", "error-with-status-200"): (200, False),
    ("500-on-malformed-json", "500-on-empty-body"): 500,
    ("delete-keeps-job", "delete-refused-in-job-finish"): (200, 200),
    ("delete-keeps-job", "second-delete-succeeds"): (200, 200),
    ("auth-not-enforced", "bad-signature-accepted"): (200, 200),
    ("error-info-string", "command-result-typo-fixed"): ["commond_result", "error_info",
                                                         "multipart_data"],
    ("error-info-string", "commond-result-missing"): ["commond_result", "error_info"],
}


def observe(probe, a):
    """The probe's observation, or which exception it raised (a changed shape shows so)."""
    try:
        return probe(a)
    except Exception as exc:  # noqa: BLE001 - the exception's kind is the observation
        return ("raised", type(exc).__name__)
