"""What a target chose at a silent point (docs/silent-points.md), read from its answers.

Each function turns the answers of one minimal pair (a probe beside its twin, the same
request without the one difference) into a short label: the same label whoever answered,
so two targets that made the same choice agree and two that did not differ. A label says
only what the pair shows: a pair that cannot tell (its twin was not carried out, the
answer lacks the field to read) gives None, and the point is not judged there.

`conformance/suite/test_silent_points.py` sends the pairs; `learn` keeps the labels in a
model file; `run --model` holds another target to them (MOD-06).
"""

from __future__ import annotations

import re

from metastudio_conformance import contract
from metastudio_conformance.answers import Answer
from metastudio_conformance.requirements import is_excute_failed, is_refusal
from metastudio_conformance.twins import carried_out

HEX_32 = re.compile(r"[0-9a-f]{32}")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)


def outcome(answer: Answer) -> str:
    """carried out, read but not executed (200 EXCUTE_FAILED), refused (the status), or
    the status for anything else."""
    if carried_out(answer):
        return "carried out"
    if is_excute_failed(answer):
        return "200 EXCUTE_FAILED"
    if is_refusal(answer):
        return f"refused ({answer.status})"
    return str(answer.status)


def _same_refusal(a: Answer, b: Answer, *, message: bool = True) -> bool:
    """The same refusal: status, error_code (and error_msg)."""
    keys = ("error_code", "error_msg") if message else ("error_code",)
    return a.status == b.status and all(a.field(key) == b.field(key) for key in keys)


def beside_carried_out(twin: Answer, probe: Answer, accepted: str, refused: str) -> str | None:
    """The probe beside a twin carried out: like it (`accepted`) or refused."""
    if not carried_out(twin):
        return None
    if carried_out(probe):
        return accepted
    return refused if is_refusal(probe) else None


def validation_order(twin: Answer, probe: Answer) -> str | None:
    """Point 4. The twin: a valid body to an unknown job; the probe: an invalid body to
    the same unknown job. The very same refusal means the job was looked at first."""
    if not is_refusal(twin) or not is_refusal(probe):
        return None
    return "the job first" if _same_refusal(twin, probe) else "the parameters first"


def seeded_parts(answer: Answer) -> str | None:
    """Point 8: how many parts GET_MULTIPART_UPLOADED reports on a job just seeded."""
    if not carried_out(answer):
        return None
    parts = answer.field("multipart_data")
    count = len(parts) if isinstance(parts, list) else 0
    return "no part" if count == 0 else f"{count} part" + ("s" if count > 1 else "")


def extra_fields(answers: list[Answer]) -> str | None:
    """Point 9: a JSON answer carries a field the spec's schema for it does not list
    (command answers, their multipart_data items and error_info, error bodies)."""
    bodies = [(a, a.body) for a in answers if isinstance(a.body, dict)]
    if not bodies:
        return None
    for answer, body in bodies:
        name = "ExecuteCommandResponseBody" if answer.status == 200 else "ErrorBody"
        if _undocumented(body, contract.schema(name)):
            return "extra fields"
    return "documented fields only"


def _undocumented(value, schema: dict) -> bool:
    if isinstance(value, list):
        return any(_undocumented(item, schema.get("items", {})) for item in value)
    if not isinstance(value, dict) or "properties" not in schema:
        return False
    properties = schema["properties"]
    return any(key not in properties or _undocumented(item, properties[key])
               for key, item in value.items())


def multipart_data_items(answer: Answer) -> str | None:
    """Point 11: which of part_number and etag an uploaded part's item carries (JSON null
    counts as absent)."""
    parts = answer.field("multipart_data") if carried_out(answer) else None
    items = [part for part in parts or [] if isinstance(part, dict)]
    if not items:
        return None
    present = [key for key in ("part_number", "etag") if items[0].get(key) is not None]
    return " and ".join(present) + " only" * (len(present) == 1) if present else "neither"


def empty_arrays(answer: Answer) -> str | None:
    """Point 12: multipart_data of a job with nothing uploaded: `[]`, left out or null."""
    if not carried_out(answer) or not isinstance(answer.body, dict):
        return None
    if "multipart_data" not in answer.body:
        return "left out"
    parts = answer.body["multipart_data"]
    return "null" if parts is None else "[]" if parts == [] else None


def error_code_choice(invalid: Answer, malformed: Answer) -> str | None:
    """Point 13: the error_code for a command outside the documented values, and for a
    body that is not JSON."""
    if not is_refusal(invalid) or not is_refusal(malformed):
        return None
    return f"invalid value: {_code(invalid)}; malformed JSON: {_code(malformed)}"


def _code(answer: Answer) -> str:
    code = answer.field("error_code")
    return str(code) if code is not None else outcome(answer)


def sdk_command(invalid: Answer, probe: Answer) -> str | None:
    """Point 17: a later SDK command beside a value no document knows: refused the same
    way (unknown to this target), carried out, or refused otherwise (known, not now)."""
    if carried_out(probe):
        return "carried out"
    if not is_refusal(invalid) or not is_refusal(probe):
        return None
    return ("refused as an invalid value" if _same_refusal(invalid, probe, message=False)
            else "known, refused as not allowed now")


def null_in_answer_field(answer: Answer) -> str | None:
    """Point 18: an optional field of a command answer with nothing to say: left out or
    null. None when the answer leaves nothing out."""
    if not carried_out(answer) or not isinstance(answer.body, dict):
        return None
    schema = contract.schema("ExecuteCommandResponseBody")
    optional = [key for key in schema["properties"] if key not in schema.get("required", [])]
    if any(key in answer.body and answer.body[key] is None for key in optional):
        return "null"
    return "left out" if any(key not in answer.body for key in optional) else None


def framing(twin: Answer, probe: Answer) -> str:
    """Points 15 and 19: a body carried differently, beside its twin (as the framing
    tests note it): like its twin, refused (with its status), or otherwise."""
    if carried_out(probe) and carried_out(twin) and outcome(probe) == outcome(twin):
        return "like its twin"
    return outcome(probe) if is_refusal(probe) else "differs"


def delete_status(answer: Answer) -> str | None:
    """Point 10: the status of a successful DELETE."""
    return str(answer.status) if 200 <= answer.status < 300 else None


def job_id_form(job_id: object) -> str | None:
    """Point 20: the shape of a job id from Create."""
    if not isinstance(job_id, str) or not job_id:
        return None
    if HEX_32.fullmatch(job_id):
        return "32 lower-case hex"
    if UUID.fullmatch(job_id):
        return "a dashed UUID" + (" (upper case)" if job_id != job_id.lower() else "")
    kinds = [name for name, pattern in (("digits", r"\d"), ("lower case", "[a-z]"),
                                        ("upper case", "[A-Z]"), ("other", r"[^0-9a-zA-Z]"))
             if re.search(pattern, job_id)]
    return f"{len(job_id)} characters: {', '.join(kinds)}"
