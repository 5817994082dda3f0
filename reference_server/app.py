"""The request pipeline: route by the spec, authenticate, check headers and body, dispatch.

Independent of the socket: it takes a parsed `Request` and always returns a `Response`.
"""

from __future__ import annotations

import json
import re
import sys
import traceback
import uuid
from dataclasses import dataclass
from urllib.parse import parse_qsl

from jsonschema import Draft4Validator
from jsonschema.exceptions import relevance

from . import operations, variants
from .auth import Authenticator, Incoming
from .contract import load_contract
from .faults import Faults, without_ill_typed_comment_data
from .framing import MAX_BODY
from .lifecycle import RULES, Lifecycle
from .responses import (
    API_NOT_FOUND,
    INVALID_PARAMETER,
    MALFORMED_JSON,
    PROJECT_MISMATCH,
    VALIDATION_FAILED,
    Response,
    error,
    internal_error,
)
from .store import DEFAULT_MAX_JOBS, Store
from .wire import Headers

_SANE_HOST = re.compile(r"[A-Za-z0-9.\-]+(:[0-9]{1,5})?|\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?")


@dataclass
class Options:
    token: str | None = None
    ak: str | None = None
    sk: str | None = None
    na_projects: frozenset[str] = frozenset()
    faults: tuple[str, ...] = ()
    unknown_job_status: int = 404  # the docs' table; 400 is what the seed would allow
    refusal: str = "400"  # or "excute-failed": 200 with commond_result EXCUTE_FAILED
    max_body: int = MAX_BODY  # larger request bodies are refused (400) before being read
    read_timeout: float = 30.0  # seconds a client may stall mid-request or idle
    request_timeout: float = 60.0  # seconds from a request's first byte to its body's end
    send_timeout: float = 30.0  # seconds an answer may wait for a client that does not read
    max_connections: int = 1000  # open connections; past it the longest idle one is closed
    spec_path: str | None = None
    access_log: bool = False
    alt_errors: bool = False  # other documented error codes and texts (variants.py)
    extra_fields: bool = False  # undocumented extra fields in every JSON answer
    delay_ms: int = 0  # every answer waits this long
    variants: frozenset[str] = frozenset()  # registry names (variants.py), old options too
    max_jobs: int = DEFAULT_MAX_JOBS  # jobs kept, all projects together; oldest go first
    job_ttl: float = 0  # seconds a job lives after its creation; 0 = until the cap
    auto_verify_after: float = 0  # AUTO_VERIFYING fails by itself after this long; 0 = never

    def __post_init__(self):
        if bool(self.ak) != bool(self.sk):
            raise ValueError("--ak and --sk must be given together")
        self._reconcile_variants()
        if self.unknown_job_status not in (404, 400):
            raise ValueError("unknown_job_status must be 404 or 400")
        if self.refusal not in ("400", "excute-failed"):
            raise ValueError("refusal must be '400' or 'excute-failed'")
        if not 0 <= self.delay_ms <= 600_000:
            raise ValueError("delay_ms must be between 0 and 600000")
        self._check_limits()
        if self.max_jobs < 1:
            raise ValueError("max_jobs must be at least 1")
        if not 0 <= self.job_ttl < 10**9:
            raise ValueError("job_ttl must be 0 (no expiry) or a positive number of seconds")
        if not 0 <= self.auto_verify_after < 10**9:
            raise ValueError("auto_verify_after must be 0 (never) or a positive number of "
                             "seconds")

    def _check_limits(self) -> None:
        """Refuse connection limits that cannot be meant (timeouts: 0 switches one off)."""
        if self.max_body < 0:
            raise ValueError("max_body must be 0 or more bytes")
        if self.max_connections < 1:
            raise ValueError("max_connections must be at least 1")
        for name in ("read_timeout", "request_timeout", "send_timeout"):
            if not 0 <= getattr(self, name) < 10**9:
                raise ValueError(f"{name} must be 0 (off) or a positive number of seconds")

    def _reconcile_variants(self) -> None:
        """One choice, two spellings: a registry name sets its older option, and an older
        option set to its variant's value lists the name, so `variants` names them all."""
        names = set(variants.parse_names(self.variants))
        for name, (option, value) in variants.OPTION_SPELLINGS.items():
            if name in names:
                setattr(self, option, value)
            elif getattr(self, option) == value:
                names.add(name)
        self.variants = frozenset(names)
        self.max_body = variants.body_limit(self.variants, self.max_body)


