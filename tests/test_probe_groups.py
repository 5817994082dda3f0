"""Evidence grouped by meaning (conformance/probe_groups.py): one line per subject of the
near misses a target accepted, charged to the requirement they broke."""

from __future__ import annotations

from types import SimpleNamespace

from metastudio_conformance import probe_groups
from metastudio_conformance.outcomes import Violation
from metastudio_conformance.recorder import Marks, Recorder
from metastudio_conformance.strategies import near_misses
from metastudio_conformance.strategies.near_misses import REFUSED


def _row(probe, accepted: bool) -> dict:
    """The row test_near_misses.py notes for a refused-kind probe."""
    return {"probe": probe.id, "documented": "refused", "requirement": probe.requirement,
            **vars(probe.meaning), "outcome": probe_groups.outcome(not accepted),
            "verdict": "fail" if accepted else "pass"}


def _rows(accepted) -> list[dict]:
    return [_row(p, accepted(p)) for p in near_misses.probes() if p.kind == REFUSED]


def test_every_refused_probe_has_a_meaning():
    for probe in near_misses.probes():
        assert probe.meaning and probe.meaning.subject and probe.meaning.item, probe.id
        assert probe.meaning.noun in ("block", "value", "type"), probe.id


def test_a_clean_target_has_no_line():
    assert probe_groups.lines({"near_misses": _rows(lambda p: False)}) == {}
    assert probe_groups.lines(None) == {} and probe_groups.lines({}) == {}


def test_blocks_accepted_everywhere_and_in_part():
    def accepted(probe):
        return probe.id.endswith(("U+30000-first-of-range", "U+323AF-last-of-range")) or (
            probe.id == "POST:X-App-UserId:U+9FFF-last-of-range")

    assert probe_groups.lines({"near_misses": _rows(accepted)}) == {"HDR-02": [
        "X-App-UserId: accepted: CJK Unified Ideographs (Unicode 1.1) (only POST "
        "U+9FFF-last-of-range), CJK Extension G (Unicode 13.0), CJK Extension H (Unicode "
        "15.0); refused: every other block probed"]}


def test_values_and_types_each_get_their_line_under_their_rule():
    def accepted(probe):
        return probe.id in ("POST:command:SUBMITVERIFYING:case-flipped",
                            "POST:command:as-number", "POST:comment_data:as-string")

    assert probe_groups.lines({"near_misses": _rows(accepted)}) == {
        "CMD-02": ['`command`: accepted: "sUBMITVERIFYING"; refused: every other value probed',
                   "`command`: accepted: a number; refused: every other type probed"],
        "CMD-07": ["`comment_data`: accepted: a string; refused: every other type probed"]}


def test_everything_accepted_says_so():
    lines = probe_groups.lines({"near_misses": _rows(lambda p: True)})
    assert lines["CMD-07"][0] == ("`command_message`: accepted: every type probed (a number, "
                                  "a boolean, a list, an object); refused: none")
    assert lines["CMD-02"][0] == "`command`: accepted: every value probed (41); refused: none"
    assert lines["HDR-02"] == ["X-App-UserId: accepted: every block probed (7); refused: none"]


def test_a_long_list_of_accepted_items_is_cut():
    lines = probe_groups.lines({"near_misses": _rows(
        lambda p: p.id.startswith("POST:command:") and not p.id.endswith("trailing-space"))})
    assert lines["CMD-02"][0].startswith('`command`: accepted: "SUBMITVFRIFYING", ')
    assert lines["CMD-02"][0].endswith(" and 25 more; refused: every other value probed")


def test_observed_and_control_rows_never_count():
    rows = [{**row, "documented": "either (the spec's pattern refuses it)"}
            for row in _rows(lambda p: True)]
    assert probe_groups.lines({"near_misses": rows}) == {}


def test_the_requirement_row_opens_with_the_line_only_when_it_fails():
    recorder = Recorder()
    failed = SimpleNamespace(passed=False, skipped=False, failed=True, outcome="failed")
    error = BaseExceptionGroup("x", [Violation("HDR-02", None, "U+30000: 200", "refused")])
    recorder.record("t[POST:X-App-UserId:U+30000-first-of-range]", Marks(["HDR-02"], []),
                    failed, SimpleNamespace(value=error))
    matrices = {"near_misses": _rows(lambda p: p.id.endswith("U+30000-first-of-range"))}
    row = recorder.summary(matrices)["HDR-02"]
    line = ("X-App-UserId: accepted: CJK Extension G (Unicode 13.0); refused: every other "
            "block probed")
    assert row["grouped"] == [line] and row["evidence"].startswith(line + "\n\n")
    assert "grouped" not in recorder.summary(matrices)["CMD-02"]
    assert "grouped" not in recorder.summary()["HDR-02"]



def test_the_line_is_the_same_whatever_order_the_rows_came_in():
    """Workers and shards join their matrices in any order."""
    rows = _rows(lambda p: p.id.endswith(("U+30000-first-of-range", "U+323AF-last-of-range")))
    assert probe_groups.lines({"near_misses": rows[::-1]}) == probe_groups.lines(
        {"near_misses": rows})


def test_a_probe_not_judged_counts_neither_way():
    """Its valid twin was refused too (twins.py): its refusal proves nothing."""
    rows = [{**row, "verdict": "not judged"} if row["probe"].endswith("U+4E00-at-start")
            else row for row in _rows(lambda p: p.id.endswith("U+30000-first-of-range"))]
    only = [row for row in rows if row["subject"] == "X-App-UserId"
            and row["item"].startswith(("CJK Unified Ideographs (", "CJK Extension G"))
            and row["probe"].endswith(("U+4E00-at-start", "U+30000-first-of-range"))]
    assert probe_groups.lines({"near_misses": only}) == {"HDR-02": [
        "X-App-UserId: accepted: every block probed (CJK Extension G (Unicode 13.0)); "
        "refused: none"]}
