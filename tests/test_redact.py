"""The redactor masks configured secrets and credential-shaped values, nothing else."""

from __future__ import annotations

import io

from metastudio_conformance.redact import MASK, RedactingStream, Redactor


def test_configured_secrets_and_wire_credentials_are_masked():
    redactor = Redactor(["s3cr3t-key", "tok-123456", None, "ab"])
    text = redactor.text(
        "sk=s3cr3t-key; curl -H 'X-Auth-Token: tok-123456' -H 'X-Auth-Token: other-token' "
        "Authorization: SDK-HMAC-SHA256 Access=AKID1, SignedHeaders=host, "
        "Signature=0123456789abcdef0123 project 0b8e1a1ba8804b3f8d64a3e3f21dd5a0 ab"
    )
    for secret in ("s3cr3t-key", "tok-123456", "other-token", "0123456789abcdef0123"):
        assert secret not in text
    assert text.count(MASK) >= 3
    assert "0b8e1a1ba8804b3f8d64a3e3f21dd5a0" in text  # identifiers stay readable
    assert text.endswith(" ab")  # too short to be a secret: left alone


def test_scrub_tree_rewrites_only_files_that_leak(tmp_path):
    (tmp_path / "a.json").write_text('{"token": "tok-123456"}')
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.txt").write_text("nothing here")
    (tmp_path / "c.png").write_bytes(b"\x89PNG\0\0tok-123456")
    assert Redactor(["tok-123456"]).scrub_tree(tmp_path) == 1
    assert "tok-123456" not in (tmp_path / "a.json").read_text()
    assert (tmp_path / "sub" / "b.txt").read_text() == "nothing here"


def test_console_stream_is_redacted():
    sink = io.StringIO()
    stream = RedactingStream(sink, Redactor(["tok-123456"]))
    stream.write("token tok-123456\n")
    stream.flush()
    assert sink.getvalue() == f"token {MASK}\n"
