"""Compare the official SDK's models with openapi/training-jobs.yaml (used by the tests only).

The SDK (`huaweicloudsdkmetastudio`) is generated from Huawei's own API definitions: an
oracle nobody here wrote. What its Python models let us know, and where from:

- wire names: `attribute_map`; types: `openapi_types` ('str', 'list[X]', 'SomeClass');
- where each request attribute travels (path, query, header) and which response attributes
  are headers: the client's `_<operation>_http_info(request)`, called on an empty request;
- required-ness: the generated `__init__` assigns a required attribute unconditionally and
  an optional one under `if x is not None:` (the setters never raise);
- enumerations: only in docstrings, as `* VALUE: text` bullets. The colon is ASCII or
  full-width and once missing (`* WAIT_GENERATE_ACTION_MARK 等待动作标定`); the parser
  accepts all three. Other forms (`- text：value`, as in List's `sort_key`) are not read.

Lengths, ranges, patterns, formats and defaults are not in the Python models: not compared.
A difference is (schema, field, aspect, sdk, spec); docs/contract-differences.md explains the
known ones in fenced YAML blocks that `documented()` reads.
"""

from __future__ import annotations

import ast
import inspect
import re
import textwrap
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import huaweicloudsdkmetastudio.v1.model as sdk_model
import yaml
from huaweicloudsdkmetastudio.v1.metastudio_client import MetaStudioClient

ROOT = Path(__file__).resolve().parent.parent
SPEC_PATH = ROOT / "openapi" / "training-jobs.yaml"
DIFFERENCES_PATH = ROOT / "docs" / "contract-differences.md"

# The two operations under test, then the supporting ones the suite drives jobs with.
OPERATIONS = (
    "Execute2dModelTrainingCommandByUser",
    "Delete2dModelTrainingJob",
    "Create2dModelTrainingJob",
    "Show2dModelTrainingJob",
    "List2dModelTrainingJob",
)

SDK_SCALARS = {"str": "string", "int": "integer", "bool": "boolean", "float": "number",
               "object": "object"}
ENUM_BULLET = re.compile(r"\*\s*([A-Za-z0-9][A-Za-z0-9_.]*)(?=\s|[:：]|$)")
NA_ONLY_NOTE = re.compile(r"((?:[A-Z_]+、)*[A-Z_]+)命令仅NA")
ANY = "*"  # in a documented entry: any value of that side


@dataclass(frozen=True, order=True)
class Difference:
    schema: str
    field: str
    aspect: str
    sdk: str
    spec: str


@dataclass(frozen=True)
class Documented:
    schema: str
    field: str
    aspect: str
    sdk: str
    spec: str
    reason: str

    def explains(self, difference: Difference) -> bool:
        return (
            (self.schema, self.field, self.aspect)
            == (difference.schema, difference.field, difference.aspect)
            and self.sdk in (ANY, difference.sdk)
            and self.spec in (ANY, difference.spec)
        )


@dataclass(frozen=True)
class SdkField:
    type: str
    required: bool
    enum: frozenset[str] | None


# ---------------------------------------------------------------- the SDK side


