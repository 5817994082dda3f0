"""TLS for staging: an untrusted certificate says which setting helps, and the setting does.

The target is a local TLS listener with a fresh self-signed certificate that serves the
preflight like the API and answers the operations with HTML: once TLS is accepted, the
run reaches the operations and fails them (exit 1), which proves the requests got through.
"""

from __future__ import annotations

import contextlib

import pytest

from tests import hostile_servers as hostile
from tests.test_hostile_targets import SUITE_BUDGET, assert_clean, run_against


@pytest.fixture
def self_signed(tmp_path):
    context = hostile.bad_certificate(tmp_path)
    if context is None:
        pytest.skip("no `cryptography` package and no `openssl` command to make a "
                    "self-signed certificate with")
    with contextlib.ExitStack() as stack:
        yield stack.enter_context(hostile.serving(hostile.api_preflight(hostile.html_page),
                                                  context))


def test_untrusted_certificate_names_the_setting(self_signed, tmp_path):
    result, _ = run_against(self_signed.url, tmp_path, budget=SUITE_BUDGET)
    assert result.code == 3, result.stderr
    assert "certificate is not trusted" in result.stderr
    assert "--tls-verify PATH" in result.stderr
    assert self_signed.requests == []  # no request got through the TLS handshake


def test_tls_verify_false_reaches_the_operations(self_signed, tmp_path):
    result, _ = run_against(self_signed.url, tmp_path, "--tls-verify", "false", "-k",
                            "test_unknown_job_is_not_found", budget=SUITE_BUDGET)
    assert result.code == 1, result.stderr[-2000:]
    assert any("/v1/" in request.path for request in self_signed.requests)
    assert_clean(result)


def test_a_ca_bundle_that_is_not_a_file_is_a_usage_error(tmp_path):
    done = run_against("https://127.0.0.1:9", tmp_path, "--tls-verify",
                       str(tmp_path / "missing.pem"), budget=SUITE_BUDGET)[0]
    assert done.code == 2
    assert done.stderr.strip().splitlines() == [
        f"metastudio-conformance: setting tls_verify: {tmp_path / 'missing.pem'} is not a file"]
