"""The oracle's rules: one judging unit per requirement, registered under its ID.

A unit is one small function that takes what was observed (an answer, what Show found
after a request, the jobs before and after a DELETE, how long an answer took) and raises
`Violation` naming its requirement, what was received and what is documented. It is the
only code that produces a verdict for its requirement (`requirements.rule` registers it;
tests/test_oracle_units.py proves no other code does): the schemathesis checks, the
deterministic tests, the state machine, the lifecycle steps, the near-miss probes and the
client all call it. The lifecycle model's units (`MOD-*`, `RSP-05`) raise like the others;
their callers route the violation to `RunContext.deviate`.

A 5xx answer is ERR-02's alone: every other unit lets it pass or asks ERR-02's unit first,
so one server error is charged to one requirement. RSP-01/02/03 and VAL-02 are
schemathesis' own checks, called only from their units here.

All 32 units stay in this one file (about 500 lines), in the order of the documents, so a
reader checks the whole oracle against the seed in one place.
"""

from __future__ import annotations

from dataclasses import dataclass

from schemathesis.specs.openapi import checks as builtin

from metastudio_conformance import contract
from metastudio_conformance.answers import Answer, show
from metastudio_conformance.outcomes import Violation
from metastudio_conformance.requirements import (
    is_delete_success,
    is_excute_failed,
    is_not_found,
    is_refusal,
    rule,
)

REFUSED = "refused (4xx with the error body, or 200 EXCUTE_FAILED)"
REFUSED_4XX = "refused with 4xx and the error body"


@dataclass(frozen=True)
class JobSeen:
    """What Show found after a request: the job's state now (None: not found) and the
    state the rule expects it in."""

    job_id: str
    expected: str | None
    now: str | None

    @property
    def changed(self) -> bool:
        return self.now != self.expected

    @property
    def received(self) -> str:
        return f"job {self.job_id} is now {self.now or 'gone'}"


# Every answer.


@rule("ERR-02")
def no_server_error(answer: Answer, what: str = "the request") -> None:
    """ERR-02: no request, however malformed, makes the server answer 5xx."""
    if answer.status >= 500:
        raise Violation("ERR-02", None, f"{what}: {answer.describe()}",
                        "no 5xx answer (400 for a parameter error)")


@rule("ERR-01")
def error_body(answer: Answer) -> None:
    """ERR-01: a 4xx answer carries {error_code: string, error_msg: string}."""
    if not 400 <= answer.status < 500:
        return
    problems = []
    if not isinstance(answer.body, dict):
        problems.append("body is not a JSON object")
    else:
        for field in ("error_code", "error_msg"):
            if not isinstance(answer.body.get(field), str):
                problems.append(f"{field} is {show(answer.body.get(field, 'missing'))}")
    if problems:
        raise Violation("ERR-01", None, f"{answer.describe()} ({'; '.join(problems)})",
                        "error body {error_code: string, error_msg: string}")


@rule("HDR-01")
def request_id(answer: Answer) -> None:
    """HDR-01: every response carries a non-empty X-Request-Id header."""
    if answer.status < 500 and not answer.headers.get("x-request-id", "").strip():
        raise Violation("HDR-01", None, f"{answer.status} without X-Request-Id (headers: "
                        f"{', '.join(sorted(answer.headers))})",
                        "every response carries a non-empty X-Request-Id")


@rule("RSP-05")
def answered_in_time(what: str, elapsed: float, limit: float | None) -> None:
    """RSP-05: every answer arrives within the profile's response-time limit."""
    if limit and elapsed > limit:
        raise Violation("RSP-05", None, f"{what} answered in {elapsed:.2f} s",
                        f"every answer within {limit:g} s")


# Schemathesis' own checks, each standing for one requirement (checks.BUILTIN_REQUIREMENTS
# charges their typed failures to it).


@rule("RSP-01")
def documented_status(ctx, response, case) -> None:
    """RSP-01: only documented status codes (schemathesis' status_code_conformance)."""
    builtin.status_code_conformance(ctx, response, case)


@rule("RSP-02")
def documented_content_type(ctx, response, case) -> None:
    """RSP-02: JSON where JSON is documented (schemathesis' content_type_conformance)."""
    builtin.content_type_conformance(ctx, response, case)


@rule("RSP-03")
def documented_schema(ctx, response, case) -> None:
    """RSP-03: the body matches its status' schema (response_schema_conformance)."""
    builtin.response_schema_conformance(ctx, response, case)


