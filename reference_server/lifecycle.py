"""Command transitions. INFERRED, not documented (api-facts "Transitions"): kept as one table.

Each rule: the command, the states it is accepted in, the state it leads to (None = the
state stays), an optional guard that can still refuse it, an optional effect that adds
fields to the 200 answer, and the operation-log type recorded on success.
The table is checked against the spec at start-up, so a renamed state or command fails
loudly instead of silently making a rule unreachable.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .contract import Contract, ContractError
from .store import Job, now, rfc3339

# guard(job, body) -> reason to refuse, or None
Guard = Callable[[Job, dict], str | None]
# effect(job, body, make_upload_url) -> extra answer fields
Effect = Callable[[Job, dict, Callable[[str], str]], dict]


@dataclass(frozen=True)
class Rule:
    command: str
    sources: tuple[str, ...]
    target: str | None
    guard: Guard | None = None
    effect: Effect | None = None
    log_type: str | None = None


def all_parts_uploaded(job: Job, body: dict) -> str | None:
    missing = sorted(set(range(1, job.part_count + 1)) - set(job.parts))
    return f"parts not uploaded yet: {missing}" if missing else None


def parts_confirmed(job: Job, body: dict) -> str | None:
    return None if job.parts_confirmed else "video parts not confirmed (CONFIRM_MULTIPART_UPLOADED)"


def update_video(job: Job, body: dict) -> str | None:
    if body.get("command_message") == "UPDATE_VIDEO":
        return None
    return "resubmitting after a failed review needs command_message UPDATE_VIDEO"


def _report_parts(job: Job, body: dict, make_url) -> dict:
    # part_number is a string on the wire (seed, Table 7)
    parts = [{"part_number": str(n), "etag": e} for n, e in sorted(job.parts.items())]
    return {"multipart_data": parts}


def _confirm_parts(job: Job, body: dict, make_url) -> dict:
    job.parts_confirmed = True
    return {}


def _answer(job: Job, body: dict, make_url) -> dict:
    comment = body.get("comment_data") or {}
    urls = [make_url(name) for name in comment.get("attachment_name", [])]
    job.comment_logs.append({
        "operate_time": rfc3339(now()),
        "comment_type": "USER_COMMENT",
        "comment_title": comment.get("comment_title", ""),
        "comment_message": comment.get("comment_message", ""),
        "attachment_download_url": urls,
    })
    return {"attachment_upload_url": urls}


RULES: tuple[Rule, ...] = (
    Rule("GET_MULTIPART_UPLOADED", ("WAIT_FILE_UPLOAD",), None, effect=_report_parts),
    Rule("CONFIRM_MULTIPART_UPLOADED", ("WAIT_FILE_UPLOAD",), None,
         guard=all_parts_uploaded, effect=_confirm_parts, log_type="USER_MULTIPART_CONFIRMED"),
    Rule("SUBMITVERIFYING", ("WAIT_FILE_UPLOAD",), "AUTO_VERIFYING",
         guard=parts_confirmed, log_type="USER_VERIFYING_SUBMITTED"),
    Rule("SUBMITVERIFYING", ("AUTO_VERIFY_FAILED", "MANUAL_VERIFY_FAILED"), "AUTO_VERIFYING",
         guard=update_video, log_type="USER_UPDATE_VIDEO"),
    Rule("CONFIRM_ACCEPT", ("WAIT_USER_CONFIRM",), "JOB_FINISH", log_type="USER_ACCEPT"),
    Rule("CONFIRM_REJECT", ("WAIT_USER_CONFIRM",), "JOB_REJECT", log_type="USER_REJECT"),
    Rule("CONFIRM_PENDING", ("WAIT_USER_CONFIRM",), "JOB_PENDING", log_type="USER_PENDING"),
    Rule("CONFIRM_ACTIVE", ("JOB_PENDING",), "WAIT_USER_CONFIRM", log_type="USER_ACTIVE"),
    Rule("CONFIRM_ANSWER", ("WAIT_USER_CONFIRM", "JOB_PENDING"), None,
         effect=_answer, log_type="USER_COMMENT"),
)


@dataclass(frozen=True)
class Outcome:
    accepted: bool
    reason: str = ""
    fields: dict | None = None
    # "tenant" (NA-only), "state" (no rule here), "guard", or "size" (accept-large-bodies)
    refused_for: str = ""


class Lifecycle:
    def __init__(self, contract: Contract, rules: tuple[Rule, ...] = RULES):
        for rule in rules:
            named = {*rule.sources, *([rule.target] if rule.target else [])}
            if rule.command not in contract.commands or not named <= set(contract.states):
                raise ContractError(f"transition rule names something the spec lacks: {rule}")
        self.contract = contract
        self.rules = rules

    def execute(self, job: Job, body: dict, *, na_tenant: bool, make_url) -> Outcome:
        """Apply a validated command to job (caller holds the store lock). A refusal
        changes nothing."""
        command = body["command"]
        if command in self.contract.na_only_commands and not na_tenant:
            return Outcome(False, f"{command} is available only for NA users", refused_for="tenant")
        rule = next(
            (r for r in self.rules if r.command == command and job.state in r.sources), None
        )
        if rule is None:
            return Outcome(False, f"{command} is not allowed in state {job.state}",
                           refused_for="state")
        if rule.guard is not None and (reason := rule.guard(job, body)):
            return Outcome(False, reason, refused_for="guard")
        fields = rule.effect(job, body, make_url) if rule.effect else {}
        if rule.target is not None:
            job.state = rule.target
        if "command_message" in body:
            job.command_message = body["command_message"]
        if rule.log_type:
            job.log(rule.log_type)
        job.touch()
        return Outcome(True, fields=fields)
