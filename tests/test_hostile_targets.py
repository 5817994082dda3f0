"""`metastudio-conformance run` against hostile targets (tests/hostile_servers.py).

Every run must end within its budget with one clear line on stderr, the documented exit
code and no traceback, and must never send the canary credential anywhere but the
target it was given. Exit 3 is for a target the suite cannot talk to at all: nothing
there, no name, no answer, a broken connection, not HTTP, or TLS it must not trust (the
suite will not send credentials over an unverified channel). Exit 2 is for a target that
answers, but not as this API (HTML, redirects, 50 MB to a List of one): a setup mistake,
found by the preflight before any test. Exit 1 is for a target that serves the API but
answers its operations wrongly: those answers are what conformance failures are made of.
"""

from __future__ import annotations

import contextlib
import re
import threading
import time

import pytest

from metastudio_conformance.config import Settings
from metastudio_conformance.target import (
    PREFLIGHT_BODY_LIMIT,
    SetupError,
    TargetUnreachable,
    preflight,
)
from tests import hostile_servers as hostile
from tests.conftest import CliResult, run_cli

CANARY = "canary-token-123"
PROJECT = "0" * 31 + "1"
# CI=true: pytest then prints each failure's whole message, as a nightly job's log shows it
ENV = {"METASTUDIO_TOKEN": CANARY, "METASTUDIO_REQUEST_TIMEOUT": "2", "CI": "true"}
UNREACHABLE_BUDGET = 20.0  # seconds: a 2 s preflight deadline plus the CLI's start-up
SUITE_BUDGET = 45.0  # a few selected tests against a target that answers


@pytest.fixture
def targets(tmp_path):
    """start(kind) -> (url, listener or None); everything started is stopped after."""
    with contextlib.ExitStack() as stack:
        def start(kind: str):
            if kind == "refused":
                return stack.enter_context(hostile.closed_port()), None
            if kind == "dns":
                return hostile.DNS_FAILURE_URL, None
            if kind == "bad-tls":
                context = hostile.bad_certificate(tmp_path)
                if context is None:
                    pytest.skip("no `cryptography` package and no `openssl` command to make "
                                "a self-signed certificate with")
                listener = stack.enter_context(hostile.serving(hostile.ok_json, context))
                return listener.url, listener
            listener = stack.enter_context(hostile.serving(HANDLERS[kind]))
            return listener.url, listener

        yield start


HANDLERS = {
    "never-answers": hostile.never_answers,
    "reset": hostile.resets_mid_answer,
    "slow-drip": hostile.slow_drip,
    "garbage": hostile.garbage,
    "huge-body": hostile.huge_body,
    "html": hostile.html_pages,
}


def run_against(url: str, tmp_path, *extra: str, budget: float) -> tuple[CliResult, float]:
    started = time.monotonic()
    result = run_cli(["run", "--target", url, "--project-id", PROJECT, "--max-examples", "5",
                      "--seed", "1", *extra], tmp_path / "reports", env=ENV, timeout=budget)
    return result, time.monotonic() - started


# pytest shows schemathesis' findings (a FailureGroup) as "+ Exception Group Traceback":
# that is the report of a conformance failure, not a crash of the suite.
_CRASH = re.compile(r"^(?!\s*\+ Exception Group Traceback).*Traceback \(most recent", re.M)


def assert_clean(result: CliResult) -> None:
    """No traceback of a crash, and the canary nowhere in the console or the report files."""
    console = result.stdout + result.stderr
    assert not _CRASH.search(console), console[-3000:]
    assert CANARY not in console
    for path in result.report_dir.rglob("*"):
        if path.is_file():
            assert CANARY.encode() not in path.read_bytes(), path


def problem_lines(result: CliResult) -> list[str]:
    """stderr without the run id line every run starts with."""
    return [line for line in result.stderr.splitlines() if not line.startswith("run id: ")]


def no_canary_reached(listener) -> None:
    if listener is not None:
        for request in listener.requests:
            assert CANARY not in str(request.headers), request


@pytest.mark.parametrize(("kind", "words"), [
    ("refused", r"cannot connect to http://127\.0\.0\.1:\d+: connection refused"),
    ("dns", r"cannot resolve the host name does-not-exist\.invalid \(DNS"),
    ("never-answers", r"accepted the connection but did not answer within 2 s"),
    ("reset", r"reset the connection"),
    ("slow-drip", r"did not finish its answer within 2 s .*too slow to test"),
    ("garbage", r"does not speak HTTP: it answered 'SSH-2\.0"),
    ("bad-tls", r"TLS with 127\.0\.0\.1:\d+ failed: its certificate is not trusted"),
])
def test_unreachable_target_is_exit_3_with_one_line(kind, words, targets, tmp_path):
    url, listener = targets(kind)
    result, _ = run_against(url, tmp_path, budget=UNREACHABLE_BUDGET)
    assert result.code == 3, result.stderr
    assert len(problem_lines(result)) == 1, result.stderr
    assert re.search(r"^metastudio-conformance: target unreachable: " + ".*" + words,
                     problem_lines(result)[0]), result.stderr
    assert result.stdout == ""
    assert_clean(result)
    no_canary_reached(listener)  # the preflight sends no credentials at all