@rule("VAL-02")
def valid_request_accepted(ctx, response, case) -> None:
    """VAL-02: a documented-valid request is not refused (positive_data_acceptance)."""
    builtin.positive_data_acceptance(ctx, response, case)


# A command's answer.


@rule("CMD-03")
def commond_result(answer: Answer) -> None:
    """CMD-03: a 200 command answer carries commond_result with a documented value."""
    options = contract.schema("ExecuteCommandResponseBody")["properties"]["commond_result"]
    if answer.status == 200 and answer.field("commond_result") not in options["enum"]:
        raise Violation("CMD-03", None, show(answer.body) if answer.body else answer.text,
                        f"commond_result one of {', '.join(options['enum'])}")


@rule("CMD-04")
def multipart_data(answer: Answer) -> None:
    """CMD-04: multipart_data, where present, lists {part_number: string, etag: string};
    both members are optional in the seed's table, so a missing (or null) one is no
    violation."""
    if answer.status != 200 or not isinstance(answer.body, dict):
        return
    parts = answer.body.get("multipart_data")
    if parts is None:
        return
    wrong = not isinstance(parts, list) or any(
        not isinstance(part, dict)
        or not all(part.get(key) is None or isinstance(part[key], str)
                   for key in ("part_number", "etag"))
        for part in parts
    )
    if wrong:
        raise Violation("CMD-04", None, show(parts),
                        "multipart_data: list of {part_number: string, etag: string}")


@rule("CMD-05")
def attachment_upload_url(answer: Answer) -> None:
    """CMD-05: attachment_upload_url, where present, is a list of strings."""
    urls = answer.field("attachment_upload_url")
    if answer.status != 200 or urls is None:
        return
    if not isinstance(urls, list) or not all(isinstance(url, str) for url in urls):
        raise Violation("CMD-05", None, show(urls), "attachment_upload_url: list of strings")


def command_answer(answer: Answer) -> None:
    """CMD-03..05: the documented shape of a command's 200 answer (their three units)."""
    commond_result(answer)
    multipart_data(answer)
    attachment_upload_url(answer)


@rule("CMD-08")
def workflow_step(what: str, answer: Answer | None = None, job: JobSeen | None = None, *,
                  upload: bool = False, moves: bool = False) -> None:
    """CMD-08: each step of the documented workflow succeeds: an upload URL accepts its
    part, a command answers 200 EXCUTE_SUCCESS; Show then finds the job moved on
    (`moves`: SUBMITVERIFYING) or where it was (CONFIRM_MULTIPART_UPLOADED)."""
    if answer is not None and upload and not 200 <= answer.status < 300:
        raise Violation("CMD-08", None, f"{what}: {answer.describe()}",
                        "the upload URL accepts the part")
    if answer is not None and not upload:
        commond_result(answer)
        if answer.status != 200 or answer.field("commond_result") != "EXCUTE_SUCCESS":
            raise Violation("CMD-08", None, answer.describe(),
                            f"{what} succeeds (200, commond_result EXCUTE_SUCCESS)")
        multipart_data(answer)
        attachment_upload_url(answer)
    if job is not None and moves and job.now in (None, job.expected):
        raise Violation("CMD-08", None, f"state {job.now}",
                        f"{what} moves the job on from {job.expected}")
    if job is not None and not moves and job.changed:
        raise Violation("CMD-08", None, f"state {job.now}",
                        f"{what} keeps the job in {job.expected}")


# Requests the documents rule out: refused, and the job left as it was. Each unit takes
# the request's answer, or what Show found afterwards (`job`), or both.


def _carried_out(what: str, answer: Answer | None) -> bool:
    """Whether a request that must be refused was carried out. A 5xx is ERR-02's (its
    unit first), a 4xx refusal must carry the error body (ERR-01's unit)."""
    if answer is None:
        return False
    no_server_error(answer, what)
    error_body(answer)
    return not is_refusal(answer)


def _served(what: str, answer: Answer | None) -> bool:
    """Whether a request without valid credentials got anything but a 4xx (ERR-02 and
    ERR-01 first, as in `_carried_out`)."""
    if answer is None:
        return False
    no_server_error(answer, what)
    error_body(answer)
    return not 400 <= answer.status < 500


def _left_alone(job: JobSeen | None) -> str:
    return f"a refused request leaves the job in {job.expected}" if job else ""


