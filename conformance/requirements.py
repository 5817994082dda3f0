"""The conformance oracle: what a correct server must do, one requirement per sentence.

Each requirement has an ID that tests name (`@pytest.mark.requirement("DEL-02")`), a title
a reader can check against the documentation, and the source it traces to: the seed
pages (`seed:command` is "Executing a Virtual Avatar Model Training Task as a Tenant",
`seed:delete` is "Deleting a Virtual Avatar Model Training Task"), the MetaStudio docs,
or the official SDK (docs/facts.md gives each source). Below the list, each rule is one
function, written once: the schemathesis checks, the deterministic tests and the state
machine all call it. A rule raises `Violation` naming its requirement, what was received
and what is documented. The rules that depend on the contract's data (which states are
deletable, which commands are NA-only) read it from the spec through `contract`.

Where the documents are silent (docs/silent-points.md), a rule accepts every compatible
answer; the lifecycle model's choices (`MOD-*`, `RSP-05`) are judged in `lifecycle` and
count against the run only in strict mode.
"""

from __future__ import annotations

from dataclasses import dataclass

from metastudio_conformance import contract
from metastudio_conformance.answers import Answer, show
from metastudio_conformance.outcomes import Violation


@dataclass(frozen=True)
class Requirement:
    id: str
    title: str
    source: str
    quote: str
    kind: str = "documented"  # or "model": an inferred rule a profile may change

    @property
    def area(self) -> str:
        return self.id.split("-")[0]

    @property
    def is_model(self) -> bool:
        return self.kind == "model"


AREAS = {
    "CMD": "Command execution",
    "DEL": "Status-gated deletion",
    "HDR": "Headers",
    "ERR": "Error responses",
    "RSP": "Documented responses",
    "VAL": "Input validation",
    "AUTH": "Authentication and isolation",
    "MOD": "Lifecycle model (profile)",
}