def _failed_evidence(result: CliResult) -> str:
    return "\n".join(row["evidence"] for row in result.results["requirements"]
                     if row["status"] == "fail")


def _assert_conformance_failure(result: CliResult) -> None:
    assert result.code == 1, result.stderr + result.stdout[-3000:]
    lines = problem_lines(result)
    assert re.fullmatch(r"conformance failures: [A-Z]+-\d+(, [A-Z]+-\d+)*", lines[0]), lines
    assert [line for line in lines[1:] if not line.startswith("replay: ")] == []
    assert_clean(result)


def _assert_setup_error(result: CliResult, line: str) -> None:
    """Exit 2 with exactly `line` (a regex), before any test: no table, no results."""
    assert result.code == 2, result.stderr + result.stdout[-3000:]
    assert re.fullmatch("metastudio-conformance: " + line, result.stderr.strip()), result.stderr
    assert result.stdout == ""
    assert not (result.report_dir / "results.json").exists()
    assert_clean(result)


def test_html_pages_are_a_setup_error(targets, tmp_path):
    # A web server answering HTML where the API should be: a wrong --target, not a FAIL.
    url, listener = targets("html")
    result, seconds = run_against(url, tmp_path, budget=UNREACHABLE_BUDGET)
    _assert_setup_error(result, re.escape(url) + r" answers HTML, not the MetaStudio API "
                        r"\(List answered 200 text/html\): check --target")
    assert listener.requests[0].path == "/" and "x-auth-token" not in listener.requests[0].headers


def test_html_answers_to_the_operations_are_conformance_failures(tmp_path):
    # The API is there (the preflight's List works), its operations answer HTML with 200:
    # the target answers, wrongly (1).
    with hostile.serving(hostile.api_preflight(hostile.html_page)) as listener:
        result, _ = run_against(listener.url, tmp_path, "-k", "test_unknown_job_is_not_found",
                                budget=SUITE_BUDGET)
    _assert_conformance_failure(result)
    assert "DOCTYPE html" in _failed_evidence(result)


def test_html_answers_fail_tests_that_need_a_job(tmp_path):
    with hostile.serving(hostile.api_preflight(hostile.html_page)) as listener:
        result, _ = run_against(listener.url, tmp_path, "-k",
                                "test_request_id_on_every_kind_of_answer", budget=SUITE_BUDGET)
    _assert_conformance_failure(result)


def test_huge_bodies_everywhere_are_a_setup_error_in_time(targets, tmp_path):
    # 50 MB to a List of one job is not this API; the preflight reads 64 KiB of it.
    url, _ = targets("huge-body")
    result, seconds = run_against(url, tmp_path, budget=20)
    _assert_setup_error(result, re.escape(url) + r" does not answer like the MetaStudio API "
                        r"\(List answered 200 application/json of over 64 KiB\): check --target")
    assert seconds < 15


def test_huge_bodies_are_conformance_failures_in_time(tmp_path):
    # 200 with 50 MB to an unknown job is a wrong answer (1), as long as the suite reads
    # it in bounded time (here under a cap raised above it).
    with hostile.serving(hostile.api_preflight(hostile.send_huge)) as listener:
        result, _ = run_against(listener.url, tmp_path, "-k",
                                "test_unknown_job_is_not_found and Show",
                                "--max-answer-bytes", str(64 << 20), budget=20)
    _assert_conformance_failure(result)


def test_bodies_over_the_answer_cap_end_their_test_with_one_line(tmp_path):
    # The default cap (8 MiB) cuts the 50 MB: the test errs (4), naming the cap, in time.
    with hostile.serving(hostile.api_preflight(hostile.send_huge)) as listener:
        result, seconds = run_against(listener.url, tmp_path, "-k",
                                      "test_unknown_job_is_not_found and Show", budget=20)
    assert result.code == 4, result.stderr
    assert re.search(r"AnswerTooLarge: the answer to GET /v1/\w+/digital-human-training-manage"
                     r"/user/jobs/\w+ is over max_answer_bytes \(8388608 bytes\) decoded "
                     r"\(Content-Encoding: identity; \d+ byte\(s\) of body received on the "
                     r"wire\)", result.stdout), result.stdout[-3000:]
    assert (result.report_dir / "results.json").is_file()
    assert_clean(result)
    assert seconds < 15


@pytest.fixture
def redirecting():
    """A target that serves the preflight and 302s every other API request to a second
    listener, which records all."""
    with hostile.serving(hostile.records) as elsewhere, \
            hostile.serving(hostile.api_preflight(hostile.redirects(elsewhere.url))) as target:
        yield target, elsewhere


def test_redirects_are_not_followed_by_the_suite_client(redirecting, tmp_path):
    # A redirect is an answer the contract does not document (1), never a place to go:
    # following it would hand the token to a host nobody configured.
    target, elsewhere = redirecting
    result, _ = run_against(target.url, tmp_path, "-k",
                            "test_request_id_on_every_kind_of_answer", budget=SUITE_BUDGET)
    _assert_conformance_failure(result)
    assert "302" in _failed_evidence(result)
    assert elsewhere.requests == []
    assert any(r.headers.get("x-auth-token") == CANARY for r in target.requests)