def snake_case(operation_id: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", operation_id).lower()


def http_info(operation_id: str) -> dict:
    """Method, path, parameter locations and response headers, as the SDK client builds them."""
    request = sdk_class(f"{operation_id}Request")()
    return getattr(MetaStudioClient, f"_{snake_case(operation_id)}_http_info")(request)


def sdk_class(name: str) -> type:
    return getattr(sdk_model, name)


def required_attributes(cls: type) -> set[str]:
    """Attributes `__init__` assigns outside an `if ... is not None` guard."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(cls.__init__)))
    body = tree.body[0].body
    return {
        target.attr
        for statement in body if isinstance(statement, ast.Assign)
        for target in statement.targets
        if isinstance(target, ast.Attribute) and target.attr in cls.openapi_types
    }


def docstring_enum(cls: type, attribute: str) -> frozenset[str] | None:
    doc = (getattr(cls, attribute).__doc__ or "").split(":return:")[0]
    values = frozenset(ENUM_BULLET.findall(doc))
    return values or None


def enum_class_values(type_string: str) -> frozenset[str] | None:
    """Values of a constants-only class such as SupportedServiceEnum (a string enum)."""
    leaf = leaf_type(type_string)
    if leaf in SDK_SCALARS or sdk_class(leaf).openapi_types:
        return None
    cls = sdk_class(leaf)
    return frozenset(v for k, v in vars(cls).items() if k.isupper() and isinstance(v, str))


def leaf_type(type_string: str) -> str:
    match = re.fullmatch(r"list\[(.+)\]", type_string)
    return leaf_type(match.group(1)) if match else type_string


def sdk_fields(cls: type) -> dict[str, SdkField]:
    """The model's attributes by wire name."""
    required = required_attributes(cls)
    return {
        cls.attribute_map[attribute]: SdkField(
            type_string, attribute in required,
            docstring_enum(cls, attribute) or enum_class_values(type_string),
        )
        for attribute, type_string in cls.openapi_types.items()
    }


def sdk_type_name(type_string: str) -> str:
    match = re.fullmatch(r"list\[(.+)\]", type_string)
    if match:
        return f"array<{sdk_type_name(match.group(1))}>"
    if type_string in SDK_SCALARS:
        return SDK_SCALARS[type_string]
    # A model class is an object; a constants-only class carries a string.
    return "object" if sdk_class(type_string).openapi_types else "string"


def sdk_model_class(type_string: str) -> type | None:
    leaf = leaf_type(type_string)
    if leaf in SDK_SCALARS or not sdk_class(leaf).openapi_types:
        return None
    return sdk_class(leaf)


def sdk_na_only_commands() -> frozenset[str]:
    doc = sdk_model.Execute2dModelTrainingCommandByUserReq.command.__doc__
    return frozenset(NA_ONLY_NOTE.search(doc).group(1).split("、"))


# ---------------------------------------------------------------- the spec side


class Spec:
    def __init__(self, document: dict):
        self.document = document

    def resolve(self, node: dict) -> dict:
        while "$ref" in node:
            node = self.pointer(node["$ref"])
        return node

    def pointer(self, ref: str) -> dict:
        node = self.document
        for part in ref.removeprefix("#/").split("/"):
            node = node[part]
        return node

    @staticmethod
    def ref_name(node: dict) -> str | None:
        return node["$ref"].rsplit("/", 1)[1] if "$ref" in node else None

    def operation(self, operation_id: str) -> tuple[str, str, dict, list] | None:
        """(method, path, operation, path-level parameters) of an operationId."""
        for path, item in self.document["paths"].items():
            for method, operation in item.items():
                if isinstance(operation, dict) and operation.get("operationId") == operation_id:
                    return method, path, operation, item.get("parameters", [])
        return None

    def type_name(self, node: dict) -> str:
        node = self.resolve(node)
        kind = node.get("type") or ("object" if "properties" in node else "any")
        if kind == "array":
            return f"array<{self.type_name(node.get('items', {}))}>"
        return kind

    def enum(self, node: dict) -> frozenset[str] | None:
        node = self.resolve(node)
        if node.get("type") == "array":
            return self.enum(node.get("items", {}))
        return frozenset(node["enum"]) if "enum" in node else None

    def object_schema(self, node: dict) -> dict | None:
        """The object schema of a property (or of its items), unresolved, if it is one."""
        resolved = self.resolve(node)
        if resolved.get("type") == "array":
            return self.object_schema(resolved.get("items", {}))
        return node if self.type_name(node) == "object" else None


# ---------------------------------------------------------------- comparing


def joined(values: frozenset[str] | None, empty: str) -> str:
    return ", ".join(sorted(values)) if values else empty


def enum_difference(sdk: frozenset[str] | None, spec: frozenset[str] | None):
    """(sdk, spec) texts: the values only one side has; 'none' = that side has no enum."""
    if sdk == spec:
        return None
    if sdk is None or spec is None:
        return joined(sdk, "none"), joined(spec, "none")
    return joined(sdk - spec, "-"), joined(spec - sdk, "-")


def requiredness(flag: bool) -> str:
    return "required" if flag else "optional"


def compare_value(schema, field, aspect, sdk: str, spec: str) -> list[Difference]:
    return [] if sdk == spec else [Difference(schema, field, aspect, sdk, spec)]


def compare_presence(schema, names_sdk, names_spec) -> list[Difference]:
    only_sdk = [Difference(schema, n, "field", "present", "absent") for n in names_sdk
                if n not in names_spec]
    only_spec = [Difference(schema, n, "field", "absent", "present") for n in names_spec
                 if n not in names_sdk]
    return only_sdk + only_spec


def compare_field(spec: Spec, label: str, name: str, field: SdkField, node: dict,
                  spec_required: bool) -> list[Difference]:
    found = compare_value(label, name, "type", sdk_type_name(field.type), spec.type_name(node))
    found += compare_value(label, name, "required", requiredness(field.required),
                           requiredness(spec_required))
    enums = enum_difference(field.enum, spec.enum(node))
    if enums:
        found.append(Difference(label, name, "enum", *enums))
    return found + compare_nested(spec, label, name, field, node)


def compare_nested(spec: Spec, label: str, name: str, field: SdkField,
                   node: dict) -> list[Difference]:
    child_class, child_schema = sdk_model_class(field.type), spec.object_schema(node)
    if child_class is None or child_schema is None:
        return []  # a type difference already says so
    child_label = spec.ref_name(child_schema) or f"{label}.{name}"
    return compare_object(spec, sdk_fields(child_class), child_schema, child_label)


def compare_object(spec: Spec, fields: dict[str, SdkField], schema: dict,
                   label: str) -> list[Difference]:
    resolved = spec.resolve(schema)
    properties = resolved.get("properties", {})
    required = set(resolved.get("required", []))
    found = compare_presence(label, fields, properties)
    for name in sorted(fields.keys() & properties.keys()):
        found += compare_field(spec, label, name, fields[name], properties[name],
                               name in required)
    return found


def sdk_parameters(operation_id: str, info: dict) -> dict[str, tuple[str, SdkField]]:
    """Request parameters by wire name: (location, field)."""
    fields = sdk_fields(sdk_class(f"{operation_id}Request"))
    parameters = {}
    for name in re.findall(r"{(\w+)}", info["resource_path"]):
        # project_id is not a request attribute: the client fills it from its credentials.
        parameters[name] = ("path", fields.get(name, SdkField("str", True, None)))
    for name, _ in info["query_params"]:
        parameters[name] = ("query", fields[name])
    for name in info["header_params"]:
        if name != "Content-Type":  # set by the client on every call, not a model attribute
            parameters[name] = ("header", fields[name])
    return parameters


def spec_parameters(spec: Spec, operation: dict, shared: list) -> dict[str, dict]:
    resolved = [spec.resolve(p) for p in shared + operation.get("parameters", [])]
    return {p["name"]: p for p in resolved}


def compare_parameters(spec: Spec, operation_id: str, info: dict, operation: dict,
                       shared: list) -> list[Difference]:
    label = f"{operation_id} request"
    in_sdk = sdk_parameters(operation_id, info)
    in_spec = spec_parameters(spec, operation, shared)
    found = compare_presence(label, in_sdk, in_spec)
    for name in sorted(in_sdk.keys() & in_spec.keys()):
        location, field = in_sdk[name]
        parameter = in_spec[name]
        found += compare_value(label, name, "in", location, parameter["in"])
        found += compare_field(spec, label, name, field, parameter.get("schema", {}),
                               parameter.get("required", False))
    return found


def compare_request_body(spec: Spec, operation_id: str, info: dict,
                         operation: dict) -> list[Difference]:
    label = f"{operation_id} request"
    body = sdk_fields(sdk_class(f"{operation_id}Request")).get("body")
    request_body = operation.get("requestBody")
    found = compare_presence(label, ["body"] if body else [], ["body"] if request_body else [])
    if not (body and request_body):
        return found
    found += compare_value(label, "body", "required", requiredness(body.required),
                           requiredness(request_body.get("required", False)))
    media = request_body.get("content", {})
    found += compare_value(label, "body", "content-type", info["header_params"]["Content-Type"],
                           ", ".join(sorted(media)))
    schema = media.get("application/json", {}).get("schema", {})
    body_label = spec.ref_name(schema) or f"{operation_id} request body"
    return found + compare_object(spec, sdk_fields(sdk_class(body.type)), schema, body_label)


def headers_as_schema(spec: Spec, response: dict) -> dict:
    """A response's headers as an object schema, so they compare like body fields."""
    headers = {name: spec.resolve(h) for name, h in response.get("headers", {}).items()}
    return {"properties": {name: h.get("schema", {}) for name, h in headers.items()},
            "required": [name for name, h in headers.items() if h.get("required")]}


def compare_response(spec: Spec, operation_id: str, info: dict,
                     operation: dict) -> list[Difference]:
    fields = sdk_fields(sdk_class(f"{operation_id}Response"))
    headers = {n: f for n, f in fields.items() if n in info["response_headers"]}
    body = {n: f for n, f in fields.items() if n not in headers}
    ok = spec.resolve(operation.get("responses", {}).get("200", {}))
    header_schema = headers_as_schema(spec, ok)
    found = compare_object(spec, headers, header_schema, f"{operation_id} response")
    schema = ok.get("content", {}).get("application/json", {}).get("schema")
    if schema is None:
        return found + compare_presence(f"{operation_id} response body", body, {})
    label = spec.ref_name(schema) or f"{operation_id} response body"
    return found + compare_object(spec, body, schema, label)


def compare_error_bodies(spec: Spec, operation: dict) -> list[Difference]:
    """Every 4xx/5xx body against ErrorResponse: the SDK's model of error_code/error_msg,
    the two names its exception handler reads from any status >= 400."""
    fields = sdk_fields(sdk_model.ErrorResponse)
    found = []
    for status, response in operation.get("responses", {}).items():
        schema = spec.resolve(response).get("content", {}).get("application/json", {})
        if int(status) >= 400 and "schema" in schema:
            label = spec.ref_name(schema["schema"]) or f"error {status}"
            found += compare_object(spec, fields, schema["schema"], label)
    return found


def compare_na_only(spec: Spec) -> list[Difference]:
    located = spec.operation("Execute2dModelTrainingCommandByUser")
    if located is None:
        return []  # compare_operation reports the missing operation
    listed = located[2].get("x-na-only-commands")
    enums = enum_difference(sdk_na_only_commands(), frozenset(listed) if listed else None)
    if not enums:
        return []
    return [Difference("Execute2dModelTrainingCommandByUser", "command", "na-only", *enums)]


def compare_operation(spec: Spec, operation_id: str) -> list[Difference]:
    located = spec.operation(operation_id)
    if located is None:
        return [Difference(operation_id, "-", "operation", "present", "absent")]
    method, path, operation, shared = located
    info = http_info(operation_id)
    found = compare_value(operation_id, "-", "route", f"{info['method']} {info['resource_path']}",
                          f"{method.upper()} {path}")
    found += compare_parameters(spec, operation_id, info, operation, shared)
    found += compare_request_body(spec, operation_id, info, operation)
    found += compare_response(spec, operation_id, info, operation)
    return found + compare_error_bodies(spec, operation)


def compare(document: dict) -> list[Difference]:
    """Every difference between the SDK's models and the spec document."""
    spec = Spec(document)
    found = [d for operation_id in OPERATIONS for d in compare_operation(spec, operation_id)]
    return sorted(set(found + compare_na_only(spec)))


# ---------------------------------------------------------------- the documented differences


@cache
def load_spec_text() -> str:
    return SPEC_PATH.read_text(encoding="utf-8")


def load_spec() -> dict:
    return yaml.safe_load(load_spec_text())


def as_text(value) -> str:
    return ", ".join(sorted(str(v) for v in value)) if isinstance(value, list) else str(value)


def as_list(value) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def documented(markdown: str | None = None) -> list[Documented]:
    """The entries of the fenced ```yaml blocks; `schema` and `field` may be lists."""
    text = DIFFERENCES_PATH.read_text(encoding="utf-8") if markdown is None else markdown
    blocks = re.findall(r"^```yaml\n(.*?)^```", text, re.M | re.S)
    entries = [entry for block in blocks for entry in yaml.safe_load(block) or []]
    return [
        Documented(schema, field, entry["aspect"], as_text(entry["sdk"]),
                   as_text(entry["spec"]), str(entry.get("reason", "")).strip())
        for entry in entries
        for schema in as_list(entry["schema"])
        for field in as_list(entry["field"])
    ]


def reconcile(found: list[Difference], known: list[Documented]):
    """(differences nobody explained, explanations of differences that no longer exist)."""
    unexplained = [d for d in found if not any(k.explains(d) for k in known)]
    stale = [k for k in known if not any(k.explains(d) for d in found)]
    return unexplained, stale


def as_yaml(differences: list[Difference]) -> str:
    """Unexplained differences, ready to paste into the document once a reason is written."""
    rows = [dict(schema=d.schema, field=d.field, aspect=d.aspect, sdk=d.sdk, spec=d.spec,
                 reason="TODO") for d in differences]
    return yaml.safe_dump(rows, sort_keys=False, allow_unicode=True, width=100)
