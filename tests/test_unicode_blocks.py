"""The CJK block table (strategies/unicode_blocks.py) agrees with this Python's
`unicodedata` on every code point of every block, for the Unicode version it knows."""

from __future__ import annotations

import unicodedata

import pytest

from metastudio_conformance.strategies import unicode_blocks
from metastudio_conformance.strategies.unicode_blocks import BLOCKS, version_tuple

KNOWN = version_tuple(unicodedata.unidata_version)


def _named_ideograph(point: int) -> bool:
    return unicodedata.name(chr(point), "").startswith(unicode_blocks.IDEOGRAPH_NAMES)


def _known_span(point: int, block) -> bool:
    return any(low <= point <= high and version_tuple(version) <= KNOWN
               for low, high, version in block.ideographs)


@pytest.mark.parametrize("block", BLOCKS, ids=[b.name for b in BLOCKS])
def test_ideographs_as_this_python_knows_them(block):
    """An ideograph of a version this Python knows is named one, and nothing else in the
    block is; an ideograph of a later version is not yet assigned here."""
    for point in range(block.first, block.last + 1):
        assert _named_ideograph(point) == _known_span(point, block), f"U+{point:04X}"
        if unicode_blocks.is_ideograph(point) and not _known_span(point, block):
            assert unicodedata.name(chr(point), "") == "", f"U+{point:04X}"


def test_blocks_are_ordered_and_spans_inside_them():
    for before, after in zip(BLOCKS, BLOCKS[1:], strict=False):
        assert before.last < after.first, after.name
    for block in BLOCKS:
        assert block.first % 16 == 0 and block.last % 16 == 15, block.name  # Blocks.txt
        for low, high, version in block.ideographs:
            assert block.first <= low <= high <= block.last, block.name
            assert version_tuple(block.version) <= version_tuple(version), block.name
        if block.ideographs:  # a block of ideographs came with its first ones
            assert block.ideographs[0][2] == block.version, block.name


def test_a_block_introduced_by_a_known_version_has_assigned_characters():
    """Its version is right at least this far: the block is not empty in the Unicode
    version that introduced it, as far as this Python knows."""
    for block in BLOCKS:
        if version_tuple(block.version) <= KNOWN:
            assert any(unicodedata.name(chr(p), "") for p in range(block.first, block.last + 1))


def test_every_cjk_ideograph_this_python_knows_is_in_the_table():
    found = [p for p in range(0x2E80, 0x32400) if _named_ideograph(p)
             and not unicode_blocks.is_ideograph(p)]
    assert found == []
    outside = [p for p in range(0x2E80, 0x32400) if _named_ideograph(p)
               and unicode_blocks.block_of(p) is None]
    assert outside == []


@pytest.mark.parametrize(("point", "label", "ideograph"), [
    (0x30000, "CJK Extension G (Unicode 13.0)", True),
    (0x3134A, "CJK Extension G (Unicode 13.0)", True),
    (0x3134B, "CJK Extension G (Unicode 13.0)", False),
    (0x31350, "CJK Extension H (Unicode 15.0)", True),
    (0x323AF, "CJK Extension H (Unicode 15.0)", True),
    (0x2EBF0, "CJK Extension I (Unicode 15.1)", True),
    (0x4E00, "CJK Unified Ideographs (Unicode 1.1)", True),
    (0x3400, "CJK Extension A (Unicode 3.0)", True),
    (0xFAD9, "CJK Compatibility Ideographs (Unicode 1.1)", True),
    (0xFAFF, "CJK Compatibility Ideographs (Unicode 1.1)", False),
    (0x2FA1D, "CJK Compatibility Ideographs Supplement (Unicode 3.1)", True),
    (0x3000, "CJK Symbols and Punctuation (Unicode 1.1)", False),
    (0x2A6E0, "no CJK block (U+2A6E0)", False),
])
def test_sample_code_points(point, label, ideograph):
    assert unicode_blocks.label(point) == label
    assert unicode_blocks.is_ideograph(point) == ideograph


def test_names_of_ideographs_newer_than_this_python():
    assert unicode_blocks.character_name(0x30000) == "CJK UNIFIED IDEOGRAPH-30000"
    assert unicode_blocks.character_name(0x323AF) == "CJK UNIFIED IDEOGRAPH-323AF"
    assert unicode_blocks.character_name(0x2EBF0) == "CJK UNIFIED IDEOGRAPH-2EBF0"
    assert unicode_blocks.character_name(0xFAFF) == "unassigned"
    assert unicode_blocks.character_name(0x3000) == "IDEOGRAPHIC SPACE"
