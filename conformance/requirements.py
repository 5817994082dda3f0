"""The conformance oracle: what a correct server must do, one requirement per sentence.

Each requirement has an ID that tests name (`@pytest.mark.requirement("DEL-02")`), a title
a reader can check against the documentation, and the source it traces to: the seed
pages (`seed:command` is "Executing a Virtual Avatar Model Training Task as a Tenant",
`seed:delete` is "Deleting a Virtual Avatar Model Training Task"), the MetaStudio docs,
or the official SDK. The rules that depend on the contract's data (which states are
deletable, which commands are NA-only) read it from the spec through `contract`.
"""

from __future__ import annotations

from dataclasses import dataclass

from metastudio_conformance import contract


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
        "CMD-01", "A command body without `command` is refused with 400", "seed:command Table 3",
        "command | Mandatory: Yes | String | Command type.",
    ),
    Requirement(
        "CMD-02", "`command` outside the documented options is refused with 400",
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
        "CMD-07", "Body fields of the wrong type (`comment_data` and its members) are refused "
        "with 400", "seed:command Tables 3, 4",
        "comment_data | No | CommentData object ... attachment_name | No | Array of strings",
    ),
    Requirement(
        "CMD-08", "The documented workflow succeeds: create, upload the parts, "
        "CONFIRM_MULTIPART_UPLOADED, SUBMITVERIFYING moves the job on", "docs: model training "
        "workflow", "200 with commond_result = EXCUTE_SUCCESS means success.",
    ),
    Requirement(
        "CMD-09", "A refused command (4xx, or 200 EXCUTE_FAILED) leaves the job exactly as it "
        "was", "docs; api-facts Transitions",
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
        "HDR-02", "`X-App-UserId` with Chinese characters is refused with 400",
        "seed Table 2",
        "X-App-UserId | No | String | Third-party user ID, which does not allow Chinese "
        "characters.",
    ),
    Requirement(
        "ERR-01", "Every 4xx and 5xx answer carries {error_code: string, error_msg: string}",
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
        "RSP-04", "Documented response headers are present and well-formed",
        "seed Table 5", "X-Request-Id | String | Request ID.",
    ),
    Requirement(
        "VAL-01", "Requests that violate the documented parameters are refused with 4xx",
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
        "model profile (api-facts Transitions)",
        "SUBMITVERIFYING: from WAIT_FILE_UPLOAD (after the parts are confirmed) ... to "
        "AUTO_VERIFYING.", kind="model",
    ),
    Requirement(
        "MOD-02", "A command the model does not allow in a state is refused, in the profile's "
        "style (400 or 200 EXCUTE_FAILED)", "model profile (api-facts Transitions)",
        "A command that is not allowed now is refused either as 400 with the error body, or "
        "as 200 with EXCUTE_FAILED.", kind="model",
    ),
    Requirement(
        "MOD-03", "An unknown job answers with the profile's status (404 MSS.41000003 or 400)",
        "model profile (docs error codes)",
        "404 MSS.41000003: task (training job) does not exist.", kind="model",
    ),
    Requirement(
        "MOD-04", "GET_MULTIPART_UPLOADED reports every part uploaded so far",
        "model profile (api-facts Transitions)",
        "GET returns the parts uploaded so far as multipart_data.", kind="model",
    ),
    Requirement(
        "MOD-05", "CONFIRM_ANSWER returns one attachment_upload_url per attachment_name",
        "model profile (api-facts Transitions)",
        "CONFIRM_ANSWER (with comment_data) keeps the state and returns one "
        "attachment_upload_url per attachment_name.", kind="model",
    ),
]

REQUIREMENTS: dict[str, Requirement] = {requirement.id: requirement for requirement in _ALL}


def get(requirement_id: str) -> Requirement:
    return REQUIREMENTS[requirement_id]


# The rules that tests apply, in the words of the documentation.


def delete_allowed(state: str) -> bool:
    """DEL-01/DEL-02: the seed's list of states in which DELETE may be called."""
    return state in contract.deletable_states()


def command_allowed_for_tenant(command: str, tenant: str) -> bool:
    """CMD-06: NA-only commands exist only for NA (whitelisted) tenants."""
    return tenant == "na" or command not in contract.na_only_commands()


def is_refusal(status: int, body: object) -> bool:
    """A command is refused either with a 4xx or with 200 `EXCUTE_FAILED` (api-facts)."""
    if 400 <= status < 500:
        return True
    return status == 200 and isinstance(body, dict) and body.get("commond_result") == (
        "EXCUTE_FAILED"
    )


def is_delete_success(status: int) -> bool:
    """The seed documents 200; the SDK also parses 204."""
    return status in (200, 204)


def is_not_found(status: int) -> bool:
    """An unknown job: 404 MSS.41000003 (docs) or 400 (the seed lists only 200/400/500)."""
    return status in (400, 404)
