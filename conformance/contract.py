"""The contract as the suite reads it: `openapi/training-jobs.yaml`, loaded once.

Nothing here restates the contract; it only looks things up in the spec file.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import os
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

# The operations the suite names, by the spec's operationId (the SDK's names); their
# methods and paths are looked up in the spec, never written here.
COMMAND_OPERATION = "Execute2dModelTrainingCommandByUser"
DELETE_OPERATION = "Delete2dModelTrainingJob"
SHOW_OPERATION = "Show2dModelTrainingJob"
LIST_OPERATION = "List2dModelTrainingJob"
CREATE_OPERATION = "Create2dModelTrainingJob"


@dataclass(frozen=True)
class Operation:
    operation_id: str
    method: str  # upper case, as on the wire
    path: str  # the spec's template, e.g. /v1/{project_id}/.../jobs/{job_id}
    definition: dict[str, Any] = field(repr=False, compare=False)

    @property
    def under_test(self) -> bool:
        return "under-test" in self.definition.get("tags", [])

    def url_path(self, **parameters: str) -> str:
        return self.path.format(**parameters)


def spec_path() -> Path:
    """The spec file: `$METASTUDIO_SPEC`, else the one beside this package."""
    override = os.environ.get("METASTUDIO_SPEC")
    if override:
        return Path(override)
    return Path(str(resources.files("metastudio_conformance.openapi") / "training-jobs.yaml"))


@functools.cache
def raw_spec() -> dict[str, Any]:
    with spec_path().open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def spec_sha256() -> str:
    return hashlib.sha256(spec_path().read_bytes()).hexdigest()


@functools.cache
def operations() -> dict[str, Operation]:
    """Every operation of the spec, by operationId."""
    found = {}
    for path, item in raw_spec()["paths"].items():
        for method, definition in item.items():
            if isinstance(definition, dict) and "operationId" in definition:
                found[definition["operationId"]] = Operation(
                    definition["operationId"], method.upper(), path, definition)
    return found


def operation(operation_id: str) -> Operation:
    return operations()[operation_id]


def _component(kind: str, name: str) -> dict[str, Any]:
    return raw_spec()["components"][kind][name]


def job_states() -> list[str]:
    """The 53 states of `components.schemas.JobState`."""
    return list(_component("schemas", "JobState")["enum"])


def deletable_states() -> list[str]:
    """The seed's status gate, stated once as the DELETE operation's `x-deletable-states`."""
    return list(operation(DELETE_OPERATION).definition["x-deletable-states"])


def na_only_commands() -> list[str]:
    return list(operation(COMMAND_OPERATION).definition["x-na-only-commands"])


def commands() -> list[str]:
    return list(_component("schemas", "ExecuteCommandRequestBody")["properties"]["command"]["enum"])


def command_messages() -> list[str]:
    body = _component("schemas", "ExecuteCommandRequestBody")
    return list(body["properties"]["command_message"]["enum"])


def initial_state() -> str:
    return operation(CREATE_OPERATION).definition["x-initial-state"]


def app_user_id_pattern() -> str:
    return _component("parameters", "XAppUserId")["schema"]["pattern"]


@functools.cache
def schema(name: str) -> dict[str, Any]:
    """A component schema with its `$ref`s inlined, ready for `jsonschema`; inlined once
    (the checks read it for every answer), so callers must not change it."""
    return _inline(_component("schemas", name))


@functools.cache
def lenient_schema(name: str) -> dict[str, Any]:
    """A component schema as the documents allow at their widest: each enumeration also
    takes its `x-also-accepted` values (the SDK's later additions)."""
    return _widened(schema(name))


def _widened(node: Any) -> Any:
    if isinstance(node, dict):
        widened = {key: _widened(value) for key, value in node.items()}
        if "enum" in node and "x-also-accepted" in node:
            widened["enum"] = [*node["enum"], *node["x-also-accepted"]]
        return widened
    if isinstance(node, list):
        return [_widened(item) for item in node]
    return node


def also_accepted_commands() -> list[str]:
    body = _component("schemas", "ExecuteCommandRequestBody")
    return list(body["properties"]["command"].get("x-also-accepted", []))


def _inline(node: Any) -> Any:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if ref:
            kind, name = ref.split("/")[-2:]
            return _inline(_component(kind, name))
        return {key: _inline(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_inline(item) for item in node]
    return node


def generation_view() -> dict[str, Any]:
    """The spec as schemathesis should generate from it and judge answers by.

    Header parameters marked `x-auth-header` are dropped: credentials are the client's to
    add (the security schemes say so), and generating values for them would make every
    negative case an auth failure rather than a test of the operation. Every response
    schema is inlined and its optional properties also take JSON null
    (`answer_schema`), so RSP-03 reads a null in an optional answer field as the field
    absent, as the SDK does (docs/silent-points.md, point 18).
    """
    view = copy.deepcopy(raw_spec())
    shared = list(view["components"].get("responses", {}).values())
    inline = [response for operation in _operation_items(view)
              for response in operation.get("responses", {}).values() if "$ref" not in response]
    for response in shared + inline:
        for media in response.get("content", {}).values():
            if "schema" in media:
                media["schema"] = answer_schema(media["schema"])
    auth_refs = {
        f"#/components/parameters/{name}"
        for name, parameter in view["components"]["parameters"].items()
        if parameter.get("x-auth-header")
    }
    for operation in _operation_items(view):
        if "parameters" in operation:
            operation["parameters"] = [
                p for p in operation["parameters"] if p.get("$ref") not in auth_refs
            ]
    return view


def _operation_items(view: dict[str, Any]) -> list[dict[str, Any]]:
    return [operation for path_item in view["paths"].values()
            for operation in path_item.values() if isinstance(operation, dict)]


def answer_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """A response schema, inlined, as the documents allow answers at their widest: an
    optional property may also be JSON null (nothing forbids it; the SDK reads null as
    absent). A required property stays non-null: null there is the field missing."""
    return _nullable_optionals(_inline(schema))


def _nullable_optionals(node: Any) -> Any:
    if isinstance(node, list):
        return [_nullable_optionals(item) for item in node]
    if not isinstance(node, dict):
        return node
    widened = {key: _nullable_optionals(value) for key, value in node.items()}
    required = set(node.get("required", []))
    for name, prop in widened.get("properties", {}).items():
        if name not in required and isinstance(prop, dict):
            prop["nullable"] = True
    return widened
