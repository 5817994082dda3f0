"""The contract as the suite reads it: `openapi/training-jobs.yaml`, loaded once.

Nothing here restates the contract; it only looks things up in the spec file.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import os
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

COMMAND_PATH = "/v1/{project_id}/digital-human-training-manage/user/jobs/{job_id}/command"
JOB_PATH = "/v1/{project_id}/digital-human-training-manage/user/jobs/{job_id}"
JOBS_PATH = "/v1/{project_id}/digital-human-training-manage/user/jobs"


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


def _component(kind: str, name: str) -> dict[str, Any]:
    return raw_spec()["components"][kind][name]


def job_states() -> list[str]:
    """The 53 states of `components.schemas.JobState`."""
    return list(_component("schemas", "JobState")["enum"])


def deletable_states() -> list[str]:
    """The seed's status gate, stated once as the DELETE operation's `x-deletable-states`."""
    return list(raw_spec()["paths"][JOB_PATH]["delete"]["x-deletable-states"])


def na_only_commands() -> list[str]:
    return list(raw_spec()["paths"][COMMAND_PATH]["post"]["x-na-only-commands"])


def commands() -> list[str]:
    return list(_component("schemas", "ExecuteCommandRequestBody")["properties"]["command"]["enum"])


def command_messages() -> list[str]:
    body = _component("schemas", "ExecuteCommandRequestBody")
    return list(body["properties"]["command_message"]["enum"])


def initial_state() -> str:
    return raw_spec()["paths"][JOBS_PATH]["post"]["x-initial-state"]


def app_user_id_pattern() -> str:
    return _component("parameters", "XAppUserId")["schema"]["pattern"]


def schema(name: str) -> dict[str, Any]:
    """A component schema with its `$ref`s inlined, ready for `jsonschema`."""
    return _inline(_component("schemas", name))


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
    """The spec as schemathesis should generate from it.

    Header parameters marked `x-auth-header` are dropped: credentials are the client's to
    add (the security schemes say so), and generating values for them would make every
    negative case an auth failure rather than a test of the operation.
    """
    view = copy.deepcopy(raw_spec())
    auth_refs = {
        f"#/components/parameters/{name}"
        for name, parameter in view["components"]["parameters"].items()
        if parameter.get("x-auth-header")
    }
    for path_item in view["paths"].values():
        for operation in path_item.values():
            if isinstance(operation, dict) and "parameters" in operation:
                operation["parameters"] = [
                    p for p in operation["parameters"] if p.get("$ref") not in auth_refs
                ]
    return view
