"""Every byte survives every report: `printable` escapes what UTF-8 files and XML cannot
hold, previews what is too long, and leaves ordinary text alone."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET

from hypothesis import given
from hypothesis import strategies as st

from metastudio_conformance import printable
from metastudio_conformance.redact import RedactingStream, Redactor

ORDINARY = st.text(st.characters(exclude_categories=("Cs", "Cc"), exclude_characters="\ufffe\uffff")
                   | st.sampled_from("\t\n\r"))


def _writable(text: str) -> None:
    text.encode("utf-8")  # strict: no lone surrogate
    element = ET.Element("failure", message=text)
    element.text = text
    ET.fromstring(ET.tostring(element, encoding="unicode"))  # XML 1.0 characters only


@given(st.text())
def test_any_text_becomes_utf8_and_xml_safe(value):
    _writable(printable.text(value))


@given(st.binary())
def test_any_bytes_become_utf8_and_xml_safe(value):
    _writable(printable.text(value))


@given(ORDINARY)
def test_ordinary_text_is_unchanged(value):
    assert printable.text(value) == value


def test_escapes_say_what_was_there():
    assert printable.text("a\ud800b\x00c\uffff") == "a\\ud800b\\x00c\\uffff"
    assert printable.text(b"ok \xff\xfe") == "ok \\xff\\xfe"
    assert printable.text("\U0001f600 caf\u00e9") == "\U0001f600 caf\u00e9"


def test_a_long_value_is_previewed():
    shown = printable.text("x" * 250, limit=100)
    assert shown == "x" * 100 + " ... (150 more characters)"
    assert printable.text("x" * 250, limit=None) == "x" * 250


@given(st.recursive(st.none() | st.integers() | st.text() | st.binary(),
                    lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner),
                    max_leaves=10))
def test_a_results_document_always_serialises(document):
    json.dumps(printable.tree(document), ensure_ascii=False).encode("utf-8")


@given(st.text())
def test_the_console_stream_never_raises(value):
    sink = io.BytesIO()
    stream = RedactingStream(io.TextIOWrapper(sink, encoding="utf-8"), Redactor(["tok-123456"]))
    stream.write(value)
    stream.flush()
