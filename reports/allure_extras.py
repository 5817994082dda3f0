"""What the Allure report shows about the run besides the tests: its environment.

`environment.properties` in the results folder is read by Allure 2 and by Allure 3 (its
"Environment" widget). It says what was tested and with which suite, never a secret:
results.json holds no credentials, and the target URL loses any user:password@ on the way.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from metastudio_conformance.reports import document as doc

ENVIRONMENT_FILE = "environment.properties"


def write_environment(allure_results_dir: Path | str, results_document: dict[str, Any]) -> Path:
    """Write environment.properties for the run described by a loaded results.json."""
    target = doc.target(results_document)
    entries = {
        "Target": target["url"],
        "Project": target["project_id"],
        "Tenant": target["tenant"],
        "Authentication": target["auth"],
        "Suite version": results_document.get("suite_version", ""),
        "Spec SHA-256": results_document.get("spec_sha256", ""),
        "Seed": results_document.get("seed", ""),
        "Started (UTC)": results_document.get("started", ""),
    }
    folder = Path(allure_results_dir)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / ENVIRONMENT_FILE
    text = "".join(f"{_escape(key, key=True)}={_escape(value)}\n" for key, value in entries.items())
    path.write_text(text, encoding="ascii")
    return path


def _escape(value: Any, key: bool = False) -> str:
    """Java .properties escaping (ASCII with \\uXXXX), as both Allure readers expect."""
    out = []
    for index, char in enumerate(str(value)):
        if char == "\\" or (key and char in "=:#! ") or (char == " " and index == 0):
            out.append("\\" + char)
        elif char == "\n":
            out.append("\\n")
        elif char == "\t":
            out.append("\\t")
        elif char == "\r":
            out.append("\\r")
        elif " " <= char <= "~":
            out.append(char)
        else:  # non-ASCII and control characters; astral ones as a UTF-16 pair, as Java does
            data = char.encode("utf-16-be")
            out.extend(f"\\u{data[i]:02x}{data[i + 1]:02x}" for i in range(0, len(data), 2))
    return "".join(out)
