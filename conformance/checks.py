"""The oracle's rules as schemathesis checks, for the property tests.

Each check is one small function `(ctx, response, case)` that hands the answer to the rule
in `requirements` (written once, shared with the deterministic tests and the state
machine). Schemathesis' built-in checks stand for requirements too (BUILTIN_REQUIREMENTS);
they run wrapped so that a 5xx answer is charged to ERR-02 alone, and the negative-data
check accepts every documented refusal. Checks are passed to schemathesis per call, never
registered globally.
"""

from __future__ import annotations

from jsonschema import Draft4Validator
from schemathesis.checks import max_response_time
from schemathesis.core.failures import Failure
from schemathesis.specs.openapi import checks as builtin

from metastudio_conformance import contract, requirements
from metastudio_conformance.answers import Answer
from metastudio_conformance.outcomes import Violation

# Which requirement each schemathesis built-in check stands for.
BUILTIN_REQUIREMENTS = {
    "not_a_server_error": "ERR-02",
    "status_code_conformance": "RSP-01",
    "content_type_conformance": "RSP-02",
    "response_schema_conformance": "RSP-03",
    "response_headers_conformance": "HDR-01",
    "negative_data_rejection": "VAL-01",
    "missing_required_header": "VAL-01",
    "positive_data_acceptance": "VAL-02",
    "max_response_time": "RSP-05",
}

# The built-ins that `judged` runs itself, in its order, or that a rule of ours holds
# instead (replaced in schemathesis' set): response_headers_conformance is HDR-01's, whose
# rule is stricter (every answer); ignored_auth wants 401 or 403 where the docs also answer
# a bad token with 400 (MSS.00010008), and counts a 5xx against auth: AUTH-01 is held by
# test_auth.py with the documented rule.
REPLACED = (builtin.status_code_conformance, builtin.content_type_conformance,
            builtin.response_schema_conformance, builtin.response_headers_conformance,
            builtin.positive_data_acceptance, builtin.missing_required_header,
            builtin.negative_data_rejection, builtin.ignored_auth, max_response_time)


def requirements_of(failure: BaseException) -> list[str]:
    """The requirement IDs one schemathesis or suite failure stands for."""
    if isinstance(failure, Violation):
        return [failure.requirement]
    # A failure class may list several checks that can raise it; the first is its own.
    names = getattr(type(failure), "checks", ()) or ()
    if names and names[0] in BUILTIN_REQUIREMENTS:
        return [BUILTIN_REQUIREMENTS[names[0]]]
    return []


def operation_id(case) -> str:
    return case.operation.definition.raw.get("operationId", "")


def _judge(case, rule, *args) -> None:
    """Apply one rule; its violation names the operation, as schemathesis' failures do."""
    try:
        rule(*args)
    except Violation as violation:
        violation.operation = case.operation.label
        raise


def request_id_present(ctx, response, case) -> None:
    """HDR-01: every response carries a non-empty X-Request-Id header."""
    _judge(case, requirements.request_id, Answer.of(response))


def for_run(model, deviate, state: str | None = None, tenant: str = "standard") -> list:
    """The checks of one property-test call: X-Request-Id on every answer, and `judged`,
    which applies every other rule to the answer, most specific first, and reports the
    first one broken, so one fault is charged to one requirement. `state` is where the
    case's job is known to be (positive cases only)."""

    def judged(ctx, response, case) -> None:
        """Every rule but HDR-01 on one answer; a 5xx is ERR-02's alone (not_a_server_error)."""
        answer = Answer.of(response)
        if answer.status >= 500:
            return
        negative = case.meta is not None and case.meta.generation.mode.is_negative
        if negative:
            _negative_data_refused(ctx, response, case, answer)
        elif state is not None:
            _state_rules(case, answer, state, tenant)
        _judge(case, requirements.error_body, answer)
        if operation_id(case) == contract.COMMAND_OPERATION:
            _judge(case, requirements.command_answer, answer)
        for check in (builtin.status_code_conformance, builtin.content_type_conformance,
                      builtin.response_schema_conformance, builtin.positive_data_acceptance,
                      builtin.missing_required_header):
            check(ctx, response, case)
        if response.elapsed > model.max_response_time:
            deviate(Violation("RSP-05", case.operation.label,
                              f"{case.operation.label} answered in {response.elapsed:.2f} s",
                              f"every answer within {model.max_response_time:g} s"))

    return [request_id_present, judged]


