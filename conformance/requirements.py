"""The conformance oracle: what a correct server must do, one requirement per sentence.

Each requirement has an ID that tests name (`@pytest.mark.requirement("DEL-02")`), a title
a reader can check against the documentation, and the source it traces to: the seed
pages (`seed:command` is "Executing a Virtual Avatar Model Training Task as a Tenant",
`seed:delete` is "Deleting a Virtual Avatar Model Training Task"), the MetaStudio docs,
or the official SDK (docs/facts.md gives each source).

Each requirement is judged by exactly one unit, a function of `rules.py` registered under
its ID with `@rule`: the only code that raises `Violation` for it. The schemathesis checks,
the deterministic tests, the state machine, the lifecycle steps, the near-miss probes and
the client all call that unit (`python -m metastudio_conformance.requirements --where`
lists them; tests/test_oracle_units.py proves no other code judges). Below the list: the
registry, the vocabulary of the documents the units share, and which requirement a
malformed request breaks.

Where the documents are silent (docs/silent-points.md), a rule accepts every compatible
answer; the lifecycle model's choices (`MOD-*`, `RSP-05`) count against the run only in
strict mode (`RunContext.deviate`).
"""

from __future__ import annotations

import argparse
import functools
import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from metastudio_conformance import contract
from metastudio_conformance.answers import Answer
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
    Requirement(
        "MOD-06", "Where the documents leave answers open, the target answers as the target "
        "its learned model was learned from did", "docs/silent-points.md; `learn`",
        "Where the seed and docs are silent, every documented-compatible answer is accepted; "
        "a model learned from a real service pins the one it chose.", kind="model",
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


# The registry: one judging unit per requirement.

UNITS: dict[str, Callable] = {}  # requirement ID -> its one unit (filled by rules.py)
RULES_MODULE = "metastudio_conformance.rules"


def rule(*ids: str) -> Callable[[Callable], Callable]:
    """Register the decorated function as the one unit that judges `ids`. A violation it
    raises itself must name one of them (units it calls name theirs)."""
    unknown = [rid for rid in ids if rid not in REQUIREMENTS]
    if unknown or not ids:
        raise ValueError(f"@rule names no requirement of the list: {unknown or ids}")

    def register(function: Callable) -> Callable:
        taken = [f"{rid} (judged by {qualified(UNITS[rid])})" for rid in ids if rid in UNITS]
        if taken:
            raise ValueError(f"{qualified(function)}: {', '.join(taken)}")

        @functools.wraps(function)
        def unit(*args, **kwargs):
            try:
                return function(*args, **kwargs)
            except Violation as violation:
                if violation.judged_by is None:  # raised here, not by a unit it called
                    violation.judged_by = qualified(function)
                    if violation.requirement not in ids:
                        raise AssertionError(f"{qualified(function)} judges {', '.join(ids)}, "
                                             f"not {violation.requirement}") from violation
                raise

        unit.requirements = ids
        UNITS.update(dict.fromkeys(ids, unit))
        return unit

    return register


def unit(requirement_id: str) -> Callable:
    """The one unit that judges `requirement_id`."""
    importlib.import_module(RULES_MODULE)  # registers every unit
    return UNITS[requirement_id]


def qualified(function: Callable) -> str:
    """`module:function`, where to read a unit."""
    return f"{function.__module__}:{function.__qualname__}"


def where() -> dict[str, str]:
    """Each requirement ID with the qualified name of its one judging unit."""
    importlib.import_module(RULES_MODULE)
    return {rid: qualified(UNITS[rid]) if rid in UNITS else "(no unit)"
            for rid in REQUIREMENTS}


# Which requirement a request that breaks the documented parameters breaks.


def rule_broken(problems: Iterable[tuple[str, tuple, str]]) -> str:
    """The requirement a malformed request breaks, from its problems, each (`header` or
    `body`, the header name or the body path, the constraint: `required`, `type`, ...):
    CMD-01 no `command`; CMD-02 `command` outside the options (a wrong type included);
    CMD-07 a wrong type in `command_message`, `comment_data` or below; HDR-02
    `X-App-UserId`; VAL-01 anything else, or problems of more than one rule."""
    found = {_rule_of(*problem) for problem in problems}
    if "CMD-01" in found:  # without `command` nothing else of the body is judged
        return "CMD-01"
    return found.pop() if len(found) == 1 else "VAL-01"


def _rule_of(where: str, path: tuple, constraint: str) -> str:
    if where == "header":
        return "HDR-02" if str(path[0]).lower() == "x-app-userid" else "VAL-01"
    if path[:1] == ("command",):
        return "CMD-01" if constraint == "required" else "CMD-02"
    if constraint == "type" and path[:1] in (("command_message",), ("comment_data",)):
        return "CMD-07"
    return "VAL-01"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m metastudio_conformance.requirements",
                                     description="The oracle's requirements.")
    parser.add_argument("--where", action="store_true",
                        help="each requirement with the one unit that judges it")
    options = parser.parse_args(argv)
    units = where()
    for rid, requirement in REQUIREMENTS.items():
        print(f"{rid:8} {units[rid] if options.where else requirement.title}")
    return 0


if __name__ == "__main__":
    # Run as a script this file is `__main__`; the registry rules.py fills is the one
    # of the imported module, so read it from there.
    from metastudio_conformance import requirements as oracle

    raise SystemExit(oracle.main())
