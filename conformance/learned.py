"""The `learned:` section of a model profile: what one target chose where the documents are
silent (docs/silent-points.md), as `metastudio-conformance learn` wrote it.

A profile with this section is still an ordinary model profile: its `refusal`,
`unknown_job` and `transitions` are what `run --model` judges (MOD-01..03, strict, as any
model of one's own), and each other point's answer is what MOD-06 holds a target to.
The section adds what the top-level keys cannot say: where the answers were
learned (provenance), how often each was seen and one redacted exchange as evidence,
`unknown` where the run saw nothing, `either` where the target answered both ways, and the
command x state table of every state the run reached.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from metastudio_conformance.config import ConfigError

UNKNOWN = "unknown"
EITHER = "either"
# Every silent point of docs/silent-points.md by key (its number there), in its order.
POINTS = {
    "commands": "1. which command is allowed in which state (see `commands`)",
    "refusal": "2. refusal of a command not allowed now",
    "unknown_job": "3. unknown job",
    "validation_order": "4. validation order",
    "null_in_optional_field": "5. JSON null in an optional field",
    "body_size": "6. body size",
    "undocumented_method": "7. undocumented methods on a known path",
    "seeded_parts": "8. parts of a seeded job",
    "extra_fields": "9. extra fields in answers",
    "delete_success_status": "10. DELETE success status",
    "multipart_data_items": "11. multipart_data items",
    "empty_arrays": "12. empty arrays in command answers",
    "error_code_choice": "13. which of two documented error codes",
    "unknown_body_fields": "14. body fields the spec does not define",
    "json_content_type.text_plain": "15. Content-Type of a JSON body: text/plain",
    "json_content_type.none": "15. Content-Type of a JSON body: none",
    "app_user_id_length": "16. X-App-UserId beyond no Chinese characters",
    "sdk_commands": "17. the SDK's later command values",
    "null_in_answer_field": "18. JSON null in an optional answer field",
    "request_framing.bom": "19. request framing: a byte order mark",
    "request_framing.duplicate_key": "19. request framing: duplicate keys",
    "request_framing.chunked": "19. request framing: chunked",
    "job_id_form": "20. the form of a job id",
}
_PROVENANCE = ("target", "suite_version", "spec_sha256", "run_id", "date")


@dataclass(frozen=True)
class Learned:
    """A parsed `learned:` section."""

    provenance: dict[str, str]
    points: dict[str, object]  # key -> "unknown" or {answer, seen, evidence, ...}
    commands: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)

    @property
    def source(self) -> str:
        return str(self.provenance.get("target") or "the learned target")

    def answer(self, key: str) -> str | None:
        """The answer chosen at a point (`either` included), or None when not learned."""
        point = self.points.get(key)
        return str(point.get("answer")) if isinstance(point, dict) else None

    def said(self, key: str) -> str | None:
        """"learned from <target>: <answer>" for a point, with its evidence's answer."""
        point = self.points.get(key)
        if not isinstance(point, dict):
            return None
        evidence = point.get("evidence") or {}
        return f"learned from {self.source}: {evidence.get('answer') or point.get('answer')}"

    def cell(self, tenant: str, state: str, command: str) -> str | None:
        """What the learned target answered `command` in `state` for this tenant kind."""
        return self.commands.get(tenant, {}).get(state, {}).get(command)

    def not_learned(self) -> list[str]:
        """The judged silent points the learn run saw nothing of (`unknown`)."""
        return [key for key in POINTS if key != "commands" and key not in self.inconsistent()
                and self.answer(key) is None]

    def inconsistent(self) -> list[str]:
        return [key for key in POINTS if self.answer(key) == EITHER]


def parse(section: object, source: Path | str) -> Learned:
    """The section as written by `learn`; a malformed one is a configuration error."""
    if not isinstance(section, dict):
        raise ConfigError(f"model profile {source}: learned must be a mapping")
    provenance = section.get("provenance") or {}
    points = section.get("points") or {}
    commands = section.get("commands") or {}
    if not isinstance(provenance, dict) or set(provenance) - set(_PROVENANCE):
        raise ConfigError(f"model profile {source}: learned.provenance has keys "
                          f"{', '.join(_PROVENANCE)}")
    if not isinstance(points, dict) or set(points) - set(POINTS):
        unknown = sorted(set(points) - set(POINTS)) if isinstance(points, dict) else []
        raise ConfigError(f"model profile {source}: learned.points names unknown silent "
                          f"points {unknown}")
    for key, point in points.items():
        if point != UNKNOWN and not (isinstance(point, dict) and "answer" in point):
            raise ConfigError(f"model profile {source}: learned.points.{key} must be "
                              f"'unknown' or have an answer")
    if not isinstance(commands, dict) or not all(
            isinstance(states, dict) for states in commands.values()):
        raise ConfigError(f"model profile {source}: learned.commands must map tenant -> "
                          "state -> command -> answer")
    return Learned({k: str(v) for k, v in provenance.items()}, dict(points),
                   {tenant: {state: dict(cells) for state, cells in states.items()}
                    for tenant, states in commands.items()})


def summary(learned: Learned | None) -> dict | None:
    """What results.json says of a learned model (`learned_model`)."""
    if learned is None:
        return None
    return {"learned_from": learned.provenance.get("target"),
            "run_id": learned.provenance.get("run_id"),
            "not_learned": learned.not_learned(), "inconsistent": learned.inconsistent()}