def _negative_data_refused(ctx, response, case, answer: Answer) -> None:
    """VAL-01, or the documented rule the request breaks: invalid data is not carried out
    (a 4xx, or 200 EXCUTE_FAILED)."""
    if requirements.is_refusal(answer) or _valid_by_the_documents(case):
        return
    try:
        builtin.negative_data_rejection(ctx, response, case)  # its own false-alarm guards
    except Failure as failure:
        rule = _documented_rule_broken(case)
        raise Violation(rule, case.operation.label, answer.describe(),
                        f"a request that breaks the documented parameters is refused "
                        f"({failure.title})") from None


def _state_rules(case, answer: Answer, state: str, tenant: str) -> None:
    """DEL-01/02 for a DELETE, CMD-06 for an NA-only command of a standard tenant. A
    DELETE that carries an optional header a server may refuse for reasons the documents
    leave open (its length: docs/silent-points.md) is held only to DEL-02: it must not
    succeed where DELETE is not allowed; test_delete_in_state sends none and holds DEL-01."""
    if operation_id(case) == contract.DELETE_OPERATION:
        if case.headers and requirements.delete_allowed(state):
            return
        _judge(case, requirements.delete_gate, state, answer)
    command = case.body.get("command") if isinstance(case.body, dict) else None
    if (operation_id(case) == contract.COMMAND_OPERATION
            and not requirements.command_allowed_for_tenant(command, tenant)):
        _judge(case, requirements.refused, "CMD-06",
               f"{command} for a standard tenant's job in {state}", answer)


def _valid_by_the_documents(case) -> bool:
    """A body schemathesis made negative may still be valid by the documents' widest
    reading (docs/silent-points.md): JSON null in an optional field is not documented as
    invalid, and the SDK's later command values may be accepted by a newer service."""
    schema = _request_body_schema(case)
    if schema is None or not isinstance(case.body, dict):
        return False
    if any(location != "body" for location in _negated_locations(case)):
        return False
    lenient = contract.lenient_schema("ExecuteCommandRequestBody")
    return Draft4Validator(lenient).is_valid(_without_optional_nulls(case.body, lenient))


def _documented_rule_broken(case) -> str:
    """The requirement whose documented rule a negative request breaks: CMD-01 (no
    `command`), CMD-02 (`command` outside the options), CMD-07 (`comment_data` of the
    wrong type), HDR-02 (X-App-UserId), otherwise VAL-01."""
    locations = _negated_locations(case)
    if "header" in locations and "X-App-UserId" in (case.headers or {}):
        return "HDR-02"
    schema = _request_body_schema(case)
    if schema is None or locations - {"body"}:
        return "VAL-01"
    if not isinstance(case.body, dict):
        return "VAL-01"
    errors = list(Draft4Validator(schema).iter_errors(case.body))
    fields = {tuple(error.absolute_path)[:1] for error in errors}
    if any(error.validator == "required" and "'command'" in error.message for error in errors):
        return "CMD-01"
    if fields == {("command",)}:
        return "CMD-02"
    wrong_types = all(error.validator == "type" or error.absolute_path[:1] == ["comment_data"]
                      for error in errors)
    if errors and wrong_types and fields <= {("command_message",), ("comment_data",)}:
        return "CMD-07"
    return "VAL-01"


def _negated_locations(case) -> set[str]:
    components = getattr(case.meta, "components", None) or {}
    return {location.value for location, info in components.items()
            if info.mode.is_negative}


def _request_body_schema(case) -> dict | None:
    if operation_id(case) != contract.COMMAND_OPERATION:
        return None
    return contract.schema("ExecuteCommandRequestBody")


def _without_optional_nulls(value, schema: dict):
    if not isinstance(value, dict) or not isinstance(schema, dict):
        return value
    required = set(schema.get("required", []))
    properties = schema.get("properties", {})
    return {key: _without_optional_nulls(item, properties.get(key, {}))
            for key, item in value.items() if not (item is None and key not in required)}
