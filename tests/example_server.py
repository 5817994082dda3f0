"""A mock of the spec that answers every operation with the spec's examples verbatim, as
Stoplight Prism's static mode does, on 127.0.0.1 in a thread of this process.

For each request it finds the operation by method and path template, takes its lowest
2xx response, and sends the response's `example`, or a value sampled from its schema
where there is none: the schema's example, default or first enum value, else its type's
name for a string ("string"), 0 for a number, true for a boolean, one item for an array,
every property for an object (json-schema-sampler's rules, which Prism uses). Response
headers get the same treatment (`X-Request-Id: string`). A path of no operation (the
test-control interface) is Prism's 404 problem. No request is validated.
"""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from metastudio_conformance import contract
from metastudio_conformance.strategies.near_miss_probe import resolved

HOST = "127.0.0.1"
DATE_TIME = "2019-08-24T14:15:22Z"  # what Prism's sampler puts for format: date-time
NOT_FOUND = {"type": "https://stoplight.io/prism/errors#NO_PATH_MATCHED_ERROR",
             "title": "Route not resolved, no path matched", "status": 404,
             "detail": "The route does not match any path of the document"}


def sample(schema: dict) -> Any:
    """A value of `schema` as a static mock makes one: examples first, else placeholders."""
    for key in ("example", "default"):
        if key in schema:
            return schema[key]
    if schema.get("enum"):
        return schema["enum"][0]
    kind = schema.get("type", "object" if "properties" in schema else None)
    if kind == "array":
        return [sample(schema.get("items", {}))]
    if kind == "object":
        return {name: sample(member) for name, member in schema.get("properties", {}).items()}
    if kind == "string":
        return DATE_TIME if schema.get("format") == "date-time" else "string"
    return {"integer": 0, "number": 0, "boolean": True}.get(kind)


def canned_answers(spec: dict) -> list[tuple[str, re.Pattern, int, dict, bytes | None]]:
    """(method, path pattern, status, headers, body) per operation, from its lowest 2xx."""
    found = []
    for template, item in spec["paths"].items():
        pattern = re.compile("^" + re.sub(r"\\{[^}]+\\}", "[^/]+", re.escape(template)) + "$")
        for method, operation in item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            status = min(code for code in operation["responses"] if code.startswith("2"))
            response = resolved(spec, operation["responses"][status])
            headers = {name: str(sample(header.get("schema", {})))
                       for name, header in response.get("headers", {}).items()}
            media = response.get("content", {}).get("application/json")
            body = None
            if media is not None:
                value = media["example"] if "example" in media else sample(media["schema"])
                body = json.dumps(value).encode()
                headers["Content-Type"] = "application/json"
            found.append((method.upper(), pattern, int(status), headers, body))
    return found


class ExampleServer:
    """The mock, listening until `stop()`; `requests` counts what reached it."""

    def __init__(self, spec: dict | None = None) -> None:
        answers = canned_answers(spec or contract.raw_spec())
        owner = self
        self.requests = 0

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _answer(self) -> None:
                owner.requests += 1
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                path = self.path.split("?")[0]
                for method, pattern, status, headers, body in answers:
                    if method == self.command and pattern.match(path):
                        return self._send(status, headers, body)
                return self._send(404, {"Content-Type": "application/problem+json"},
                                  json.dumps(NOT_FOUND).encode())

            def _send(self, status: int, headers: dict, body: bytes | None) -> None:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body or b"")))
                self.end_headers()
                self.wfile.write(body or b"")

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _answer

            def log_message(self, *args) -> None:  # quiet: the test reads results.json
                pass

        self._server = ThreadingHTTPServer((HOST, 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self._server.server_address[1]}"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