@rule("CMD-01")
def command_required(what: str = "a body without `command`", answer: Answer | None = None,
                     job: JobSeen | None = None) -> None:
    """CMD-01: a command body without `command` is refused and changes nothing."""
    if _carried_out(what, answer):
        raise Violation("CMD-01", None, f"{what}: {answer.describe()}", f"{what} {REFUSED}")
    if job is not None and job.changed:
        raise Violation("CMD-01", None, job.received, _left_alone(job))


@rule("CMD-02")
def command_documented(what: str = "an undocumented command", answer: Answer | None = None,
                       job: JobSeen | None = None) -> None:
    """CMD-02: `command` outside the documented options is refused and changes nothing."""
    if _carried_out(what, answer):
        raise Violation("CMD-02", None, f"{what}: {answer.describe()}", f"{what} {REFUSED}")
    if job is not None and job.changed:
        raise Violation("CMD-02", None, job.received, _left_alone(job))


@rule("CMD-06")
def na_only_refused(what: str = "an NA-only command", answer: Answer | None = None,
                    job: JobSeen | None = None) -> None:
    """CMD-06: an NA-only command of a standard tenant is refused and changes nothing."""
    if _carried_out(what, answer):
        raise Violation("CMD-06", None, f"{what}: {answer.describe()}", f"{what} {REFUSED}")
    if job is not None and job.changed:
        raise Violation("CMD-06", None, job.received, _left_alone(job))


@rule("CMD-07")
def optional_fields_typed(what: str = "a body field of the wrong type",
                          answer: Answer | None = None, job: JobSeen | None = None) -> None:
    """CMD-07: `command_message` or `comment_data` (or a member) of the wrong type is
    refused and changes nothing."""
    if _carried_out(what, answer):
        raise Violation("CMD-07", None, f"{what}: {answer.describe()}", f"{what} {REFUSED}")
    if job is not None and job.changed:
        raise Violation("CMD-07", None, job.received, _left_alone(job))


@rule("CMD-09")
def refusal_changes_nothing(what: str = "a refused command", answer: Answer | None = None,
                            job: JobSeen | None = None) -> None:
    """CMD-09: a refused command (4xx, or 200 EXCUTE_FAILED) leaves the job as it was;
    Show (`job`) says where it is."""
    if job is not None and job.changed:
        raise Violation("CMD-09", None, job.received, _left_alone(job))


@rule("VAL-01")
def parameters_checked(what: str = "a request that breaks the documented parameters",
                       answer: Answer | None = None, job: JobSeen | None = None) -> None:
    """VAL-01: a request that breaks the documented parameters is refused and changes
    nothing."""
    if _carried_out(what, answer):
        raise Violation("VAL-01", None, f"{what}: {answer.describe()}", f"{what} {REFUSED}")
    if job is not None and job.changed:
        raise Violation("VAL-01", None, job.received, _left_alone(job))


@rule("HDR-02")
def app_user_id(what: str = "X-App-UserId with Chinese characters",
                answer: Answer | None = None, job: JobSeen | None = None, *,
                plain_status: int | None = None) -> None:
    """HDR-02: an X-App-UserId with Chinese characters is refused and changes nothing; a
    plain one (`plain_status`: the same request's status without it) changes nothing
    about the answer."""
    if plain_status is not None:
        if answer.status != plain_status:
            raise Violation("HDR-02", None, f"{answer.describe()} with the header, "
                            f"{plain_status} without it", f"{what} is accepted")
        return
    if _carried_out(what, answer):
        raise Violation("HDR-02", None, f"{what}: {answer.describe()}", f"{what} {REFUSED}")
    if job is not None and job.changed:
        raise Violation("HDR-02", None, job.received, _left_alone(job))


# Credentials and projects.


@rule("AUTH-01")
def credentials_required(what: str = "a request without valid credentials",
                         answer: Answer | None = None, job: JobSeen | None = None) -> None:
    """AUTH-01: a request without credentials or with a wrong token is refused with a 4xx
    and the error body, and changes nothing."""
    if _served(what, answer):
        raise Violation("AUTH-01", None, f"{what}: {answer.describe()}", REFUSED_4XX)
    if job is not None and job.changed:
        raise Violation("AUTH-01", None, job.received, _left_alone(job))


@rule("AUTH-02")
def signature_checked(what: str = "a request with a bad signature",
                      answer: Answer | None = None, job: JobSeen | None = None) -> None:
    """AUTH-02: a bad AK/SK signature, a stale X-Sdk-Date or another project's
    X-Project-Id is refused with a 4xx and the error body, and changes nothing."""
    if _served(what, answer):
        raise Violation("AUTH-02", None, f"{what}: {answer.describe()}", REFUSED_4XX)
    if job is not None and job.changed:
        raise Violation("AUTH-02", None, job.received, _left_alone(job))


