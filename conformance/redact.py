"""The one place secrets are taken out: console streams and every file a run writes.

Secrets are the configured token and secret key, and anything shaped like a credential on
the wire (an `X-Auth-Token` value, an `Authorization` value, a signature). The access key
id and project ids are identifiers, not secrets, and stay readable.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from metastudio_conformance import printable

MASK = "[redacted]"
_WIRE = [
    re.compile(r"(?i)(x-auth-token['\"]?\s*[:=]\s*['\"]?)([^\s'\",}]+)"),
    # a scheme and its comma-separated parameters: `SDK-HMAC-SHA256 Access=.., Signature=..`
    re.compile(r"(?i)(authorization['\"]?\s*[:=]\s*['\"]?)"
               r"([A-Za-z0-9-]+(?:\s+[^\s'\",]+(?:,\s*[^\s'\",]+)*)?)"),
    re.compile(r"(?i)(signature=)([0-9a-f]{16,})"),
]


class Redactor:
    def __init__(self, secrets: Iterable[str | None]) -> None:
        # Longest first, so a secret that contains another is masked whole.
        self.secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)

    def text(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, MASK)
        for pattern in _WIRE:
            text = pattern.sub(lambda m: m.group(1) + (m.group(2) if m.group(2).startswith(
                ("[Filtered]", MASK)) else MASK), text)
        return text

    def scrub_tree(self, root: Path) -> int:
        """Redact every text file under `root` in place; returns how many changed."""
        changed = 0
        for path in sorted(p for p in Path(root).rglob("*") if p.is_file()):
            raw = path.read_bytes()
            if b"\0" in raw[:4096]:
                continue  # binary (screenshots): nothing textual to leak
            text = raw.decode("utf-8", "surrogateescape")
            clean = self.text(text)
            if clean != text:
                path.write_bytes(clean.encode("utf-8", "surrogateescape"))
                changed += 1
        return changed


class RedactingStream:
    """A text stream that redacts what passes through it (the console), made printable."""

    def __init__(self, stream, redactor: Redactor) -> None:
        self._stream, self._redactor = stream, redactor

    def write(self, text: str) -> int:
        self._stream.write(printable.text(self._redactor.text(text), limit=None))
        return len(text)

    def __getattr__(self, name):  # flush, isatty, encoding, fileno ...
        return getattr(self._stream, name)
