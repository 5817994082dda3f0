"""Fixtures of the reference-server tests, loaded with `pytest_plugins` (never imported
directly, so pytest can rewrite its asserts): one sound server with token, AK/SK and an NA
project, and a lenient one (no auth, EXCUTE_FAILED refusals, 400 for unknown jobs).
"""

from __future__ import annotations

import pytest

from metastudio_conformance.reference_server import start_server, stop_server
from tests.reference_helpers import NA, OPTIONS, Api


@pytest.fixture(scope="module")
def server():
    srv, thread = start_server("127.0.0.1", 0, **OPTIONS)
    yield srv
    stop_server(srv, thread)


@pytest.fixture(scope="module")
def api(server):
    return Api(server.url)


@pytest.fixture(scope="module")
def lenient():
    """No auth, EXCUTE_FAILED refusals, 400 for unknown jobs."""
    srv, thread = start_server(refusal="excute-failed", unknown_job_status=400,
                               na_projects=[NA], read_timeout=1)
    yield Api(srv.url, headers={})
    stop_server(srv, thread)