@rule("AUTH-03")
def kept_out(what: str = "a request from another project", answer: Answer | None = None,
             job: JobSeen | None = None, *, listed: str | None = None,
             shown: str | None = None) -> None:
    """AUTH-03: another project's command, DELETE or Show of a job is refused with a 4xx
    and the error body and changes nothing; its Show does not find the job (`shown`), its
    List does not list it (`listed`)."""
    if listed is not None and _lists(answer, listed):
        raise Violation("AUTH-03", None, f"{what} shows {listed}",
                        "another project's jobs are not listed")
    if shown is not None and answer.status == 200:
        raise Violation("AUTH-03", None, f"{what} sees {shown}",
                        "another project's jobs are invisible")
    if listed is None and shown is None and _served(what, answer):
        raise Violation("AUTH-03", None, f"{what}: {answer.describe()}", REFUSED_4XX)
    if job is not None and job.changed:
        raise Violation("AUTH-03", None, job.received, _left_alone(job))


def _lists(answer: Answer, job_id: str) -> bool:
    """Whether a List answer shows the job."""
    jobs = answer.field("jobs")
    return isinstance(jobs, list) and any(
        isinstance(job, dict) and job.get("job_id") == job_id for job in jobs)


# DELETE.


@rule("DEL-01", "DEL-02")
def delete_gate(state: str, answer: Answer | None = None, job: JobSeen | None = None) -> None:
    """DEL-01/DEL-02: DELETE succeeds in exactly the deletable states (seed:delete); a
    refused one carries the error body and leaves the job as it was."""
    if answer is not None:
        no_server_error(answer, f"DELETE of a job in {state}")
        succeeded = is_delete_success(answer.status)
        allowed = state in contract.deletable_states()
        if allowed and not succeeded:
            raise Violation("DEL-01", None, f"{answer.describe()} for a job in {state}",
                            f"DELETE succeeds (200) in {state}, one of the deletable states")
        if not allowed and (succeeded or answer.status < 400):
            raise Violation("DEL-02", None, f"{answer.describe()} for a job in {state}",
                            f"DELETE refused with an error body in {state}, not a deletable "
                            "state")
        error_body(answer)
    if job is not None and job.changed:
        raise Violation("DEL-02", None, job.received, _left_alone(job))


@rule("DEL-03")
def gone(what: str, answer: Answer | None = None, job: JobSeen | None = None, *,
         listed: str | None = None) -> None:
    """DEL-03: a deleted (or never created) job is gone: Show, command and DELETE answer
    not-found (404 or 400, error body), List does not list it (`listed`), Show finds
    nothing (`job`)."""
    if answer is not None and listed is not None:
        if _lists(answer, listed):
            raise Violation("DEL-03", None, f"{what} still shows {listed}",
                            "a deleted job is not listed")
    elif answer is not None:
        no_server_error(answer, what)
        if not is_not_found(answer.status):
            raise Violation("DEL-03", None, f"{what}: {answer.describe()}",
                            "a job that does not exist is not found (404 or 400)")
        error_body(answer)
    if job is not None and job.now is not None:
        raise Violation("DEL-03", None, f"after {what} the job is {job.now}",
                        "a deleted job is gone")


@rule("DEL-04")
def others_untouched(deleted: str, before: dict[str, str], after: dict[str, str | None],
                     count: tuple[int, int] | None = None) -> None:
    """DEL-04: DELETE removes only the job it names: every other job (`before`, its state)
    is where it was (`after`), and the project's job count (before, after) drops by one."""
    moved = {job: after.get(job) for job, state in before.items()
             if job != deleted and after.get(job) != state}
    if moved or (count is not None and count[0] - count[1] != 1):
        counted = f"the project's job count went {count[0]} -> {count[1]}; " if count else ""
        others = ", ".join(f"{job} {state or 'gone'}" for job, state in moved.items())
        raise Violation("DEL-04", None, f"deleting {deleted}: {counted}other jobs changed: "
                        f"{others or 'none'}", "exactly the named job is deleted; the "
                        "others stay as they were")


# The lifecycle model (a profile): the callers route these to RunContext.deviate.


