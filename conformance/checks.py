"""Our own response checks, in the shape of schemathesis' checks.

Each is one small function `(ctx, response, case)` with a one-line docstring that raises
`RequirementViolation` naming the requirement, what was received and what is documented.
They are passed to schemathesis through `additional_checks`, never registered globally.
"""

from __future__ import annotations

import json
from typing import Any

from metastudio_conformance import contract, requirements
from schemathesis.core.failures import Failure


class RequirementViolation(Failure):
    """A response that breaks one requirement of the oracle."""

    code = "MSC01"
    kind_title = "Conformance requirement violated"

    def __init__(self, requirement: str, operation: str | None, received: str, documented: str):
        self.requirement = requirement
        super().__init__(
            operation=operation,
            title=f"{requirement}: {documented}",
            message=f"Received: {received}\nDocumented: {documented}",
        )

    @property
    def _unique_key(self) -> str:  # one finding per requirement, whatever the values
        return self.requirement


# Which requirement each schemathesis built-in check stands for.
BUILTIN_REQUIREMENTS = {
    "not_a_server_error": "ERR-02",
    "status_code_conformance": "RSP-01",
    "content_type_conformance": "RSP-02",
    "response_schema_conformance": "RSP-03",
    "response_headers_conformance": "RSP-04",
    "negative_data_rejection": "VAL-01",
    "missing_required_header": "VAL-01",
    "positive_data_acceptance": "VAL-02",
    "ignored_auth": "AUTH-01",
    "max_response_time": "RSP-05",
}


def requirements_of(failure: BaseException) -> list[str]:
    """The requirement IDs one schemathesis or suite failure stands for."""
    if isinstance(failure, RequirementViolation):
        return [failure.requirement]
    # A failure class may list several checks that can raise it; the first is its own.
    names = getattr(type(failure), "checks", ()) or ()
    if names and names[0] in BUILTIN_REQUIREMENTS:
        return [BUILTIN_REQUIREMENTS[names[0]]]
    return []


def _body(response) -> Any:
    try:
        return json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        return None


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
    return text if len(text) <= 300 else text[:300] + "..."


def _is_command(case) -> bool:
    return case.operation.path == contract.COMMAND_PATH and case.operation.method.upper() == "POST"


def request_id_present(ctx, response, case) -> None:
    """Every response carries a non-empty X-Request-Id header."""
    values = response.headers.get("x-request-id") or []
    if not any(value.strip() for value in values):
        raise RequirementViolation(
            "HDR-01", case.operation.label,
            f"{response.status_code} without X-Request-Id (headers: "
            f"{', '.join(sorted(response.headers))})",
            "every response carries a non-empty X-Request-Id",
        )


def error_body_documented(ctx, response, case) -> None:
    """A 4xx or 5xx answer carries {error_code: string, error_msg: string}."""
    if response.status_code < 400:
        return
    body = _body(response)
    problems = []
    if not isinstance(body, dict):
        problems.append("body is not a JSON object")
    else:
        for field in ("error_code", "error_msg"):
            if not isinstance(body.get(field), str):
                problems.append(f"{field} is {_show(body.get(field, 'missing'))}")
    if problems:
        received = response.content[:300].decode("utf-8", "replace")
        raise RequirementViolation(
            "ERR-01", case.operation.label,
            f"{response.status_code} {received!r} ({'; '.join(problems)})",
            "error body {error_code: string, error_msg: string}",
        )


def commond_result_documented(ctx, response, case) -> None:
    """A 200 command answer carries commond_result with a documented value."""
    if not _is_command(case) or response.status_code != 200:
        return
    schema = contract.schema("ExecuteCommandResponseBody")["properties"]["commond_result"]
    body = _body(response)
    value = body.get("commond_result") if isinstance(body, dict) else None
    if value not in schema["enum"]:
        raise RequirementViolation(
            "CMD-03", case.operation.label, _show(body),
            f"commond_result one of {', '.join(schema['enum'])}",
        )


def multipart_data_documented(ctx, response, case) -> None:
    """multipart_data, where present, is a list of {part_number: string, etag: string}."""
    body = _body(response)
    if not _is_command(case) or not isinstance(body, dict) or "multipart_data" not in body:
        return
    parts = body["multipart_data"]
    wrong = not isinstance(parts, list) or any(
        not isinstance(part, dict)
        or not all(isinstance(part.get(key, ""), str) for key in ("part_number", "etag"))
        for part in parts
    )
    if wrong:
        raise RequirementViolation(
            "CMD-04", case.operation.label, _show(parts),
            "multipart_data: list of {part_number: string, etag: string}",
        )


def attachment_upload_url_documented(ctx, response, case) -> None:
    """attachment_upload_url, where present, is a list of strings."""
    body = _body(response)
    if not _is_command(case) or not isinstance(body, dict) or "attachment_upload_url" not in body:
        return
    urls = body["attachment_upload_url"]
    if not isinstance(urls, list) or not all(isinstance(url, str) for url in urls):
        raise RequirementViolation(
            "CMD-05", case.operation.label, _show(urls), "attachment_upload_url: list of strings"
        )


def state_rules(state: str, tenant: str) -> list:
    """The oracle's rules for a positive case aimed at a job known to be in `state`."""

    def delete_status_gate(ctx, response, case) -> None:
        """DELETE succeeds in exactly the deletable states (seed:delete)."""
        if case.operation.method.upper() != "DELETE":
            return
        allowed = requirements.delete_allowed(state)
        succeeded = requirements.is_delete_success(response.status_code)
        if allowed and not succeeded:
            raise RequirementViolation(
                "DEL-01", case.operation.label, f"{response.status_code} for a job in {state}",
                f"DELETE succeeds in {state}, one of the deletable states",
            )
        if succeeded and not allowed:
            raise RequirementViolation(
                "DEL-02", case.operation.label, f"{response.status_code} for a job in {state}",
                f"DELETE refused in {state}, which is not a deletable state",
            )

    def na_only_commands_refused(ctx, response, case) -> None:
        """NA-only commands are refused for a standard tenant (seed:command NOTE)."""
        body = case.body if isinstance(case.body, dict) else {}
        command = body.get("command")
        if not _is_command(case) or requirements.command_allowed_for_tenant(command, tenant):
            return
        if not requirements.is_refusal(response.status_code, _body(response)):
            raise RequirementViolation(
                "CMD-06", case.operation.label,
                f"{command} for a standard tenant's job in {state}: {response.status_code} "
                f"{_show(_body(response))}",
                f"{command} is available only for NA users",
            )

    return [delete_status_gate, na_only_commands_refused]


ALL = [
    request_id_present,
    error_body_documented,
    commond_result_documented,
    multipart_data_documented,
    attachment_upload_url_documented,
]
