"""An inventory of existing jobs on a shared target, for states the suite cannot create.

File format (YAML):

    jobs:
      - {job_id: efc5300ecdba4ea48d1ff13a9d907bc0, state: JOB_FINISH, disposable: true}

Only jobs marked `disposable` are ever used, each once, and only after Show confirms they
are still in the listed state: every test that takes a job may command or delete it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from metastudio_conformance import contract
from metastudio_conformance.config import ConfigError


@dataclass(frozen=True)
class Entry:
    job_id: str
    state: str
    disposable: bool


def load(path: Path | None) -> list[Entry]:
    if path is None:
        return []
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"inventory {path} cannot be read: {exc}") from None
    rows = data.get("jobs") if isinstance(data, dict) else None
    if not isinstance(rows, list):
        raise ConfigError(f"inventory {path} must have a `jobs:` list")
    entries = []
    for number, row in enumerate(rows, start=1):
        if not isinstance(row, dict) or not {"job_id", "state"} <= set(row):
            raise ConfigError(f"inventory {path}: entry {number} needs job_id and state")
        if row["state"] not in contract.job_states():
            raise ConfigError(f"inventory {path}: entry {number} has unknown state "
                              f"{row['state']!r}")
        entries.append(Entry(str(row["job_id"]), row["state"], bool(row.get("disposable"))))
    return entries
