"""What Allure and JUnit show about the run besides the tests' own results.

`environment.properties` in the results folder is read by Allure 2 and by Allure 3 (its
"Environment" widget). It says what was tested and with which suite, never a secret:
results.json holds no credentials, and the target URL loses any user:password@ on the way.

`file_by_requirement` runs after the run, when each test's outcome per requirement is known
(results.json `tests[].by_requirement`); the test labels set at setup name every requirement
a test claims, also those it never got to check. It also gives each Allure result the run's
verdict (`verdict_of`): allure-pytest calls anything but an AssertionError Broken, so a
schemathesis FailureGroup would read as a suite error.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from metastudio_conformance.reports import document as doc
from metastudio_conformance.requirements import AREAS, REQUIREMENTS
from metastudio_conformance.status import JUDGED, Status

ENVIRONMENT_FILE = "environment.properties"
JUNIT_FILE, ALLURE_RESULTS = "junit.xml", "allure-results"
# A test is listed under the requirements it judged (`JUDGED`: checked and passed, failed,
# departed from the model, or broke while checking), not those it stopped before
# (not-covered) or had turned off (disabled).
REQUIREMENT_LABELS = ("requirement", "feature", "story")
# Allure's status for the run's verdict on a test; a pass or a deviation stays as it was.
# Each message starts as `reports/allurerc.mjs`'s categories read it.
ALLURE_STATUS = {Status.FAIL: "failed", Status.ERROR: "broken",
                 Status.NOT_COVERED: "skipped", Status.DISABLED: "skipped"}
MESSAGE_PREFIX = {Status.FAIL: "", Status.ERROR: "suite error: ",
                  Status.NOT_COVERED: "not covered: ", Status.DISABLED: "disabled: "}


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
        "Verdict": doc.headline(results_document.get("requirements") or []),
        "Partial (cases tried)": ", ".join(
            f"{row['id']} {doc.cases(row)}" for row in results_document.get("requirements") or []
            if row.get("status") == Status.PARTIAL) or "none",
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


def file_by_requirement(report_dir: Path | str, results_document: dict[str, Any]) -> None:
    """Allure results keep the requirement labels of the requirements each test was judged
    on, sorted by ID; junit.xml testcases get their requirement IDs as properties."""
    outcomes = Outcomes(results_document)
    report_dir = Path(report_dir)
    relabel_allure(report_dir / ALLURE_RESULTS, outcomes)
    annotate_junit(report_dir / JUNIT_FILE, outcomes, results_document.get("requirements"))


class Outcomes:
    """Each test's status per requirement, found by the names Allure and JUnit give it."""

    def __init__(self, results_document: dict[str, Any]) -> None:
        self._by_name: dict[str, list[tuple[str, dict[str, Any]]]] = {}
        for test in results_document.get("tests") or []:
            if isinstance(test, dict) and isinstance(test.get("by_requirement"), dict):
                owner, name = _owner_and_name(str(test.get("id", "")))
                self._by_name.setdefault(name, []).append((owner, test))

    def find(self, owner: str, name: str) -> dict[str, str] | None:
        """`owner`: Allure's full name before '#', or JUnit's classname (dotted module path
        and classes); both end with what the node id says."""
        test = self.record(owner, name)
        return test["by_requirement"] if test else None

    def record(self, owner: str, name: str) -> dict[str, Any] | None:
        for candidate, test in self._by_name.get(name, []):
            if owner == candidate or owner.endswith("." + candidate):
                return test
        return None


def _owner_and_name(nodeid: str) -> tuple[str, str]:
    """'dir/test_x.py::Cls::test_y[p]' -> ('test_x.Cls', 'test_y[p]'); parameters may hold
    '/' and '::', so they are split off first, as pytest's JUnit writer does."""
    path, bracket, params = nodeid.partition("[")
    module, *rest = path.split("::")
    *classes, function = rest or [""]
    stem = module.rsplit("/", 1)[-1].removesuffix(".py")
    return ".".join([stem, *classes]), function + bracket + params


def relabel_allure(results_dir: Path, outcomes: Outcomes) -> None:
    for path in sorted(results_dir.glob("*-result.json")):
        try:
            result = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError):
            continue  # not ours to repair; Allure will say what is wrong with it
        owner = str(result.get("fullName", "")).partition("#")[0]
        test = outcomes.record(owner, str(result.get("name", "")))
        if test is None or not isinstance(result.get("labels"), list):
            continue
        before = json.dumps(result, ensure_ascii=False)
        result["labels"] = _judged_labels(result["labels"], test["by_requirement"])
        result.update(verdict_of(test, result))
        after = json.dumps(result, ensure_ascii=False)
        if after != before:
            path.write_text(after, encoding="utf-8")


