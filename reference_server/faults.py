"""Deliberate defects, each breaking exactly one requirement, to prove the suite catches it.

A fault is a name in the registry plus a check at one hook point; no handler is copied.
The requirement IDs are the suite's oracle IDs.
"""

from __future__ import annotations

from dataclasses import dataclass

from .responses import INTERNAL_ERROR, Response, error


@dataclass(frozen=True)
class Fault:
    name: str
    requirement: str
    description: str


REGISTRY: dict[str, Fault] = {f.name: f for f in (
    Fault("missing-command-accepted", "CMD-01",
          "a command body without `command` answers 200 EXCUTE_SUCCESS"),
    Fault("unknown-command-accepted", "CMD-02",
          "an undocumented `command` string answers 200 EXCUTE_SUCCESS"),
    Fault("command-result-typo-fixed", "CMD-03",
          "command answers carry `command_result` instead of the documented `commond_result`"),
    Fault("part-number-integer", "CMD-04",
          "GET_MULTIPART_UPLOADED reports `part_number` as an integer, not a string"),
    Fault("na-command-for-standard", "CMD-06",
          "NA-only commands are executed for standard (non-NA) tenants"),
    Fault("no-request-id", "HDR-01", "no response carries an X-Request-Id header"),
    Fault("chinese-user-id-accepted", "HDR-02",
          "an X-App-UserId with Chinese characters is accepted"),
    Fault("error-without-msg", "ERR-01", "error bodies carry no `error_msg`"),
    Fault("500-on-malformed-json", "ERR-02", "a malformed JSON body answers 500"),
    Fault("delete-in-training", "DEL-02", "DELETE also succeeds while the job is TRAINING"),
    Fault("delete-keeps-job", "DEL-03", "DELETE answers 200 but the job stays"),
    Fault("auth-not-enforced", "AUTH-01", "requests without valid credentials are served"),
)}


class UnknownFault(ValueError):
    pass


class Faults:
    def __init__(self, names=()):
        unknown = [n for n in names if n not in REGISTRY]
        if unknown:
            raise UnknownFault(
                f"unknown fault {unknown[0]!r}; known: {', '.join(sorted(REGISTRY))}"
            )
        self.active = frozenset(names)

    def __contains__(self, name: str) -> bool:
        return name in self.active

    # --- hook points, in the order a request meets them ---

    def enforce_auth(self) -> bool:
        return "auth-not-enforced" not in self

    def enforce_header_pattern(self, header: str) -> bool:
        return not ("chinese-user-id-accepted" in self and header.lower() == "x-app-userid")

    def malformed_json(self) -> Response | None:
        if "500-on-malformed-json" in self:
            return error(500, INTERNAL_ERROR, "Internal Error")
        return None

    def tolerates(self, err, body: dict) -> bool:
        """Whether a command-body validation error is let through (then answered 200)."""
        if "missing-command-accepted" in self and err.validator == "required":
            return "command" in err.validator_value and "command" not in body
        if "unknown-command-accepted" in self and list(err.path) == ["command"]:
            return isinstance(body.get("command"), str)
        return False

    def is_na(self, project_id: str, na_projects: frozenset[str]) -> bool:
        return project_id in na_projects or "na-command-for-standard" in self

    def deletable(self, states: frozenset[str]) -> frozenset[str]:
        return states | {"TRAINING"} if "delete-in-training" in self else states

    def delete_removes(self) -> bool:
        return "delete-keeps-job" not in self

    def finish(self, resp: Response) -> Response:
        """Last rewrite of every response, errors and control included."""
        if "no-request-id" in self:
            resp.headers.pop("X-Request-Id", None)
        payload = resp.payload
        if payload is None:
            return resp
        if "error-without-msg" in self and resp.is_error:
            payload.pop("error_msg", None)
        # only command answers carry these two fields
        if "command-result-typo-fixed" in self and "commond_result" in payload:
            payload["command_result"] = payload.pop("commond_result")
        if "part-number-integer" in self:
            for part in payload.get("multipart_data", []):
                part["part_number"] = int(part["part_number"])
        return resp