def test_redirects_are_not_followed_by_property_tests(redirecting, tmp_path):
    target, elsewhere = redirecting
    result, _ = run_against(target.url, tmp_path, "-k", "test_operation",
                            budget=SUITE_BUDGET)
    assert elsewhere.requests == [], [(r.method, r.path) for r in elsewhere.requests]
    _assert_conformance_failure(result)
    # the summary line of a failed property test names its requirements, not a traceback
    assert re.search(r"^FAILED .*test_operation\[.* - (HDR|RSP|VAL)-\d\d", result.stdout,
                     re.M), result.stdout[-2000:]


def test_a_target_that_redirects_the_api_is_a_setup_error(tmp_path):
    with hostile.serving(hostile.records) as elsewhere, \
            hostile.serving(hostile.redirect_to(elsewhere.url)) as target:
        result, _ = run_against(target.url, tmp_path, budget=UNREACHABLE_BUDGET)
    _assert_setup_error(result, re.escape(target.url) + r" redirects the API \(List answered "
                        r"302 to http://127\.0\.0\.1:\d+/v1/.*/user/jobs\); the suite "
                        r"follows no redirects: check --target")
    assert elsewhere.requests == []


# The preflight on its own, in this process: its deadline, what it reads, its lines.
def _preflight(url: str, limit: float = 1.0) -> tuple[str | None, float]:
    started = time.monotonic()
    try:
        preflight(Settings(target=url, project_id=PROJECT, token=CANARY,
                           request_timeout=limit))
        problem = None
    except (TargetUnreachable, SetupError) as exc:
        problem = str(exc)
    return problem, time.monotonic() - started


def test_preflight_reads_little_of_a_huge_body(targets):
    url, listener = targets("huge-body")
    problem, seconds = _preflight(url)
    assert "of over 64 KiB" in problem and seconds < 1.5  # three requests, 64 KiB each
    assert PREFLIGHT_BODY_LIMIT <= 1 << 20  # far below the 50 MB on offer


def test_preflight_does_not_follow_a_redirect(redirecting):
    target, elsewhere = redirecting
    assert _preflight(target.url)[0] is None  # the API answers the preflight itself
    assert elsewhere.requests == []
    assert "x-auth-token" not in target.requests[0].headers  # the reachability probe


def test_preflight_names_a_redirect_of_the_api_and_stays(tmp_path):
    with hostile.serving(hostile.records) as elsewhere, \
            hostile.serving(hostile.redirect_to(elsewhere.url)) as target:
        problem, _ = _preflight(target.url)
    assert problem is not None and "redirects the API" in problem, problem
    assert elsewhere.requests == []
    assert "x-auth-token" not in target.requests[0].headers


@pytest.mark.parametrize("kind", ["never-answers", "slow-drip"])
def test_preflight_keeps_its_deadline(kind, targets):
    url, _ = targets(kind)
    problem, seconds = _preflight(url, limit=1.0)
    assert problem is not None and "1 s" in problem
    assert seconds < 2.5  # the limit and the grace, not a byte-per-read eternity


def test_preflight_gives_up_on_a_dripping_body():
    def drips_body(conn, listener):
        hostile.read_request(conn, listener)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
        while not listener.stop_event.wait(0.2):
            conn.sendall(b".")

    with hostile.serving(drips_body) as listener:
        problem, seconds = _preflight(listener.url)
    assert problem is not None and "reading the body of a 200 answer" in problem
    assert seconds < 2.5


def test_preflight_names_tls_spoken_to_plain_http():
    def alert(conn, listener):  # what a TLS server may send to a plain HTTP request
        hostile.read_request(conn, listener)
        conn.sendall(b"\x15\x03\x01\x00\x02\x02\x46")

    with hostile.serving(alert) as listener:
        problem, _ = _preflight(listener.url)
    assert problem is not None and "(that is TLS: try https://)" in problem, problem


def test_preflight_names_plain_http_spoken_to_as_tls():
    def bad_request(conn, listener):  # a plain HTTP server refusing a TLS ClientHello
        conn.recv(4096)
        conn.sendall(hostile.answer("400 Bad Request", "text/plain", b"bad request"))

    with hostile.serving(bad_request) as listener:
        problem, _ = _preflight(listener.url.replace("http://", "https://"))
    assert problem is not None and "TLS handshake" in problem, problem


def test_preflight_bounds_a_dns_lookup_that_hangs(monkeypatch):
    # No socket timeout covers getaddrinfo; a resolver that never answers is simulated.
    release = threading.Event()
    monkeypatch.setattr("metastudio_conformance.target.socket.getaddrinfo",
                        lambda *args, **kwargs: release.wait(30))
    try:
        problem, seconds = _preflight("http://slow-dns.invalid")
    finally:
        release.set()
    assert problem == ("cannot resolve the host name slow-dns.invalid (the DNS lookup took "
                       "over 1 s)")
    assert seconds < 2.5