def verdict_of(test: dict[str, Any], result: dict[str, Any]) -> dict[str, Any]:
    """Allure's status and message for the run's verdict on `test` (a results.json
    record): every conformance failure is failed, whatever raised it; broken is a suite or
    setup error only; not covered and disabled are skipped, each message saying which."""
    status = test.get("status")
    if status not in ALLURE_STATUS:
        return {}
    details = dict(result.get("statusDetails") or {})
    details["message"] = MESSAGE_PREFIX[status] + _reason(test, status)
    return {"status": ALLURE_STATUS[status], "statusDetails": details}


def _judged_labels(labels: list[dict[str, Any]], statuses: dict[str, str]) -> list[dict]:
    """Other labels as they were, then requirement, feature and story for each judged
    requirement in ID order; a feature starts with its area code so features sort alike."""
    stories = {str(label.get("value", "")).split(" ")[0]: label.get("value")
               for label in labels if label.get("name") == "story"}
    kept = [label for label in labels if label.get("name") not in REQUIREMENT_LABELS]
    features: list[dict[str, str]] = []
    for rid in sorted((rid for rid, status in statuses.items() if status in JUDGED),
                      key=requirement_order):
        kept.append({"name": "requirement", "value": rid})
        kept.append({"name": "story", "value": stories.get(rid) or _story(rid)})
        feature = {"name": "feature", "value": _feature(rid)}
        if feature not in features:
            features.append(feature)
    return kept + features


def _reason(test: dict[str, Any], status: str) -> str:
    """The requirements of the test's status first, each `ID: what was found`, so a
    category pattern finds the failing ID rather than a sibling's suite error."""
    evidence = test.get("evidence") if isinstance(test.get("evidence"), dict) else {}
    lines = []
    for rid, found in test["by_requirement"].items():
        if found == status and evidence.get(rid):
            line = str(evidence[rid]).splitlines()[0]
            lines.append(line if line.startswith(f"{rid}:") else f"{rid}: {line}")
    return "\n".join(lines) or str(test.get("reason") or status)


def _story(rid: str) -> str:
    """As `run_plugin` names a claimed requirement's story: a found one joins its group."""
    return f"{rid} {REQUIREMENTS[rid].title}" if rid in REQUIREMENTS else rid


def _feature(rid: str) -> str:
    area = rid.split("-")[0]
    return f"{area} {AREAS[area]}" if area in AREAS else area


def requirement_order(rid: str) -> tuple[str, int, str]:
    """'CMD-02' before 'CMD-10': area, then number."""
    match = re.fullmatch(r"([A-Za-z]+)-(\d+)(.*)", rid)
    return (match.group(1), int(match.group(2)), match.group(3)) if match else (rid, 0, "")


def annotate_junit(path: Path, outcomes: Outcomes, rows=None) -> None:
    """Each testcase: property `requirements` (its IDs, as Xray reads them) and
    `requirement:<ID>` = its status there; each testsuite: `requirement:<ID>` = the run's
    verdict on it with its coverage ("partial 5/15 cases"). Replaces an earlier call's."""
    if not path.is_file():
        return
    try:
        tree = ET.parse(path)
    except ET.ParseError as exc:
        raise doc.ReportError(f"{path} is not JUnit XML: {exc}") from None
    for case in tree.iter("testcase"):
        statuses = outcomes.find(case.get("classname", ""), case.get("name", ""))
        if statuses is None:
            continue
        properties = _fresh_properties(case)
        ids = sorted(statuses, key=requirement_order)
        ET.SubElement(properties, "property", name="requirements", value=", ".join(ids))
        for rid in ids:
            ET.SubElement(properties, "property", name=f"requirement:{rid}",
                          value=str(statuses[rid]))
    for suite in tree.iter("testsuite"):
        _verdicts_of_run(suite, rows or [])
    tree.write(path, encoding="utf-8", xml_declaration=True)


def _fresh_properties(element: ET.Element) -> ET.Element:
    """The element's <properties>, made if missing, without an earlier call's requirement
    properties."""
    properties = element.find("properties")
    if properties is None:
        properties = ET.Element("properties")
        element.insert(0, properties)
    for old in [p for p in properties if _is_requirement_property(p.get("name", ""))]:
        properties.remove(old)
    return properties


def _verdicts_of_run(suite: ET.Element, rows: list[dict[str, Any]]) -> None:
    properties = _fresh_properties(suite)
    for row in rows:
        if isinstance(row, dict) and row.get("id") and row.get("status"):
            value = " ".join(filter(None, (str(row["status"]), doc.cases(row))))
            ET.SubElement(properties, "property", name=f"requirement:{row['id']}", value=value)


def _is_requirement_property(name: str) -> bool:
    return name == "requirements" or name.startswith("requirement:")
