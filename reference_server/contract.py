"""The contract as data, read from openapi/*.yaml: nothing documented is restated in Python.

Every `$ref` is inlined once at load time, so the rest of the server sees plain schemas
that jsonschema can validate directly.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from urllib.parse import unquote

import yaml

SPEC_ENV = "METASTUDIO_SPEC"
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_MAX_REF_DEPTH = 64


def default_spec_path() -> Path:
    env = os.environ.get(SPEC_ENV)
    if env:
        return Path(env)
    # Package data of the project's namespace; `metastudio_conformance/__init__.py` holds
    # only the version, so this reads the contract without importing the suite.
    return Path(str(resources.files("metastudio_conformance.openapi") / "training-jobs.yaml"))


class ContractError(Exception):
    """The spec does not say something the server needs."""


@dataclass(frozen=True)
class Operation:
    operation_id: str
    method: str  # upper case, as on the wire
    template: str
    regex: re.Pattern
    extensions: dict  # the operation's x-* keys
    header_patterns: tuple[tuple[str, re.Pattern], ...]  # headers documented with a pattern
    query_schemas: dict  # name -> schema of each query parameter
    body_schema: dict | None
    body_required: bool
    path_has_project: bool
    success_schema: dict | None  # JSON schema of the first documented 2xx answer
    response_schemas: dict = field(default_factory=dict)  # status -> JSON schema of its answer
    control: bool = False  # from control.yaml: the test-control interface, not the API

    def params(self, path: str) -> dict[str, str] | None:
        m = self.regex.fullmatch(path)
        if m is None:
            return None
        return {k: unquote(v, errors="replace") for k, v in m.groupdict().items()}


@dataclass(frozen=True)
class Contract:
    states: tuple[str, ...]
    deletable_states: frozenset[str]
    na_only_commands: frozenset[str]
    commands: tuple[str, ...]
    initial_state: str
    operations: tuple[Operation, ...] = field(repr=False)

    def operation(self, operation_id: str) -> Operation:
        for op in self.operations:
            if op.operation_id == operation_id:
                return op
        raise ContractError(f"no operation {operation_id!r} in the spec")

    def is_control(self, path: str) -> bool:
        """Whether path lies under the test-control interface's first path segment
        (`/conformance/...` in control.yaml), whatever the method or the rest."""
        roots = {"/" + op.template.split("/")[1] + "/" for op in self.operations if op.control}
        return any(path.startswith(root) for root in roots)

    def answer_schema(self, method: str, target: str, status: int) -> dict | None:
        """The JSON schema the spec documents for this answer, if any."""
        op, _, _ = self.match(method, target.partition("?")[0])
        return op.response_schemas.get(str(status)) if op is not None else None

    def methods_at(self, path: str) -> list[str]:
        """The methods the spec documents for this path (for a 405's Allow header)."""
        return [op.method for op in self.operations if op.params(path) is not None]

    def match(self, method: str, path: str) -> tuple[Operation | None, dict, bool]:
        """(operation, path params, path known). Known path + None = method not allowed."""
        known = False
        for op in self.operations:
            params = op.params(path)
            if params is None:
                continue
            known = True
            if op.method == method:
                return op, params, True
        return None, {}, known


def _load_yaml(path: Path) -> dict:
    with path.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


class _Resolver:
    """Inlines local and cross-file `$ref`s (`file.yaml#/a/b`), relative to the spec dir."""

    def __init__(self, base: Path):
        self.base = base
        self.docs: dict[str, dict] = {}

    def doc(self, name: str) -> dict:
        if name not in self.docs:
            self.docs[name] = _load_yaml(self.base / name)
        return self.docs[name]

    def resolve(self, node, doc_name: str, depth: int = 0):
        if depth > _MAX_REF_DEPTH:
            raise ContractError("$ref nesting too deep (cycle?)")
        if isinstance(node, list):
            return [self.resolve(v, doc_name, depth) for v in node]
        if not isinstance(node, dict):
            return node
        if "$ref" in node:
            file_part, _, pointer = node["$ref"].partition("#")
            target_doc = file_part or doc_name
            target = self.doc(target_doc)
            for token in filter(None, pointer.split("/")):
                target = target[token.replace("~1", "/").replace("~0", "~")]
            return self.resolve(target, target_doc, depth + 1)
        return {k: self.resolve(v, doc_name, depth + 1) for k, v in node.items()}


def _template_regex(template: str) -> re.Pattern:
    parts = re.split(r"(\{[^}]+\})", template)
    body = "".join(
        f"(?P<{p[1:-1]}>[^/]+)" if p.startswith("{") else re.escape(p) for p in parts
    )
    return re.compile(body)


def _operations(spec: dict, control: bool = False) -> list[Operation]:
    ops = []
    for template, item in spec.get("paths", {}).items():
        shared = item.get("parameters", [])
        for method in HTTP_METHODS:
            raw = item.get(method)
            if raw is None:
                continue
            params = shared + raw.get("parameters", [])
            # Every header documented with a format is checked when present, the auth
            # headers too: a malformed X-Sdk-Date beside a token is still a parameter error.
            headers = tuple(
                (p["name"], re.compile(p["schema"]["pattern"]))
                for p in params
                if p.get("in") == "header" and "pattern" in p.get("schema", {})
            )
            queries = {p["name"]: p.get("schema", {}) for p in params if p.get("in") == "query"}
            body = raw.get("requestBody") or {}
            success = next((r for code, r in sorted(raw.get("responses", {}).items())
                            if str(code).startswith("2")), {})
            schema = body.get("content", {}).get("application/json", {}).get("schema")
            ops.append(Operation(
                operation_id=raw["operationId"],
                method=method.upper(),
                template=template,
                regex=_template_regex(template),
                extensions={k: v for k, v in raw.items() if k.startswith("x-")},
                header_patterns=headers,
                query_schemas=queries,
                body_schema=schema,
                body_required=bool(body.get("required")),
                path_has_project="{project_id}" in template,
                success_schema=success.get("content", {}).get("application/json", {})
                .get("schema"),
                response_schemas={str(code): answer["content"]["application/json"]["schema"]
                                  for code, answer in raw.get("responses", {}).items()
                                  if "schema" in answer.get("content", {})
                                  .get("application/json", {})},
                control=control,
            ))
    return ops


def _one_extension(ops: list[Operation], key: str) -> tuple[Operation, object]:
    found = [op for op in ops if key in op.extensions]
    if len(found) != 1:
        raise ContractError(f"expected exactly one operation with {key}, found {len(found)}")
    return found[0], found[0].extensions[key]


def load_contract(spec_path: str | Path | None = None) -> Contract:
    """Read the API spec and, next to it, control.yaml (the test-control interface)."""
    path = Path(spec_path) if spec_path else default_spec_path()
    try:
        return _load(path.resolve())
    except (KeyError, TypeError, IndexError, AttributeError, yaml.YAMLError) as exc:
        raise ContractError(f"{path}: unusable spec ({exc.__class__.__name__}: {exc})") from None


@lru_cache(maxsize=8)  # keyed by resolved path, so METASTUDIO_SPEC changes are honoured
def _load(path: Path) -> Contract:
    resolver = _Resolver(path.parent)
    resolver.docs[path.name] = _load_yaml(path)
    spec = resolver.resolve(resolver.docs[path.name], path.name)
    ops = _operations(spec)
    control_path = path.parent / "control.yaml"
    if control_path.exists():
        ops += _operations(resolver.resolve(resolver.doc(control_path.name), control_path.name),
                           control=True)

    states = tuple(spec["components"]["schemas"]["JobState"]["enum"])
    _, deletable = _one_extension(ops, "x-deletable-states")
    command_op, na_only = _one_extension(ops, "x-na-only-commands")
    _, initial = _one_extension(ops, "x-initial-state")
    commands = tuple(command_op.body_schema["properties"]["command"]["enum"])
    unknown = (set(deletable) | {initial}) - set(states)
    if unknown or not set(na_only) <= set(commands):
        raise ContractError(f"spec names states or commands it does not define: {unknown}")
    return Contract(
        states=states,
        deletable_states=frozenset(deletable),
        na_only_commands=frozenset(na_only),
        commands=commands,
        initial_state=initial,
        operations=tuple(ops),
    )
