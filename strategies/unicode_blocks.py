"""The CJK-related Unicode blocks: their ranges, names and the Unicode version that
introduced them, and which of their code points are ideographs (Blocks.txt, DerivedAge.txt).

Python's `unicodedata` knows one Unicode version (3.11: 14.0, so neither Extension H nor I)
and no block names. This table makes a probe's Chinese character, and the evidence
grouped by block, the same on every Python: an ideograph of a block newer than this
Python's `unicodedata` is still an ideograph. Written from the Unicode Character Database
15.1; tests/test_unicode_blocks.py checks every code point of it against `unicodedata`
for each version that Python knows.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

IDEOGRAPH_NAMES = ("CJK UNIFIED IDEOGRAPH", "CJK COMPATIBILITY IDEOGRAPH")


@dataclass(frozen=True)
class Block:
    first: int
    last: int
    name: str  # as Blocks.txt spells it
    version: str  # the Unicode version that introduced the block (DerivedAge)
    # (first, last, version) of the ideographs assigned in it, by the version adding them
    ideographs: tuple[tuple[int, int, str], ...] = ()

    @property
    def label(self) -> str:
        """'CJK Extension G (Unicode 13.0)': short enough for one line of evidence."""
        short = self.name.replace("CJK Unified Ideographs Extension", "CJK Extension")
        return f"{short} (Unicode {self.version})"


BLOCKS = (
    Block(0x2E80, 0x2EFF, "CJK Radicals Supplement", "3.0"),
    Block(0x2F00, 0x2FDF, "Kangxi Radicals", "3.0"),
    Block(0x2FF0, 0x2FFF, "Ideographic Description Characters", "3.0"),
    Block(0x3000, 0x303F, "CJK Symbols and Punctuation", "1.1"),
    Block(0x31C0, 0x31EF, "CJK Strokes", "4.1"),
    Block(0x3200, 0x32FF, "Enclosed CJK Letters and Months", "1.1"),
    Block(0x3300, 0x33FF, "CJK Compatibility", "1.1"),
    Block(0x3400, 0x4DBF, "CJK Unified Ideographs Extension A", "3.0",
          ((0x3400, 0x4DB5, "3.0"), (0x4DB6, 0x4DBF, "13.0"))),
    Block(0x4E00, 0x9FFF, "CJK Unified Ideographs", "1.1",
          ((0x4E00, 0x9FA5, "1.1"), (0x9FA6, 0x9FBB, "4.1"), (0x9FBC, 0x9FC3, "5.1"),
           (0x9FC4, 0x9FCB, "5.2"), (0x9FCC, 0x9FCC, "6.1"), (0x9FCD, 0x9FD5, "8.0"),
           (0x9FD6, 0x9FEA, "10.0"), (0x9FEB, 0x9FEF, "11.0"), (0x9FF0, 0x9FFC, "13.0"),
           (0x9FFD, 0x9FFF, "14.0"))),
    Block(0xF900, 0xFAFF, "CJK Compatibility Ideographs", "1.1",
          ((0xF900, 0xFA2D, "1.1"), (0xFA2E, 0xFA2F, "6.1"), (0xFA30, 0xFA6A, "3.2"),
           (0xFA6B, 0xFA6D, "5.2"), (0xFA70, 0xFAD9, "4.1"))),
    Block(0xFE30, 0xFE4F, "CJK Compatibility Forms", "1.1"),
    Block(0x20000, 0x2A6DF, "CJK Unified Ideographs Extension B", "3.1",
          ((0x20000, 0x2A6D6, "3.1"), (0x2A6D7, 0x2A6DD, "13.0"),
           (0x2A6DE, 0x2A6DF, "14.0"))),
    Block(0x2A700, 0x2B73F, "CJK Unified Ideographs Extension C", "5.2",
          ((0x2A700, 0x2B734, "5.2"), (0x2B735, 0x2B738, "14.0"),
           (0x2B739, 0x2B739, "15.0"))),
    Block(0x2B740, 0x2B81F, "CJK Unified Ideographs Extension D", "6.0",
          ((0x2B740, 0x2B81D, "6.0"),)),
    Block(0x2B820, 0x2CEAF, "CJK Unified Ideographs Extension E", "8.0",
          ((0x2B820, 0x2CEA1, "8.0"),)),
    Block(0x2CEB0, 0x2EBEF, "CJK Unified Ideographs Extension F", "10.0",
          ((0x2CEB0, 0x2EBE0, "10.0"),)),
    Block(0x2EBF0, 0x2EE5F, "CJK Unified Ideographs Extension I", "15.1",
          ((0x2EBF0, 0x2EE5D, "15.1"),)),
    Block(0x2F800, 0x2FA1F, "CJK Compatibility Ideographs Supplement", "3.1",
          ((0x2F800, 0x2FA1D, "3.1"),)),
    Block(0x30000, 0x3134F, "CJK Unified Ideographs Extension G", "13.0",
          ((0x30000, 0x3134A, "13.0"),)),
    Block(0x31350, 0x323AF, "CJK Unified Ideographs Extension H", "15.0",
          ((0x31350, 0x323AF, "15.0"),)),
)


def version_tuple(version: str) -> tuple[int, ...]:
    """'15.1' or '14.0.0' as a comparable tuple (trailing zeros dropped)."""
    parts = [int(part) for part in version.split(".")]
    while parts and parts[-1] == 0:
        parts.pop()
    return tuple(parts)


def block_of(point: int) -> Block | None:
    """The table's block holding `point`, or None (outside the CJK blocks, or between)."""
    return next((block for block in BLOCKS if block.first <= point <= block.last), None)


def label(point: int) -> str:
    """The block of `point` in words, for evidence grouped by block."""
    block = block_of(point)
    return block.label if block else f"no CJK block (U+{point:04X})"


def is_ideograph(point: int) -> bool:
    """A Chinese character beyond doubt: a CJK unified or compatibility ideograph, by this
    table (whatever this Python's Unicode version) or by `unicodedata` (a newer block)."""
    block = block_of(point)
    if block and any(low <= point <= high for low, high, _ in block.ideographs):
        return True
    return unicodedata.name(chr(point), "").startswith(IDEOGRAPH_NAMES)


def character_name(point: int) -> str:
    """Its Unicode name; an ideograph newer than this Python's `unicodedata` is named as
    the standard names it (the prefix and its code point)."""
    known = unicodedata.name(chr(point), "")
    if known or not is_ideograph(point):
        return known or "unassigned"
    block = block_of(point)
    prefix = IDEOGRAPH_NAMES[1] if "Compatibility" in block.name else IDEOGRAPH_NAMES[0]
    return f"{prefix}-{point:04X}"
