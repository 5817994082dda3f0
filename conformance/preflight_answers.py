"""What the preflight's answers say about the setup: this API accepting these
credentials, or the one thing wrong (a redirect, another base URL, another project,
credentials refused), in a line that names the fix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from metastudio_conformance.answers import json_body
from metastudio_conformance.config import Settings

PREFLIGHT_BODY_LIMIT = 64 * 1024  # enough to see an answer arrive; a huge one stays unread


@dataclass(frozen=True)
class ProbeAnswer:
    """What the preflight saw of one answer: status, a few headers, the start of the body."""

    what: str  # "List" or "Show of an unknown job"
    status: int
    content_type: str = ""
    location: str = ""
    body: bytes = b""
    complete: bool = True  # False: the body went on past PREFLIGHT_BODY_LIMIT

    @property
    def json(self) -> Any:
        return json_body(self.body) if self.complete else None

    def field(self, name: str) -> str:
        body = self.json
        value = body.get(name) if isinstance(body, dict) else None
        return "" if value is None else str(value)

    @property
    def is_html(self) -> bool:
        start = self.body[:200].lstrip().lower()
        return ("html" in self.content_type.lower() and self.json is None) or start.startswith(
            (b"<!doctype html", b"<html"))

    def summary(self) -> str:
        """`List answered 401 MSS.00000001 Unauthorized`, or with the content type."""
        code, message = self.field("error_code"), self.field("error_msg")
        if code or message:
            said = " ".join(part for part in (code, message[:100]) if part)
        else:
            said = self.content_type.split(";")[0] or "no Content-Type"
            said += "" if self.complete else f" of over {PREFLIGHT_BODY_LIMIT // 1024} KiB"
        return f"{self.what} answered {self.status} {said}"


# What an answer says about the setup (api-facts: the docs' error table, the gateway's codes).
_WRONG_URL_CODES = ("MSS.00010003", "APIGW.0101", "APIG.0101")  # API not found
_BAD_CREDENTIAL_CODES = ("MSS.00000001", "MSS.00010008")  # unauthorized, invalid token
_GATEWAY_AUTH_CODE = re.compile(r"APIGW?\.03\d\d")  # the gateway's authentication failures
_OTHER_PROJECT_CODE = "MSS.00010009"  # URL tenant id differs from the token's


def setup_problem(answers: list[ProbeAnswer], settings: Settings) -> str | None:
    """None when an answer shows this API accepting the credentials; else what is wrong."""
    for answer in answers:
        verdict = verdict_of(answer, settings)
        if verdict != "unlike":
            return verdict
    first = answers[0]
    url = settings.target
    if _ends_in_v1(url):
        return f"no MetaStudio API under {url} ({first.summary()}): give the base URL without /v1"
    if first.is_html:
        return f"{url} answers HTML, not the MetaStudio API ({first.summary()}): check --target"
    return (f"{url} does not answer like the MetaStudio API ({first.summary()}): "
            "check --target")


def verdict_of(answer: ProbeAnswer, settings: Settings) -> str | None:
    """None: like this API, credentials accepted; "unlike": not like this API (another
    request may still show it); else the problem, settled."""
    url, code = settings.target, answer.field("error_code")
    if 300 <= answer.status < 400:
        where = answer.location.split("?")[0][:100] or "nowhere"
        return (f"{url} redirects the API ({answer.what} answered {answer.status} to {where}); "
                "the suite follows no redirects: check --target")
    if code in _WRONG_URL_CODES:
        return _wrong_base_url(url, answer)
    if code == _OTHER_PROJECT_CODE:
        return (f"project {settings.project_id} is not the credentials' project "
                f"({answer.summary()}): check --project-id and the credentials")
    if (answer.status in (401, 403) or code in _BAD_CREDENTIAL_CODES
            or _GATEWAY_AUTH_CODE.fullmatch(code)):
        return (f"credentials refused by the target ({answer.summary()}): "
                f"check {_credential_variables(settings)}")
    return None if _like_the_api(answer) else "unlike"


def _like_the_api(answer: ProbeAnswer) -> bool:
    """A List, a job, or an error body, as this API answers (extra fields are fine)."""
    body = answer.json
    if not isinstance(body, dict):
        return False
    if answer.status >= 400:
        return "error_code" in body or "error_msg" in body
    if answer.what == "List":
        return isinstance(body.get("jobs"), list) or "count" in body
    return "job_id" in body or "state" in body


def _wrong_base_url(url: str, answer: ProbeAnswer) -> str:
    path = urlsplit(url).path
    if _ends_in_v1(url):
        fix = "give the base URL without /v1"
    elif path:
        fix = f"check --target: the API's paths begin with /v1 right after {path}; is it " \
              "part of the base URL?"
    else:
        fix = "check --target (the MetaStudio endpoint of the region)"
    return f"no MetaStudio API under {url} ({answer.summary()}): {fix}"


def _ends_in_v1(url: str) -> bool:
    return urlsplit(url).path.rstrip("/").lower().endswith("/v1")


def _credential_variables(settings: Settings) -> str:
    if settings.auth_kind == "aksk":
        return "METASTUDIO_AK and METASTUDIO_SK"
    return "METASTUDIO_TOKEN"
