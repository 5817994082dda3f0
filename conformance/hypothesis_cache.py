"""Where Hypothesis keeps its caches for a run: one folder that every run of this user shares.

The first time a strategy needs them, Hypothesis builds tables of Unicode characters (which
ones a codec encodes, each one's category): about 2.5 s of CPU, kept in its home folder. A
run's report folder is new for every nightly run, shard and test of this project, so a home
there rebuilt the tables in every run. They depend only on Python's Unicode version, so
runs share them in the user's cache folder (`$XDG_CACHE_HOME`, else `~/.cache`, then
`metastudio-conformance/hypothesis`); where that cannot be written, the run's report folder
holds them, as before. No test data is kept there: runs have no example database.
"""

from __future__ import annotations

import os
from pathlib import Path

SUBFOLDER = ("metastudio-conformance", "hypothesis")


def shared_home() -> Path | None:
    """The user's cache folder for Hypothesis, made if need be; None when it cannot be."""
    try:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
        home = base.joinpath(*SUBFOLDER)
        home.mkdir(parents=True, exist_ok=True)
    except (OSError, RuntimeError):  # RuntimeError: no home folder to be found
        return None
    return home if os.access(home, os.W_OK | os.X_OK) else None


def home_for(report_dir: Path) -> Path:
    """Hypothesis' home for a run: the shared cache folder, else the run's report folder."""
    return shared_home() or report_dir / ".hypothesis"