_ALL = [
    Requirement(
        "CMD-01", "A command body without `command` is refused (400, or 200 EXCUTE_FAILED)",
        "seed:command Table 3",
        "command | Mandatory: Yes | String | Command type.",
    ),
    Requirement(
        "CMD-02", "`command` outside the documented options is refused (400, or 200 "
        "EXCUTE_FAILED)",
        "seed:command Table 3",
        "command ... Options: SUBMITVERIFYING, CONFIRM_ACCEPT, CONFIRM_REJECT, CONFIRM_ANSWER, "
        "CONFIRM_PENDING, CONFIRM_ACTIVE, GET_MULTIPART_UPLOADED, CONFIRM_MULTIPART_UPLOADED.",
    ),
    Requirement(
        "CMD-03", "A 200 answer carries `commond_result` = EXCUTE_SUCCESS or EXCUTE_FAILED",
        "seed:command Table 6",
        "commond_result | String | Command execution result. Options: EXCUTE_SUCCESS, "
        "EXCUTE_FAILED.",
    ),
    Requirement(
        "CMD-04", "`multipart_data` is a list of {part_number: string, etag: string}",
        "seed:command Table 7",
        "part_number | String | Part number. etag | String | Part file tag.",
    ),
    Requirement(
        "CMD-05", "`attachment_upload_url` is a list of strings", "seed:command Table 6",
        "attachment_upload_url | Array of strings | URL for uploading the attachment.",
    ),
    Requirement(
        "CMD-06", "NA-only commands are refused for a standard tenant and change nothing",
        "seed:command Table 3 NOTE",
        "CONFIRM_ACCEPT, CONFIRM_REJECT, CONFIRM_ANSWER, CONFIRM_PENDING, and CONFIRM_ACTIVE "
        "commands are available only for NA users.",
    ),
    Requirement(
        "CMD-07", "Optional fields of the wrong type (`command_message`, `comment_data` and its "
        "members) are refused (400, or 200 EXCUTE_FAILED)", "seed:command Tables 3, 4",
        "command_message | No | String ... comment_data | No | CommentData object ... "
        "attachment_name | No | Array of strings",
    ),
    Requirement(
        "CMD-08", "The documented workflow succeeds: create, upload the parts, "
        "CONFIRM_MULTIPART_UPLOADED, SUBMITVERIFYING moves the job on",
        "docs/facts.md#documented-workflow-docs",
        "200 with commond_result = EXCUTE_SUCCESS means success.",
    ),
    Requirement(
        "CMD-09", "A refused command (4xx, or 200 EXCUTE_FAILED) leaves the job exactly as it "
        "was", "docs/facts.md#refused-commands-inferred",
        "200 with commond_result = EXCUTE_SUCCESS means success. (A command that was not "
        "executed cannot have changed the job.)",
    ),
    Requirement(
        "HDR-01", "Every response carries a non-empty `X-Request-Id` header",
        "seed Table 5; SDK",
        "X-Request-Id | String | Request ID. (The SDK reads it from every response, errors "
        "included.)",
    ),
    Requirement(
        "HDR-02", "`X-App-UserId` with Chinese characters is refused; a plain one is not",
        "seed Table 2",
        "X-App-UserId | No | String | Third-party user ID, which does not allow Chinese "
        "characters.",
    ),
    Requirement(
        "ERR-01", "Every 4xx answer carries {error_code: string, error_msg: string} (a 5xx is "
        "ERR-02's)",
        "seed Tables 8, 9; docs error codes",
        "Status code: 400 ... error_code | String | Error code. error_msg | String | Error "
        "description.",
    ),
    Requirement(
        "ERR-02", "No request, however malformed, makes the server answer 5xx",
        "seed Status Codes",
        "400: Parameters error, including the error code and its description. 500: Internal "
        "service error.",
    ),
    Requirement(
        "RSP-01", "Only documented status codes are answered", "seed Status Codes; docs",
        "Status Code: 200, 400, 500 (docs add 401, 403, 404 for these operations).",
    ),
    Requirement(
        "RSP-02", "Bodies are JSON where JSON is documented", "seed Response Parameters",
        "Response body parameters are documented as JSON objects.",
    ),
    Requirement(
        "RSP-03", "Response bodies match the documented schema for their status",
        "seed Response Parameters", "Tables 6-9: response body parameters.",
    ),
    Requirement(
        "VAL-01", "Requests that violate the documented parameters are refused (4xx, or 200 "
        "EXCUTE_FAILED)",
        "seed Status Codes", "400: Parameters error, including the error code and its "
        "description.",
    ),
    Requirement(
        "VAL-02", "Requests that follow the documented parameters are not refused as "
        "malformed", "seed Request Parameters", "Tables 1-4: request parameters.",
    ),
    Requirement(
        "DEL-01", "DELETE succeeds in each of the 11 deletable states", "seed:delete Function",
        "This API should be called when the task is in one of the following statuses: "
        "WAIT_FILE_UPLOAD, ..., JOB_REJECT, or JOB_FINISH.",
    ),
    Requirement(
        "DEL-02", "DELETE in any other state is refused with the error body and the job is "
        "unchanged", "seed:delete Function",
        "This API should be called when the task is in one of the following statuses: ...",
    ),
    Requirement(
        "DEL-03", "A deleted job is gone: Show, command and DELETE no longer find it",
        "seed:delete Function", "Deletes a virtual avatar model training task.",
    ),
    Requirement(
        "DEL-04", "DELETE removes only the job it names; other jobs are untouched",
        "seed:delete Function", "Deletes a virtual avatar model training task.",
    ),
    Requirement(
        "RSP-05", "Every answer arrives within the response-time limit (profile, default 2 s)",
        "profile: max_response_time", "Rate limits and timeouts of the target's profile.",
        kind="model",
    ),
    Requirement(
        "AUTH-01", "A request without credentials or with a wrong token is refused with the "
        "error body", "seed Table 2; docs MSS.00000001",
        "X-Auth-Token ... This parameter is mandatory when token authentication is used.",
    ),
]

