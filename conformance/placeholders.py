"""Values an answer hands the run to use later, checked once where they enter: the job id
Create (or the control interface) gives, and the upload URLs Create gives.

A mock that serves the spec's examples (Stoplight Prism: `job_id` "string", every upload
URL "string") would otherwise end a test as `network error: Invalid URL 'string'`, or
send commands to a job called "string". Such an answer is a setup finding naming the
operation, the field and the value (status `error`): what the tests check was never
reached. Any other identifier is taken: the documents show one example of a job id, no
form (docs/silent-points.md).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from metastudio_conformance import contract
from metastudio_conformance.outcomes import SuiteError

# What schema samplers put where a schema has no example: its type's name.
TYPE_NAMES = frozenset({"string", "integer", "number", "boolean", "object", "array", "null"})
# RFC 3986 unreserved characters: what a path segment carries without escaping.
_SEGMENT = re.compile(r"[A-Za-z0-9._~-]+")
UPLOAD_URL_SUFFIX = "_upload_url"


class PlaceholderAnswer(SuiteError):
    """The target answered values that cannot be a real job id or upload URL."""


def documented_job_id() -> str:
    """The job id's documented form, for the finding."""
    example = contract.raw_spec()["components"]["parameters"]["JobId"]["example"]
    return f"a task ID such as {example}"


def job_id_problem(value: Any) -> str | None:
    """Why `value` cannot be a job id a target handed out, or None."""
    if not isinstance(value, str) or not value:
        return "not a job identifier"
    if value.lower() in TYPE_NAMES:
        return "a schema's type name, not a job identifier"
    if value == contract.raw_spec()["components"]["parameters"]["JobId"]["example"]:
        return "the docs' example, not a job this target made"
    if not _SEGMENT.fullmatch(value) or value in (".", ".."):
        return "not a job identifier a URL path can carry"
    return None


def not_a_url(value: Any) -> bool:
    """Whether `value` cannot be an upload URL (absolute http or https, with a host)."""
    if not isinstance(value, str):
        return True
    try:
        parts = urlsplit(value)
        return parts.scheme not in ("http", "https") or not parts.hostname
    except ValueError:  # e.g. an invalid port or IPv6 literal
        return True


def upload_urls(answer: dict) -> dict[str, Any]:
    """The answer's upload URLs by field (`training_video_upload_url[0]`); null or absent
    optional fields give none."""
    found: dict[str, Any] = {}
    for name, value in answer.items():
        if not name.endswith(UPLOAD_URL_SUFFIX) or value is None:
            continue
        if isinstance(value, list):
            found.update({f"{name}[{index}]": item for index, item in enumerate(value)})
        else:
            found[name] = value
    return found


def check_created(operation: str, answer: dict) -> None:
    """Raise PlaceholderAnswer naming each field of `answer` that no real job would carry
    (its job id, its upload URLs), with the value; upload URLs of one value together."""
    problems = []
    problem = job_id_problem(answer.get("job_id"))
    if problem:
        problems.append(f"job_id {answer.get('job_id')!r}, {problem} "
                        f"(documented: {documented_job_id()})")
    by_value: dict[str, list[str]] = {}
    for field, url in upload_urls(answer).items():
        if not_a_url(url):
            by_value.setdefault(repr(url), []).append(field)
    for value, fields in by_value.items():
        problems.append(f"{', '.join(fields)} {value}, not " + (
            "http(s) URLs (documented: presigned upload URLs)" if len(fields) > 1 else
            "an http(s) URL (documented: a presigned upload URL)"))
    if problems:
        raise PlaceholderAnswer(f"{operation} answered {'; '.join(problems)}: the target "
                                "returns placeholder values, not a job")
