"""How a run ended, for a night that ended badly (exit 2, 3 or 4): reports that say so.

`scripts/nightly.sh` hands `report` the run's exit code, its one line and the time, so a
bad night is published as a bad night, never hidden behind the last good one. The Allure
report gets one broken test, "The run ended with exit N (...)", whose point joins the trend
of the other nights (its history id is the same every night); a run that left no
results.json also gets a conformance page saying what went wrong.
"""

from __future__ import annotations

import calendar
import contextlib
import html
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from metastudio_conformance.exit_codes import ExitCode

# The endings that mean the night's results are missing or incomplete.
BAD = {ExitCode.USAGE: "usage or configuration error", ExitCode.UNREACHABLE:
       "target unreachable", ExitCode.SUITE_ERROR: "the suite could not complete"}
RESULT_FILE = "metastudio-run-ending-result.json"  # one per report folder: a rebuild overwrites
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


@dataclass(frozen=True)
class Ending:
    code: int
    line: str  # the run's own last line, secrets masked
    time: str  # UTC, TIME_FORMAT

    @property
    def summary(self) -> str:
        line = self.line or "(the run printed no reason)"
        return f"exit {self.code} ({BAD[self.code]}) at {self.time}: {line}"


def bad_ending(code: int | None, line: str, ended: str | None) -> Ending | None:
    """The ending of a run whose exit code says it went wrong; None for any other."""
    if code not in BAD:
        return None
    from metastudio_conformance.redact import Redactor
    from metastudio_conformance.settings_table import SETTINGS

    secrets = Redactor(os.environ.get(setting.env) for setting in SETTINGS if setting.secret)
    one_line = " ".join(secrets.text(line).split())[:1000]
    return Ending(code, one_line, ended or time.strftime(TIME_FORMAT, time.gmtime()))


def file_in_allure(results_dir: Path, ending: Ending | None) -> None:
    """One broken Allure test saying how the run ended (the same history id every night),
    or none when it ended well."""
    path = results_dir / RESULT_FILE
    path.unlink(missing_ok=True)
    if ending is None:
        return
    try:
        stamp = calendar.timegm(time.strptime(ending.time, TIME_FORMAT)) * 1000
    except ValueError:
        stamp = int(time.time() * 1000)
    results_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({
        "uuid": f"run-ending-{stamp}", "historyId": "metastudio-run-ending",
        "testCaseId": "metastudio-run-ending",
        "name": f"The run ended with exit {ending.code} ({BAD[ending.code]})",
        "fullName": "metastudio-conformance run", "status": "broken",
        "statusDetails": {"message": f"The run ended with {ending.summary}"},
        "start": stamp, "stop": stamp,
        "labels": [{"name": "story", "value": "The run"}, {"name": "severity",
                                                          "value": "blocker"}],
    }, ensure_ascii=False), encoding="utf-8")


def stand_in_document(ending: Ending) -> dict[str, Any]:
    """What the reports need of a results.json the run never wrote: the target the
    environment or its profile names, and when the run ended."""
    from metastudio_conformance import config

    values: dict[str, Any] = {}
    with contextlib.suppress(config.ConfigError):  # a broken profile may be the night's error
        profile = os.environ.get(config.PROFILE.env)
        values.update(config.load_profile(profile) if profile else {})
    values.update(config.from_environment())
    return {"target": {"url": values.get("target"), "project_id": values.get("project_id"),
                       "tenant": values.get("tenant")},
            "started": ending.time, "requirements": []}


def write_pages(report_dir: Path, ending: Ending, target: str) -> tuple[Path, Path]:
    """conformance.md and conformance.html of a run that left no results."""
    title = "MetaStudio conformance: the run did not complete"
    facts = [("What went wrong", ending.line or "(the run printed no reason)"),
             ("Exit code", f"{ending.code} ({BAD[ending.code]})"),
             ("Ended (UTC)", ending.time), ("Target", target)]
    md_path, html_path = report_dir / "conformance.md", report_dir / "conformance.html"
    report_dir.mkdir(parents=True, exist_ok=True)
    md_path.write_text(f"# {title}\n\n**No requirement was tested: the run ended with "
                       f"{ending.summary}**\n\n"
                       + "".join(f"- {name}: {value}\n" for name, value in facts),
                       encoding="utf-8")
    rows = "".join(f"<tr><th>{html.escape(name)}</th><td>{html.escape(value)}</td></tr>"
                   for name, value in facts)
    html_path.write_text(
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
        "<style>body{font-family:sans-serif;margin:2em}#headline{color:#b00020}"
        "th{text-align:left;padding-right:1em}</style></head><body>"
        f'<h1>{title}</h1><p id="headline">No requirement was tested: the run ended with '
        f"{html.escape(ending.summary)}</p><table>{rows}</table></body></html>\n",
        encoding="utf-8")
    return md_path, html_path
