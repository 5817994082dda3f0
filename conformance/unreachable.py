"""Network errors told for a person: the cause behind a failed request (DNS, refused,
timeout, TLS, reset, not HTTP) in one line to act on, for the preflight and `cleanup`; and
`one_line`, which every such line, and any quoting a server or a log, goes through.
"""

from __future__ import annotations

import http.client
import re
import socket
import ssl
from urllib.parse import urlsplit

import requests
import urllib3


def describe(error: BaseException, url: str, limit: float) -> str:
    """What went wrong, for a person: DNS, refused, timeout, TLS, reset or not HTTP."""
    causes = list(_causes(error))

    def find(*kinds: type) -> BaseException | None:
        return next((cause for cause in causes if isinstance(cause, kinds)), None)

    parts = urlsplit(url)
    netloc = parts.netloc
    if gai := find(socket.gaierror, urllib3.exceptions.NameResolutionError):
        why = gai.strerror if isinstance(gai, socket.gaierror) else _reason(gai)
        return f"cannot resolve the host name {parts.hostname} (DNS lookup failed: {why})"
    if find(ConnectionRefusedError):
        return f"cannot connect to {url}: connection refused (nothing listens on that port)"
    if find(requests.exceptions.ConnectTimeout, urllib3.exceptions.ConnectTimeoutError):
        return f"connecting to {netloc} timed out after {limit:g} s"
    if find(requests.exceptions.ReadTimeout, TimeoutError):
        return f"{url} accepted the connection but did not answer within {limit:g} s"
    if tls := find(ssl.SSLError):
        if isinstance(tls, ssl.SSLCertVerificationError):
            return (f"TLS with {netloc} failed: its certificate is not trusted "
                    f"({tls.verify_message}); for a private CA give its bundle with "
                    "--tls-verify PATH (METASTUDIO_TLS_VERIFY, tls_verify in the profile)")
        return f"TLS handshake with {netloc} failed: {_tls_reason(tls)}"
    if find(http.client.RemoteDisconnected):
        return f"{url} closed the connection without answering"
    if find(ConnectionResetError):
        return f"{url} reset the connection (mid-answer or before it)"
    if find(http.client.IncompleteRead):
        return f"{url} broke off its answer before the end"
    if bad := find(http.client.HTTPException):  # a status line or header that is not HTTP
        return f"{url} does not speak HTTP: {_first_bytes(bad)}"
    if find(urllib3.exceptions.ProtocolError):
        return f"{url} broke off its answer before the end"
    return f"{url} answered unusably: {_reason(error)}"


def _causes(error: BaseException):
    """The error and everything it wraps: causes, contexts, urllib3 reasons, arguments."""
    seen: set[int] = set()
    pending: list[object] = [error]
    while pending:
        cause = pending.pop(0)
        if not isinstance(cause, BaseException) or id(cause) in seen:
            continue
        seen.add(id(cause))
        yield cause
        pending += [cause.__cause__, cause.__context__, getattr(cause, "reason", None),
                    *cause.args]


def _first_bytes(error: BaseException) -> str:
    line = getattr(error, "line", None)
    if not isinstance(line, str):
        return _reason(error)
    hint = " (that is TLS: try https://)" if line[:2] in ("\x15\x03", "\x16\x03") else ""
    return f"it answered {line[:40]!r}{'...' if len(line) > 40 else ''}{hint}"


def _tls_reason(error: ssl.SSLError) -> str:
    text = getattr(error, "reason", None) or _reason(error)
    if "WRONG_VERSION_NUMBER" in str(text).upper():
        return "wrong version number (is it plain HTTP? try http://)"
    return str(text).replace("_", " ").lower()


def one_line(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())  # a server's bytes may carry line breaks
    return text if len(text) <= limit else text[:limit] + "..."


def _reason(exc: BaseException) -> str:
    """The innermost cause, which names the real problem."""
    while exc.__cause__ is not None or exc.__context__ is not None:
        exc = exc.__cause__ or exc.__context__
    text = str(exc) or type(exc).__name__
    text = re.sub(r"\s*\(_ssl\.c:\d+\)", "", text)
    return text.split("] ")[-1] if "] " in text else text