_ALL += [
    Requirement(
        "AUTH-02", "A request with a bad AK/SK signature, a stale X-Sdk-Date, or an "
        "X-Project-Id other than the path's is refused",
        "seed Table 2; SDK signer",
        "Authorization ... mandatory for AK/SK authentication. X-Sdk-Date ... Time when the "
        "request is sent.",
    ),
    Requirement(
        "AUTH-03", "A project cannot command, delete or see another project's jobs",
        "seed Table 1", "project_id | Yes | String | Project ID.",
    ),
    Requirement(
        "MOD-01", "An accepted command moves the job as the lifecycle model says",
        "docs/facts.md#transitions-inferred",
        "SUBMITVERIFYING: from WAIT_FILE_UPLOAD (after the parts are confirmed) ... to "
        "AUTO_VERIFYING.", kind="model",
    ),
    Requirement(
        "MOD-02", "A command the model does not allow in a state is refused, in the profile's "
        "style (400 or 200 EXCUTE_FAILED)", "docs/facts.md#refused-commands-inferred",
        "A command that is not allowed now is refused either as 400 with the error body, or "
        "as 200 with EXCUTE_FAILED.", kind="model",
    ),
    Requirement(
        "MOD-03", "An unknown job answers with the profile's status (404 MSS.41000003 or 400)",
        "docs/facts.md#unknown-jobs-inferred",
        "404 MSS.41000003: task (training job) does not exist.", kind="model",
    ),
    Requirement(
        "MOD-04", "GET_MULTIPART_UPLOADED reports every part uploaded so far",
        "docs/facts.md#transitions-inferred",
        "GET returns the parts uploaded so far as multipart_data.", kind="model",
    ),
    Requirement(
        "MOD-05", "CONFIRM_ANSWER returns one attachment_upload_url per attachment_name",
        "docs/facts.md#transitions-inferred",
        "CONFIRM_ANSWER (with comment_data) keeps the state and returns one "
        "attachment_upload_url per attachment_name.", kind="model",
    ),
]

REQUIREMENTS: dict[str, Requirement] = {requirement.id: requirement for requirement in _ALL}


def get(requirement_id: str) -> Requirement:
    return REQUIREMENTS[requirement_id]


# The vocabulary of the documents.


def delete_allowed(state: str) -> bool:
    """DEL-01/DEL-02: the seed's list of states in which DELETE may be called."""
    return state in contract.deletable_states()


def command_allowed_for_tenant(command: str, tenant: str) -> bool:
    """CMD-06: NA-only commands exist only for NA (whitelisted) tenants."""
    return tenant == "na" or command not in contract.na_only_commands()


def is_delete_success(status: int) -> bool:
    """The seed documents 200; the SDK also parses 204."""
    return status in (200, 204)


def is_not_found(status: int) -> bool:
    """An unknown job: 404 MSS.41000003 (docs) or 400 (the seed lists only 200/400/500)."""
    return status in (400, 404)


def is_excute_failed(answer: Answer) -> bool:
    """200 with commond_result EXCUTE_FAILED: the command was received and not executed."""
    return answer.status == 200 and answer.field("commond_result") == "EXCUTE_FAILED"


def is_refusal(answer: Answer) -> bool:
    """A request not carried out: a 4xx, or 200 EXCUTE_FAILED. Which of the two a server
    uses is not documented (docs/silent-points.md); the lifecycle model may prefer one
    (MOD-02), the documented rules accept both."""
    return 400 <= answer.status < 500 or is_excute_failed(answer)


# The rules, one function each. A 5xx answer is ERR-02's alone: every other rule lets it
# pass, so one server error is charged to one requirement.


def no_server_error(answer: Answer, what: str = "the request") -> None:
    """ERR-02: no request, however malformed, makes the server answer 5xx."""
    if answer.status >= 500:
        raise Violation("ERR-02", None, f"{what}: {answer.describe()}",
                        "no 5xx answer (400 for a parameter error)")


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


def request_id(answer: Answer) -> None:
    """HDR-01: every response carries a non-empty X-Request-Id header."""
    if answer.status < 500 and not answer.headers.get("x-request-id", "").strip():
        raise Violation("HDR-01", None, f"{answer.status} without X-Request-Id (headers: "
                        f"{', '.join(sorted(answer.headers))})",
                        "every response carries a non-empty X-Request-Id")


def commond_result(answer: Answer) -> None:
    """CMD-03: a 200 command answer carries commond_result with a documented value."""
    options = contract.schema("ExecuteCommandResponseBody")["properties"]["commond_result"]
    if answer.status == 200 and answer.field("commond_result") not in options["enum"]:
        raise Violation("CMD-03", None, show(answer.body) if answer.body else answer.text,
                        f"commond_result one of {', '.join(options['enum'])}")


