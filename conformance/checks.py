"""The oracle's units as schemathesis checks, for the property tests.

Each check is one small function `(ctx, response, case)` that hands the answer to the unit
of `rules` that judges its requirement (the only one: the deterministic tests and the
state machine call the same units). Schemathesis' built-in checks stand for requirements
too (BUILTIN_REQUIREMENTS); `judged` calls them through their units, after ours, so a 5xx
answer is charged to ERR-02 alone and the negative-data check accepts every documented
refusal; a broken rule does not stop the rules that do not depend on it. Checks are
passed to schemathesis per call, never registered globally (for a plain `schemathesis
run`, `schemathesis_hooks` registers the documented ones).
"""

from __future__ import annotations

from jsonschema import Draft4Validator
from schemathesis.checks import CHECKS, max_response_time, not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.specs.openapi import checks as builtin

from metastudio_conformance import contract, requirements, rules
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

# The built-ins that `judged` runs itself through a unit, in its order, or that a unit of
# ours holds instead (replaced in schemathesis' set): not_a_server_error is ERR-02's unit's;
# response_headers_conformance is HDR-01's, whose rule is stricter (every answer);
# ignored_auth wants 401 or 403 where the docs also answer a bad token with 400
# (MSS.00010008), and counts a 5xx against auth: AUTH-01 is held by test_auth.py with the
# documented rule; max_response_time is RSP-05's unit's, with the profile's limit.
REPLACED = (not_a_server_error, builtin.status_code_conformance,
            builtin.content_type_conformance, builtin.response_schema_conformance,
            builtin.response_headers_conformance, builtin.positive_data_acceptance,
            builtin.missing_required_header, builtin.negative_data_rejection,
            builtin.ignored_auth, max_response_time)
HOOKS_MODULE = "metastudio_conformance.schemathesis_hooks"


def excluded() -> list:
    """What a property test's validation leaves out: the replaced built-ins, and our own
    checks should `schemathesis_hooks` have been loaded into this process (through
    SCHEMATHESIS_HOOKS): `judged` applies their units already, in its order."""
    return [*REPLACED, *(check for check in CHECKS.get_all()
                         if getattr(check, "__module__", None) == HOOKS_MODULE)]


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


def apply_unit(case, unit, *args) -> None:
    """Apply one unit; its violation names the operation, as schemathesis' failures do."""
    try:
        unit(*args)
    except Violation as violation:
        violation.operation = case.operation.label
        raise


def request_id_present(ctx, response, case) -> None:
    """HDR-01: every response carries a non-empty X-Request-Id header."""
    apply_unit(case, rules.request_id, Answer.of(response))


def for_run(model, deviate, state: str | None = None, tenant: str = "standard") -> list:
    """The checks of one property-test call: X-Request-Id on every answer, and `judged`,
    which applies every other rule to the answer and reports each one broken, save those
    that depend on a broken one (`judged`), so one fault is charged to one requirement.
    `state` is where the case's job is known to be (positive cases only)."""

    def judged(ctx, response, case) -> None:
        """Every unit but HDR-01's on one answer, each part of it judged once:
        - a 5xx is ERR-02's alone (it says nothing about the other rules);
        - the status: the request's rule (the documented rule a negative case breaks; the
          DELETE gate, CMD-06), then RSP-01, then VAL-02; the first broken takes it;
        - the body, against its status: ERR-01, CMD-03, CMD-04, CMD-05 each on its own
          fields, then RSP-03 (the whole schema) only if they held. A documented error
          body under a status the request's rule found wrong is that rule's finding;
        - the content type (RSP-02), unless the body is not JSON and a body rule said so;
        - the time (RSP-05, a deviation unless strict)."""
        answer = Answer.of(response)
        apply_unit(case, rules.no_server_error, answer, case.operation.label)
        verdict = Verdict(case)
        negative = case.meta is not None and case.meta.generation.mode.is_negative
        if negative:
            request = verdict.judge(parameters_refused, ctx, response, case)
        else:
            request = verdict.judge(_state_rules, case, answer, state, tenant)
        request -= {"ERR-01"}  # a request rule asks ERR-01 first: the body's, not the status'
        if not request and not verdict.judge(rules.documented_status, ctx, response, case):
            verdict.judge(rules.valid_request_accepted, ctx, response, case)
        body = set()
        if not (request and _is_error_body(answer)):
            body = verdict.judge(rules.error_body, answer)
            if operation_id(case) == contract.COMMAND_OPERATION:
                for unit in (rules.commond_result, rules.multipart_data,
                             rules.attachment_upload_url):
                    body |= verdict.judge(unit, answer)
            if not body:
                verdict.judge(rules.documented_schema, ctx, response, case)
        if not (body and answer.body is None and answer.raw):
            verdict.judge(rules.documented_content_type, ctx, response, case)
        try:
            apply_unit(case, rules.answered_in_time, case.operation.label, response.elapsed,
                       model.max_response_time)
        except Violation as violation:  # a model rule: a deviation unless strict
            verdict.judge(deviate, violation)
        verdict.conclude()

    return [request_id_present, judged]