@dataclass
class Request:
    method: str
    target: str  # raw request-target: path plus query, still percent-encoded
    headers: Headers  # header values as latin-1 text, as on the wire
    body: bytes
    server_url: str  # fallback base for upload URLs when Host is unusable


def _reject_constant(name: str):
    raise ValueError(f"{name} is not JSON")


_DECODER = json.JSONDecoder(parse_constant=_reject_constant)  # one, not one per body


def _latin1_to_utf8(value: str, errors: str = "replace") -> str:
    # the head is decoded as latin-1 (as http.server did); the wire carries UTF-8 (field notes)
    if value.isascii():  # nearly every header: nothing to re-decode
        return value
    return value.encode("latin-1", errors="replace").decode("utf-8", errors=errors)


class App:
    def __init__(self, options: Options):
        self.options = options
        self.contract = load_contract(options.spec_path)
        self.faults = Faults(options.faults)
        self.no_faults = Faults()
        self.variants = variants.Variants(options.variants)
        self.lifecycle = Lifecycle(self.contract, self.variants.rules(RULES, self.contract.states))
        self.store = Store(options.max_jobs, options.job_ttl, options.auto_verify_after)
        self._validators: dict[int, Draft4Validator] = {}
        self.auth = Authenticator(options.token, options.ak, options.sk,
                                  signature_code=variants.signature_code(options.alt_errors))

    def handle(self, req: Request) -> Response:
        faults = self.faults_for(req.target)
        replaced, delay = None, 0.0
        try:
            if faults is not self.no_faults:  # only API requests count
                replaced, delay = faults.on_api_request()
            resp = replaced or self._route(req, faults)
        except Exception:  # a bug here, but the client still gets an answer
            traceback.print_exc(file=sys.stderr)
            resp = internal_error()
        resp.delay = delay
        return self.finish(resp, req.method, faults, req.target)

    def faults_for(self, target: str) -> Faults:
        """The active faults for API requests; none for control requests and uploads,
        which the suite uses to set up state."""
        path = target.partition("?")[0]
        if path.startswith(operations.UPLOAD_PREFIX) or self.contract.is_control(path):
            return self.no_faults
        return self.faults

    def finish(self, resp: Response, method: str = "", faults: Faults | None = None,
               target: str = "") -> Response:
        resp.headers.setdefault("X-Request-Id", uuid.uuid4().hex)
        schema = (self.contract.answer_schema(method, target, resp.status)
                  if self.variants.sends_nulls() else None)
        self.variants.rewrite(resp, schema)
        return (faults or self.faults).finish(resp, method)

    def _route(self, req: Request, faults: Faults) -> Response:
        path, _, query = req.target.partition("?")
        if path.startswith(operations.UPLOAD_PREFIX):
            token = path[len(operations.UPLOAD_PREFIX):]
            if req.method != "PUT":
                return self.variants.method_not_allowed(req.method, ["PUT"])
            return operations.upload(self, token, req.body)
        op, params, known = self.contract.match(req.method, path)
        if op is None:
            if known:
                return self.variants.method_not_allowed(req.method, self.contract.methods_at(path))
            return error(400, API_NOT_FOUND, "API not found")

        headers: dict[str, str] = {}
        for name, value in req.headers.items():
            headers.setdefault(name.lower(), _latin1_to_utf8(value))
        if faults.enforce_auth():
            incoming = Incoming(req.method, path, query, headers, req.body)
            denied = self.auth.check(incoming, verify_signature=faults.verify_signature())
            if denied is not None:
                return denied
        project = params.get("project_id", "")
        if op.path_has_project and headers.get("x-project-id", project) != project:
            return error(400, PROJECT_MISMATCH, "project id in the URL differs from X-Project-Id")
        refused = (self._unknown_job_first(project, params.get("job_id"))
                   or self._check_headers(req.headers, op.header_patterns, faults))
        if refused is not None:
            return refused

        call = operations.Call(
            project_id=project, job_id=params.get("job_id"), body=None,
            query=dict(parse_qsl(query, keep_blank_values=True)),
            base_url=self._base_url(req), op=op,
            too_large=self.variants.too_large_to_execute(len(req.body)),
        )
        if op.body_schema is not None:
            refused = self._read_body(req, call, faults)
            if refused is not None:
                return refused
        return operations.HANDLERS[op.operation_id](self, call)

    def _unknown_job_first(self, project: str, job_id: str | None) -> Response | None:
        """validate-job-first: a job that does not exist is reported before anything
        else about the request."""
        if job_id is None or not self.variants.job_first() or self.store.has(project, job_id):
            return None
        return operations.not_found(self, job_id)

    def _read_body(self, req: Request, call: operations.Call, faults: Faults) -> Response | None:
        """Parse and validate the JSON body into call.body, or the refusal."""
        op = call.op
        is_command = op.operation_id == operations.COMMAND
        if is_command and not req.body and (broken := faults.empty_command_body()):
            return broken
        lenient = faults.lenient_body(req.body, req.headers.get("Content-Type")) if (
            is_command) else None
        if lenient is not None and not lenient[1]:  # a fault answers it 200, runs nothing
            call.body, call.tolerated = {"command": None}, True
            return None
        refused = self.variants.content_type_refusal(req.headers.get("Content-Type"))
        if refused is None:
            call.body, refused = (lenient[0], None) if lenient else self._parse_json(
                req.body, faults)
        if refused is not None:
            return refused
        if is_command:
            call.body = faults.unwrapped_command(call.body)
        schema = self.variants.body_schema(op.body_schema)
        call.body = self.variants.without_nulls(call.body, schema)
        errors = list(self._validator(schema).iter_errors(call.body))
        if faults.runs_despite(errors):
            call.body = without_ill_typed_comment_data(call.body, op.body_schema)
            errors = []
        real = [e for e in errors if not faults.tolerates(e, call.body)]
        if real:
            worst = max(real, key=relevance)
            where = "/".join(map(str, worst.absolute_path)) or "body"
            return error(faults.validation_status(is_command, where), VALIDATION_FAILED,
                         f"parameter validation failed at {where}: {worst.message}"[:500])
        if (refused := self.variants.unknown_field_refusal(call.body, schema)):
            return refused
        call.tolerated = bool(errors)
        for name, prop in op.body_schema.get("properties", {}).items():
            if "default" in prop:  # the spec's defaults, e.g. video_multipart_count
                call.body.setdefault(name, prop["default"])
        return None

    def _validator(self, schema: dict) -> Draft4Validator:
        # building a validator costs more than validating a command body: one per schema
        # (the spec's schemas live as long as the app)
        found = self._validators.get(id(schema))
        if found is None or found.schema is not schema:
            found = self._validators[id(schema)] = Draft4Validator(schema)
        return found

    def _check_headers(self, raw: Headers, patterns, faults: Faults) -> Response | None:
        for name, pattern in patterns:
            value = raw.get(name)
            if value is None or not faults.enforce_header_pattern(name):
                continue
            try:
                text = _latin1_to_utf8(value, errors="strict")
            except UnicodeDecodeError:
                return error(400, INVALID_PARAMETER, f"Invalid parameter: {name} is not UTF-8")
            if not pattern.search(faults.header_checked(name, text)):
                return error(400, INVALID_PARAMETER,
                             f"Invalid parameter: {name} does not match {pattern.pattern}")
            if (refused := self.variants.header_refusal(name, text)):
                return refused
        return None

    @staticmethod
    def _parse_json(raw: bytes, faults: Faults) -> tuple[dict | None, Response | None]:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            return None, error(400, MALFORMED_JSON, "request body is not UTF-8")
        try:
            value = _DECODER.decode(text)
        except (ValueError, RecursionError):
            return None, faults.malformed_json() or error(
                400, MALFORMED_JSON, "request body is not valid JSON")
        if not isinstance(value, dict):
            return None, error(400, MALFORMED_JSON, "request body must be a JSON object")
        return value, None

    @staticmethod
    def _base_url(req: Request) -> str:
        host = req.headers.get("Host", "")
        return f"http://{host}" if _SANE_HOST.fullmatch(host) else req.server_url