def multipart_data(answer: Answer) -> None:
    """CMD-04: multipart_data, where present, lists {part_number: string, etag: string};
    both members are optional in the seed's table, so a missing one is no violation."""
    if answer.status != 200 or not isinstance(answer.body, dict):
        return
    parts = answer.body.get("multipart_data")
    if parts is None:
        return
    wrong = not isinstance(parts, list) or any(
        not isinstance(part, dict)
        or not all(isinstance(part.get(key, ""), str) for key in ("part_number", "etag"))
        for part in parts
    )
    if wrong:
        raise Violation("CMD-04", None, show(parts),
                        "multipart_data: list of {part_number: string, etag: string}")


def attachment_upload_url(answer: Answer) -> None:
    """CMD-05: attachment_upload_url, where present, is a list of strings."""
    urls = answer.field("attachment_upload_url")
    if answer.status != 200 or urls is None:
        return
    if not isinstance(urls, list) or not all(isinstance(url, str) for url in urls):
        raise Violation("CMD-05", None, show(urls), "attachment_upload_url: list of strings")


def command_answer(answer: Answer) -> None:
    """CMD-03..05: the documented shape of a command's 200 answer."""
    commond_result(answer)
    multipart_data(answer)
    attachment_upload_url(answer)


def command_succeeded(requirement: str, what: str, answer: Answer) -> None:
    """A documented success: 200 with commond_result EXCUTE_SUCCESS (docs workflow)."""
    commond_result(answer)
    if answer.status != 200 or answer.field("commond_result") != "EXCUTE_SUCCESS":
        raise Violation(requirement, None, answer.describe(),
                        f"{what} succeeds (200, commond_result EXCUTE_SUCCESS)")
    multipart_data(answer)
    attachment_upload_url(answer)


def upload_accepted(part: int, answer: Answer) -> None:
    """CMD-08: an upload URL from Create accepts its part (docs workflow: PUT the files)."""
    if not 200 <= answer.status < 300:
        raise Violation("CMD-08", None, f"PUT part {part}: {answer.describe()}",
                        "the upload URL accepts the part")


def delete_gate(state: str, answer: Answer) -> None:
    """DEL-01/DEL-02: DELETE succeeds in exactly the deletable states (seed:delete)."""
    no_server_error(answer, f"DELETE of a job in {state}")
    succeeded = is_delete_success(answer.status)
    if delete_allowed(state) and not succeeded:
        raise Violation("DEL-01", None, f"{answer.describe()} for a job in {state}",
                        f"DELETE succeeds (200) in {state}, one of the deletable states")
    if not delete_allowed(state) and (succeeded or answer.status < 400):
        raise Violation("DEL-02", None, f"{answer.describe()} for a job in {state}",
                        f"DELETE refused with an error body in {state}, not a deletable state")
    error_body(answer)


def refused(requirement: str, what: str, answer: Answer) -> None:
    """CMD-01/02/06/07, HDR-02, VAL-01: a request the documents rule out is not carried
    out (400 Parameters error, or 200 EXCUTE_FAILED); a 4xx refusal carries the error
    body."""
    no_server_error(answer, what)
    if not is_refusal(answer):
        raise Violation(requirement, None, f"{what}: {answer.describe()}",
                        f"{what} refused (4xx with the error body, or 200 EXCUTE_FAILED)")
    error_body(answer)


def refused_for_credentials(requirement: str, what: str, answer: Answer) -> None:
    """AUTH-01/02/03: a request without valid credentials or from another project is
    refused with a 4xx and the error body (never carried out)."""
    no_server_error(answer, what)
    if not 400 <= answer.status < 500:
        raise Violation(requirement, None, f"{what}: {answer.describe()}",
                        "refused with 4xx and the error body")
    error_body(answer)


def not_found(what: str, answer: Answer) -> None:
    """DEL-03: a deleted (or never created) job is not found: 404 or 400, error body."""
    no_server_error(answer, what)
    if not is_not_found(answer.status):
        raise Violation("DEL-03", None, f"{what}: {answer.describe()}",
                        "a job that does not exist is not found (404 or 400)")
    error_body(answer)


def unchanged(requirement: str, job_id: str, before: str, now: str | None) -> None:
    """CMD-09 and every refusal: a request that was refused leaves the job as it was."""
    if now != before:
        raise Violation(requirement, None, f"job {job_id} is now {now or 'gone'}",
                        f"a refused request leaves the job in {before}")
