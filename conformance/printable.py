"""The one place any value becomes writable text: every byte survives every report.

Beside the redaction point (`redact.py`): the console stream, `results.json`, Allure's
results and attachments, JUnit's failure text and the evidence all pass through `text`.
What no UTF-8 file or XML document can hold is escaped the way Python writes it (a lone
surrogate as `\\ud800`, NUL as `\\x00`, an invalid UTF-8 byte as `\\xff`); a value longer
than its limit is previewed. Ordinary text comes out unchanged.
"""

from __future__ import annotations

import re
from typing import Any

LIMIT = 100_000  # characters of one value in a report; a transcript is far shorter
# Not XML 1.0 characters (C0 controls but tab, LF and CR; surrogates; U+FFFE, U+FFFF).
_UNWRITABLE = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def text(value: str | bytes | Any, limit: int | None = LIMIT) -> str:
    """`value` as text that encodes to UTF-8 and is valid in XML, cut to `limit`."""
    if isinstance(value, bytes | bytearray):
        value = bytes(value).decode("utf-8", "backslashreplace")
    elif not isinstance(value, str):
        value = str(value)
    if limit is not None and len(value) > limit:
        value = f"{value[:limit]} ... ({len(value) - limit} more characters)"
    return _UNWRITABLE.sub(_escape, value)


def tree(value: Any, limit: int | None = LIMIT) -> Any:
    """A JSON-like value (dicts, lists, strings, bytes) with every string made `text`."""
    if isinstance(value, str | bytes | bytearray):
        return text(value, limit)
    if isinstance(value, dict):
        return {tree(key, limit): tree(item, limit) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [tree(item, limit) for item in value]
    return value


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"