class Verdict:
    """The rules broken on one answer: each unit's failures kept, none stopping the others."""

    def __init__(self, case) -> None:
        self.case, self.failures = case, []

    def judge(self, unit, *args) -> set[str]:
        """Apply a unit (or a function applying units); the requirements it found broken."""
        try:
            unit(*args)
        except (Failure, FailureGroup) as error:
            found = list(error.exceptions) if isinstance(error, FailureGroup) else [error]
            for failure in found:
                if isinstance(failure, Violation):
                    failure.operation = self.case.operation.label
            self.failures += [failure for failure in found if failure not in self.failures]
            return {rid for failure in found
                    for rid in requirements_of(failure) or getattr(unit, "requirements", ())}
        return set()

    def conclude(self) -> None:
        """Raise what was found: one failure as itself, several as one group."""
        if len(self.failures) == 1:
            raise self.failures[0]
        if self.failures:
            raise FailureGroup(self.failures)


def _is_error_body(answer: Answer) -> bool:
    """The documented error body: error_code and error_msg, both strings."""
    return all(isinstance(answer.field(name), str) for name in ("error_code", "error_msg"))


def parameters_refused(ctx, response, case) -> None:
    """VAL-01, or the documented rule a negative case breaks (`requirements.rule_broken`):
    invalid data is not carried out (a 4xx, or 200 EXCUTE_FAILED). Schemathesis' own
    negative-data checks decide that the case is invalid, with their false-alarm guards;
    the rule's unit judges the answer."""
    answer = Answer.of(response)
    if requirements.is_refusal(answer) or _valid_by_the_documents(case):
        return
    for check in (builtin.negative_data_rejection, builtin.missing_required_header):
        try:
            check(ctx, response, case)
        except Failure as failure:
            unit = requirements.unit(_documented_rule_broken(case))
            apply_unit(case, unit, f"a request that breaks the documented parameters "
                  f"({failure.title})", answer)


def _state_rules(case, answer: Answer, state: str, tenant: str) -> None:
    """DEL-01/02 for a DELETE, CMD-06 for an NA-only command of a standard tenant. A
    DELETE that carries an optional header a server may refuse for reasons the documents
    leave open (its length: docs/silent-points.md) is held only to DEL-02: it must not
    succeed where DELETE is not allowed; test_delete_in_state sends none and holds DEL-01."""
    if operation_id(case) == contract.DELETE_OPERATION:
        if case.headers and requirements.delete_allowed(state):
            return
        apply_unit(case, rules.delete_gate, state, answer)
    command = case.body.get("command") if isinstance(case.body, dict) else None
    if (operation_id(case) == contract.COMMAND_OPERATION
            and not requirements.command_allowed_for_tenant(command, tenant)):
        apply_unit(case, rules.na_only_refused, f"{command} for a standard tenant's job in {state}",
              answer)


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
    """The requirement whose documented rule a negative case breaks, from its problems
    (`requirements.rule_broken` says which)."""
    locations = _negated_locations(case)
    if "header" in locations and "X-App-UserId" in (case.headers or {}):
        return requirements.rule_broken([("header", ("X-App-UserId",), "pattern")])
    schema = _request_body_schema(case)
    if schema is None or locations - {"body"} or not isinstance(case.body, dict):
        return requirements.rule_broken([])
    return requirements.rule_broken(
        ("body", _problem_path(error), error.validator)
        for error in Draft4Validator(schema).iter_errors(case.body))


def _problem_path(error) -> tuple:
    """Where a jsonschema error is; for a missing property, the property's own path."""
    path = tuple(error.absolute_path)
    if error.validator == "required" and isinstance(error.instance, dict):
        missing = [name for name in error.validator_value if name not in error.instance]
        return (*path, *missing[:1])
    return path


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
