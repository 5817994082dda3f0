"""The lifecycle model: a profile (YAML) of which command moves which state where.

`JobModel` is what the suite believes about one job; `Model.predict` says what a command
should do to it. The model's rules are checked against the spec when loaded, so a profile
that names an unknown state or command, or disagrees with the spec's NA-only commands,
is a configuration error rather than a silent gap.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from importlib import resources
from pathlib import Path

import yaml

from metastudio_conformance import contract
from metastudio_conformance import learned as learned_section
from metastudio_conformance.config import ConfigError

DEFAULT = Path(str(resources.files("metastudio_conformance.lifecycle_models") / "reference.yaml"))
_REQUIRES = {"all-parts-uploaded", "parts-confirmed", "update-video"}
_KEYS = {"refusal", "unknown_job", "max_response_time", "seeded_parts", "transitions",
         "learned"}  # learned: what `learn` saw (conformance/learned.py)


class RefusalStyle(StrEnum):
    """How a command that is not allowed now is refused (MOD-02); the docs leave it open."""

    BAD_REQUEST = "400"  # 400 with the error body
    EXCUTE_FAILED = "excute-failed"  # 200 with commond_result EXCUTE_FAILED
    EITHER = "either"


class UnknownJobAnswer(StrEnum):
    """The status an unknown (or deleted) job answers with (MOD-03); the docs say 404
    MSS.41000003, the seed lists only 400."""

    NOT_FOUND = "404"
    BAD_REQUEST = "400"
    EITHER = "either"


@dataclass
class JobModel:
    """What the suite knows of one job: its state, its parts, whether it is gone."""

    state: str
    parts: int = 0
    uploaded: set[int] = field(default_factory=set)
    confirmed: bool = False
    deleted: bool = False
    parts_known: bool = True  # False for a job the run did not make (inventory)
    seeded: bool = False  # its parts came from the seed (`seeded_parts`, maybe learned)


@dataclass(frozen=True)
class Transition:
    command: str
    sources: tuple[str, ...]
    target: str | None = None
    requires: str | None = None
    confirms_parts: bool = False
    na_only: bool = False


@dataclass(frozen=True)
class Prediction:
    accepted: bool
    reason: str
    transition: Transition | None = None

    def apply(self, job: JobModel) -> None:
        """Update the model after the server accepted the command."""
        if self.transition is None:
            return
        if self.transition.confirms_parts:
            job.confirmed = True
        if self.transition.target:
            job.state = self.transition.target


@dataclass(frozen=True)
class Model:
    transitions: tuple[Transition, ...]
    refusal: RefusalStyle = RefusalStyle.EITHER
    unknown_job: UnknownJobAnswer = UnknownJobAnswer.EITHER
    max_response_time: float = 2.0
    seeded_parts: int = 1
    learned: learned_section.Learned | None = field(default=None, compare=False)

    def predict(self, job: JobModel, body: dict, tenant: str) -> Prediction:
        command = body.get("command")
        rules = [t for t in self.transitions if t.command == command]
        if rules and rules[0].na_only and tenant != "na":
            return Prediction(False, f"{command} is for NA tenants only")
        rule = next((t for t in rules if job.state in t.sources), None)
        if rule is None:
            return Prediction(False, self._learned_cell(tenant, job.state, command)
                              or f"{command} is not allowed in {job.state}")
        unmet = _unmet(rule.requires, job, body)
        if unmet:
            return Prediction(False, unmet)
        return Prediction(True, self._learned_cell(tenant, job.state, command) or "allowed",
                          rule)

    def _learned_cell(self, tenant: str, state: str, command) -> str | None:
        """"learned from <target>: <answer>" for this cell, if the model was learned."""
        cell = self.learned and self.learned.cell(tenant, state, command)
        return f"learned from {self.learned.source}: {cell}" if cell else None

    def follow(self, job: JobModel, body: dict, observed: str | None) -> None:
        """The server accepted what the model would refuse: take the server's word, so
        later steps are judged from where the job really is."""
        rule = next((t for t in self.transitions if t.command == body.get("command")), None)
        if rule is not None and rule.confirms_parts:
            job.confirmed = True
        if observed:
            job.state = observed

    def seeded(self, state: str, origin: str = "control") -> JobModel:
        """What is known of a job the factory handed out: seeded through the control
        interface (its contract says `seeded_parts` are uploaded), made by Create (one
        part, none uploaded), or taken from the inventory (its parts are unknown)."""
        if origin == "create":
            return JobModel(state, parts=1)
        if origin == "inventory":
            return JobModel(state, parts_known=False)
        parts = self.seeded_parts if state == contract.initial_state() else 0
        return JobModel(state, parts=parts, uploaded=set(range(1, parts + 1)),
                        seeded=state == contract.initial_state())


def _unmet(requires: str | None, job: JobModel, body: dict) -> str | None:
    if requires == "all-parts-uploaded" and job.uploaded != set(range(1, job.parts + 1)):
        return "not every part is uploaded"
    if requires == "parts-confirmed" and not job.confirmed:
        return "the upload is not confirmed"
    if requires == "update-video" and body.get("command_message") != "UPDATE_VIDEO":
        return "resubmitting needs command_message UPDATE_VIDEO"
    return None


def load(path: str | Path | None = None) -> Model:
    """A model profile: a file, or the name of one shipped with the suite (`reference`,
    the default, or `strict`)."""
    source = _builtin(str(path)) or Path(path) if path else DEFAULT
    try:
        data = yaml.safe_load(source.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"model profile {source} cannot be read: {exc}") from None
    if not isinstance(data, dict) or set(data) - _KEYS:
        unknown = sorted(set(data) - _KEYS) if isinstance(data, dict) else []
        raise ConfigError(f"model profile {source} is malformed (unknown keys: {unknown})")
    try:
        transitions = tuple(_transition(entry) for entry in data.get("transitions", []))
    except (TypeError, KeyError) as exc:
        raise ConfigError(f"model profile {source} has a malformed transition: {exc}") from None
    _check_against_spec(transitions, source)
    return Model(
        transitions=transitions,
        refusal=_choice(RefusalStyle, data, "refusal", source),
        unknown_job=_choice(UnknownJobAnswer, data, "unknown_job", source),
        max_response_time=float(data.get("max_response_time", 2.0)),
        seeded_parts=int(data.get("seeded_parts", 1)),
        learned=learned_section.parse(data["learned"], source) if "learned" in data else None,
    )


def _choice(kind: type[StrEnum], data: dict, key: str, source: Path):
    """One of the profile's open choices; YAML may give a status as a number (404)."""
    try:
        return kind(str(data.get(key, "either")))
    except ValueError:
        names = [choice.value for choice in kind]
        raise ConfigError(f"model profile {source}: {key} must be "
                          f"{', '.join(names[:-1])} or {names[-1]}") from None


