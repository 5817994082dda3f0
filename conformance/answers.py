"""One HTTP answer as the oracle judges it, whoever received it.

The deterministic tests receive `requests.Response`, schemathesis hands its own `Response`;
both become an `Answer`: status, headers, the JSON body (or None) parsed once, and a short
text for evidence.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

PREVIEW = 300  # characters of a body quoted in evidence


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]  # names in lower case, first value of each
    body: Any  # the parsed JSON body, or None when it is not JSON
    raw: bytes

    @classmethod
    def of(cls, response: Any) -> Answer:
        """From a `requests.Response` or a schemathesis `Response`."""
        headers = {}
        for name, value in response.headers.items():
            headers[name.lower()] = value[0] if isinstance(value, list) and value else value
        raw = response.content or b""
        return cls(response.status_code, headers, json_body(raw), raw)

    @property
    def text(self) -> str:
        if not self.raw:
            return "(empty body)"
        text = self.raw[:PREVIEW].decode("utf-8", "replace")
        return text + ("..." if len(self.raw) > PREVIEW else "")

    def describe(self) -> str:
        return f"{self.status} {self.text}"

    def field(self, name: str) -> Any:
        return self.body.get(name) if isinstance(self.body, dict) else None


def json_body(raw: bytes | None) -> Any:
    """The JSON value of a body, or None when it is empty, not JSON, or nested deeper
    than Python's recursion limit (a 10,000-deep probe's body shown as evidence)."""
    if not raw:
        return None
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None


def show(value: Any, limit: int = PREVIEW) -> str:
    """A value as evidence: JSON, cut to `limit` characters."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[:limit] + "..."
