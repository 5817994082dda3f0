"""The lenient body readers of the framing and type-confusion faults (faults.py).

Each reads a command body the way a careless server does: accepting what is not a JSON
object, closing what is cut short, ignoring what follows the JSON, decoding bytes that
are not UTF-8 as Latin-1, unwrapping arrays around the body or around `command`. Each is
consulted only where the strict reading refuses, so a fault changes nothing else.
"""

from __future__ import annotations

import json
from typing import Any

_FAILED = object()  # the strict reading refused the bytes

# fault -> which non-object JSON body it answers 200 (without executing anything)
ACCEPTED_ROOTS = {
    "json-null-body-accepted": lambda value: value is None,
    "json-array-body-accepted": lambda value: isinstance(value, list),
    "json-string-body-accepted": lambda value: isinstance(value, str),
    "json-number-body-accepted": lambda value: isinstance(value, int | float)
    and not isinstance(value, bool),
    "json-boolean-body-accepted": lambda value: isinstance(value, bool),
}


def _strict(raw: bytes, encoding: str = "utf-8") -> Any:
    try:
        return json.loads(raw.decode(encoding))
    except (ValueError, RecursionError):
        return _FAILED


def _garbage_ignored(raw: bytes) -> Any:
    """The first JSON value of the body, whatever follows it (json's raw_decode)."""
    try:
        return json.JSONDecoder().raw_decode(raw.decode("utf-8").lstrip())[0]
    except (ValueError, RecursionError):
        return _FAILED


def _unwrapped(raw: bytes) -> Any:
    """The body with as many enclosing `[` ... `]` as it has taken off, without recursion."""
    text = raw.strip()
    depth = len(text) - len(text.lstrip(b"["))
    if not depth or not text.endswith(b"]" * depth):
        return _FAILED
    return _strict(text[depth:len(text) - depth])


_EXECUTED = {  # fault -> a reading whose JSON object is then validated and executed
    "unclosed-json-accepted": lambda raw: _strict(raw + b"}"),
    "trailing-garbage-accepted": _garbage_ignored,
    "latin1-body-accepted": lambda raw: _strict(raw, "latin-1"),
    "nested-body-unwrapped": _unwrapped,
}


def lenient_body(active: frozenset[str], raw: bytes,
                 content_type: str | None) -> tuple[dict, bool] | None:
    """What the active faults make of a command body the strict reading refuses: (body,
    executed), executed False for one answered 200 with nothing run; None if no fault
    applies or the body is a JSON object anyway."""
    value = _strict(raw)
    if isinstance(value, dict):
        return None
    if not raw and ("bodiless-command-accepted" if content_type is None
                    else "empty-body-accepted") in active:
        return {}, False
    if value is not _FAILED and any(name in active and accepts(value)
                                    for name, accepts in ACCEPTED_ROOTS.items()):
        return {}, False
    for name, read in _EXECUTED.items():
        if name in active and isinstance(body := read(raw), dict):
            return body, True
    return None


def unwrapped_command(active: frozenset[str], body: dict) -> dict:
    """`command` taken out of a one-element list or a {"value": ...} object."""
    command = body.get("command")
    if "command-list-unwrapped" in active and isinstance(command, list) and len(command) == 1:
        return {**body, "command": command[0]}
    if ("command-object-unwrapped" in active and isinstance(command, dict)
            and set(command) == {"value"}):
        return {**body, "command": command["value"]}
    return body