def _builtin(name: str) -> Path | None:
    shipped = DEFAULT.parent / f"{name}.yaml"
    return shipped if name.isidentifier() and shipped.is_file() else None


def _transition(entry: dict) -> Transition:
    return Transition(
        command=entry["command"],
        sources=tuple(entry["from"]),
        target=entry.get("to"),
        requires=entry.get("requires"),
        confirms_parts=bool(entry.get("confirms_parts", False)),
        na_only=entry.get("tenant") == "na",
    )


def _check_against_spec(transitions: tuple[Transition, ...], source: Path) -> None:
    states, commands = set(contract.job_states()), set(contract.commands())
    for rule in transitions:
        named = set(rule.sources) | ({rule.target} if rule.target else set())
        if rule.command not in commands or not named <= states:
            raise ConfigError(f"model profile {source}: {rule.command} names an unknown "
                              f"command or state")
        if rule.requires not in (None, *_REQUIRES):
            raise ConfigError(f"model profile {source}: unknown requirement {rule.requires}")
    na_in_model = {t.command for t in transitions if t.na_only}
    if na_in_model != set(contract.na_only_commands()):
        raise ConfigError(f"model profile {source}: NA-only commands {sorted(na_in_model)} "
                          f"differ from the spec's x-na-only-commands")