@rule("MOD-01")
def moves_as_modelled(what: str, answer: Answer | None = None, job: JobSeen | None = None,
                      *, reason: str = "", race: list[tuple[str, Answer]] | None = None
                      ) -> None:
    """MOD-01: a command the model allows is accepted and moves the job where the model
    says (`job`); of a SUBMITVERIFYING racing DELETEs (`race`) exactly one wins."""
    if answer is not None and is_refusal(answer):
        raise Violation("MOD-01", None, _this_target(answer, reason),
                        f"{what} is accepted ({reason})")
    if job is not None and job.changed:
        raise Violation("MOD-01", None, f"after {what} the job is {job.now or 'gone'}",
                        f"the job is in {job.expected}")
    if race is not None:
        submitted = sum(1 for kind, answer in race if kind == "submit"
                        and answer.status == 200
                        and answer.field("commond_result") == "EXCUTE_SUCCESS")
        deleted = sum(1 for kind, answer in race
                      if kind == "delete" and is_delete_success(answer.status))
        if submitted + deleted != 1:
            raise Violation("MOD-01", None, f"{submitted} SUBMITVERIFYING and {deleted} "
                            "DELETE succeeded", "exactly one of them wins (a lost or doubled "
                            "update)")


@rule("MOD-02")
def refused_as_modelled(what: str, answer: Answer, style: str = "either",
                        reason: str = "", learned: str | None = None) -> None:
    """MOD-02: a command the model does not allow is refused, in the profile's style
    (`400`, `excute-failed` or `either`; `learned`: the learned target's answer)."""
    if not is_refusal(answer):
        raise Violation("MOD-02", None, _this_target(answer, reason),
                        f"{what} is refused: {reason}")
    in_style = {"400": answer.status == 400, "excute-failed": is_excute_failed(answer)}
    if not in_style.get(style, True):
        raise Violation("MOD-02", None, _this_target(answer, learned),
                        f"{what}: {learned}" if learned
                        else f"a refusal in the profile's form ({style})")


@rule("MOD-03")
def unknown_job_as_modelled(what: str, answer: Answer, style: str = "either",
                            learned: str | None = None) -> None:
    """MOD-03: an unknown job answers with the profile's status (404, 400 or either;
    `learned`: the learned target's answer)."""
    allowed = {"404": {404}, "400": {400}}.get(str(style), {400, 404})
    if answer.status not in allowed:
        raise Violation("MOD-03", None, f"{what}: {_this_target(answer, learned)}",
                        learned or f"an unknown job answers {style}")


@rule("MOD-06")
def silent_point_as_learned(point: str, label: str, observed: str, learned: list[str],
                            learned_from: str) -> None:
    """MOD-06: where the documents leave answers open, the target chooses as the target
    the model was learned from did (`learned`: its answer, or each of `either`)."""
    if label not in learned:
        raise Violation("MOD-06", None, f"{point}: this target: {label} ({observed})",
                        learned_from)


def _this_target(answer: Answer, learned: str | None) -> str:
    """The answer, said beside a learned one ("this target: ...") when the expectation
    came from a learned model (`learned`: its answer, or a reason that quotes it)."""
    beside = bool(learned) and "learned from " in learned
    return f"this target: {answer.describe()}" if beside else answer.describe()


@rule("MOD-04")
def parts_as_modelled(answer: Answer, uploaded: set[int], learned: str | None = None) -> None:
    """MOD-04: GET_MULTIPART_UPLOADED reports every part uploaded so far (`learned`: what
    a seeded job held on the learned target)."""
    parts = answer.field("multipart_data")
    numbers = sorted(str(part.get("part_number")) for part in parts or []
                     if isinstance(part, dict))
    expected = [str(number) for number in sorted(uploaded)]
    if numbers != expected:
        seen = f"multipart_data {parts!r}"
        raise Violation("MOD-04", None, f"this target: {seen}" if learned else seen,
                        f"the uploaded parts {expected}" + (f" ({learned})" if learned else ""))


@rule("MOD-05")
def urls_as_modelled(answer: Answer, names: list[str]) -> None:
    """MOD-05: CONFIRM_ANSWER is accepted and returns one attachment_upload_url per
    attachment_name."""
    if is_refusal(answer):
        raise Violation("MOD-05", None, answer.describe(), "CONFIRM_ANSWER is accepted")
    urls = answer.field("attachment_upload_url")
    if len(urls if isinstance(urls, list) else []) != len(names):
        raise Violation("MOD-05", None, f"attachment_upload_url {urls!r}",
                        f"one URL per attachment_name ({len(names)})")
