"""The preflight proves the setup before any test: the base URL serves this API and the
target accepts the run's credentials. A setup mistake is exit 2 with one line naming the
cause and the fix; every documented-compatible answer passes.
"""

from __future__ import annotations

import json
import re

import pytest

from metastudio_conformance.config import Settings
from metastudio_conformance.target import ProbeAnswer, SetupError, preflight, setup_problem
from tests import hostile_servers as hostile
from tests.conftest import run_cli

PROJECT = "0" * 31 + "1"
TOKEN_SETTINGS = Settings(target="https://metastudio.example.com", project_id=PROJECT,
                          token="t0ken")
AKSK_SETTINGS = Settings(target="https://metastudio.example.com", project_id=PROJECT,
                         ak="AK1", sk="s3cret")


def listed(status: int, body: object, content_type: str = "application/json",
           **extra) -> ProbeAnswer:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return ProbeAnswer("List", status, content_type, body=raw, **extra)


def shown(status: int, body: object, content_type: str = "application/json") -> ProbeAnswer:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return ProbeAnswer("Show of an unknown job", status, content_type, body=raw)


def error(code: str, message: str = "text") -> dict:
    return {"error_code": code, "error_msg": message}


@pytest.mark.parametrize("answers", [
    [listed(200, {"count": 0, "jobs": []})],
    [listed(200, {"count": 3, "jobs": [{"job_id": "a"}], "x_vendor": 1})],  # extra fields
    [listed(200, {"jobs": []}, content_type="text/html")],  # a wrong type, a List all the same
    [listed(200, {"total": 0}), shown(404, error("MSS.41000003"))],  # its own List shape
    [listed(404, b"<html>no</html>", "text/html"), shown(400, error("MSS.00000003"))],
    [listed(405, b""), shown(404, {"error_msg": "job does not exist", "request_id": "r"})],
    [listed(500, error("MSS.00000004", "Internal Error"))],  # a broken List: tests will say
    [listed(200, {}), shown(404, {"error_code": 41000003, "error_msg": "x"})],  # a number
], ids=["list", "extra-fields", "json-as-html", "show-404", "show-400", "msg-only",
        "list-500", "numeric-code"])
def test_documented_compatible_answers_pass(answers):
    assert setup_problem(answers, TOKEN_SETTINGS) is None


@pytest.mark.parametrize(("settings", "answers", "line"), [
    (TOKEN_SETTINGS, [listed(401, error("MSS.00000001", "Unauthorized"))],
     "credentials refused by the target (List answered 401 MSS.00000001 Unauthorized): "
     "check METASTUDIO_TOKEN"),
    (AKSK_SETTINGS, [listed(400, error("MSS.00010008", "invalid token in the header"))],
     "credentials refused by the target (List answered 400 MSS.00010008 invalid token in the "
     "header): check METASTUDIO_AK and METASTUDIO_SK"),
    (AKSK_SETTINGS, [listed(401, error("APIGW.0301", "Incorrect IAM authentication"))],
     "credentials refused by the target (List answered 401 APIGW.0301 Incorrect IAM "
     "authentication): check METASTUDIO_AK and METASTUDIO_SK"),
    (TOKEN_SETTINGS, [listed(400, error("APIGW.0307", "token expired"))],
     "credentials refused by the target (List answered 400 APIGW.0307 token expired): "
     "check METASTUDIO_TOKEN"),
    (TOKEN_SETTINGS, [listed(403, b"Forbidden", "text/plain")],
     "credentials refused by the target (List answered 403 text/plain): check "
     "METASTUDIO_TOKEN"),
    (TOKEN_SETTINGS, [listed(400, error("MSS.00010009", "tenant differs"))],
     f"project {PROJECT} is not the credentials' project (List answered 400 MSS.00010009 "
     "tenant differs): check --project-id and the credentials"),
    (Settings(target="https://h.example/v1", project_id="p", token="t"),
     [listed(400, error("MSS.00010003", "API not found"))],
     "no MetaStudio API under https://h.example/v1 (List answered 400 MSS.00010003 API not "
     "found): give the base URL without /v1"),
    (Settings(target="https://h.example/v1", project_id="p", token="t"),
     [listed(404, b"<html>404</html>", "text/html"), shown(404, b"<html>404</html>")],
     "no MetaStudio API under https://h.example/v1 (List answered 404 text/html): give the "
     "base URL without /v1"),
    (Settings(target="https://h.example/gw", project_id="p", token="t"),
     [listed(404, error("APIGW.0101", "The API does not exist"))],
     "no MetaStudio API under https://h.example/gw (List answered 404 APIGW.0101 The API does "
     "not exist): check --target: the API's paths begin with /v1 right after /gw; is it part "
     "of the base URL?"),
    (TOKEN_SETTINGS, [listed(400, error("MSS.00010003", "API not found"))],
     "no MetaStudio API under https://metastudio.example.com (List answered 400 MSS.00010003 "
     "API not found): check --target (the MetaStudio endpoint of the region)"),
    (TOKEN_SETTINGS, [ProbeAnswer("List", 301, "text/html",
                                  location="https://login.example/sso?token=x")],
     "https://metastudio.example.com redirects the API (List answered 301 to "
     "https://login.example/sso); the suite follows no redirects: check --target"),
    (TOKEN_SETTINGS, [listed(200, b"<!DOCTYPE html><p>hi", "text/html"),
                      shown(200, b"<!DOCTYPE html><p>hi", "text/html")],
     "https://metastudio.example.com answers HTML, not the MetaStudio API (List answered 200 "
     "text/html): check --target"),
    (TOKEN_SETTINGS, [listed(404, b"Not Found", "text/plain"), shown(404, b"Not Found")],
     "https://metastudio.example.com does not answer like the MetaStudio API (List answered "
     "404 text/plain): check --target"),
    (TOKEN_SETTINGS, [listed(200, {"status": "ok"}), shown(200, {"status": "ok"})],
     "https://metastudio.example.com does not answer like the MetaStudio API (List answered "
     "200 application/json): check --target"),
], ids=["token-401", "aksk-invalid-token", "gateway-401", "gateway-400", "403-text",
        "other-project", "v1-api-not-found", "v1-html-404", "prefix-gateway-404",
        "host-api-not-found", "redirect", "html", "text-404", "other-json"])
def test_setup_mistakes_name_cause_and_fix(settings, answers, line):
    assert setup_problem(answers, settings) == line


# Against real sockets: the bundled reference server, and small servers of tests/hostile.
def _problem(settings: Settings) -> str | None:
    try:
        preflight(settings)
    except SetupError as exc:
        return str(exc)
    return None


def _settings(server, **changes) -> Settings:
    values = {"target": server.url, "project_id": server.project_id, "ak": server.ak,
              "sk": server.sk, "request_timeout": 5.0, **changes}
    return Settings(**values)


@pytest.mark.parametrize("options", [(), ("--alt-errors",), ("--extra-fields",),
                                     ("--unknown-job-status", "400"),
                                     ("--refusal", "excute-failed")])
def test_the_reference_server_and_its_variants_pass(server_factory, options):
    assert _problem(_settings(server_factory(*options))) is None


def test_a_wrong_secret_key_is_refused(server_factory):
    problem = _problem(_settings(server_factory(), sk="not-the-secret-key"))
    assert re.fullmatch(r"credentials refused by the target \(List answered 401 MSS\.00000001 "
                        r"Unauthorized: .*\): check METASTUDIO_AK and METASTUDIO_SK", problem)


def test_a_wrong_signature_with_gateway_codes_is_refused(server_factory):
    problem = _problem(_settings(server_factory("--alt-errors"), sk="not-the-secret-key"))
    assert re.fullmatch(r"credentials refused by the target \(List answered 401 APIGW\.0301 "
                        r".*\): check METASTUDIO_AK and METASTUDIO_SK", problem)


def test_a_base_url_ending_in_v1_is_named(server_factory):
    server = server_factory()
    problem = _problem(_settings(server, target=server.url + "/v1"))
    assert problem == (f"no MetaStudio API under {server.url}/v1 (List answered 400 "
                       "MSS.00010003 API not found): give the base URL without /v1")


def test_a_path_prefix_that_misses_the_api_is_named():
    with hostile.serving(hostile.api_gateway) as gateway:
        assert _problem(Settings(target=gateway.url, project_id="p", token="t")) is None
        problem = _problem(Settings(target=gateway.url + "/metastudio", project_id="p",
                                    token="t"))
    assert problem == (f"no MetaStudio API under {gateway.url}/metastudio (List answered 400 "
                       "MSS.00010003 API not found): check --target: the API's paths begin "
                       "with /v1 right after /metastudio; is it part of the base URL?")


def test_a_secret_echoed_by_the_target_is_not_repeated():
    def echoes(conn, listener):
        request = hostile.read_request(conn, listener)
        token = request.headers.get("x-auth-token", "")
        conn.sendall(hostile.json_answer("401 Unauthorized", error("MSS.00000001",
                                                                   f"bad token {token}")))

    with hostile.serving(echoes) as listener:
        problem = _problem(Settings(target=listener.url, project_id="p",
                                    token="sekrit-token-42"))
    assert "sekrit-token-42" not in problem and "bad token [redacted]" in problem, problem


# The CLI: exit 2, the one line, and nothing else: no pytest, no results.
def _assert_only_line(result, line: str) -> None:
    assert result.code == 2, result.stderr + result.stdout[-2000:]
    assert result.stderr.strip() == "metastudio-conformance: " + line, result.stderr
    assert result.stdout == ""
    assert not (result.report_dir / "results.json").exists()


def test_a_wrong_token_is_exit_2_with_one_line(server_factory, tmp_path):
    server = server_factory("--token", "the-right-token")
    result = run_cli([*server.run_args(), "--max-examples", "2"], tmp_path / "reports",
                     env={"METASTUDIO_TOKEN": "a-wrong-token"}, timeout=60)
    _assert_only_line(result, "credentials refused by the target (List answered 401 "
                      "MSS.00000001 Unauthorized: invalid X-Auth-Token): check "
                      "METASTUDIO_TOKEN")


def test_a_base_url_ending_in_v1_is_exit_2(server_factory, tmp_path):
    server = server_factory()
    args = server.run_args()
    args[args.index(server.url)] = server.url + "/v1"
    result = run_cli([*args, "--max-examples", "2"], tmp_path / "reports", env=server.env(),
                     timeout=60)
    _assert_only_line(result, f"no MetaStudio API under {server.url}/v1 (List answered 400 "
                      "MSS.00010003 API not found): give the base URL without /v1")


def test_cleanup_refuses_a_wrong_secret_key_with_exit_2(server_factory, tmp_path):
    server = server_factory()
    result = run_cli(["cleanup", "--run-id", "msc-x", "--target", server.url, "--project-id",
                      server.project_id], tmp_path / "reports",
                     env={"METASTUDIO_AK": server.ak, "METASTUDIO_SK": "wrong"}, timeout=60)
    assert result.code == 2, result.stderr
    assert re.fullmatch(r"metastudio-conformance: credentials refused by the target \(List "
                        r"answered 401 .*\): check METASTUDIO_AK and METASTUDIO_SK\n",
                        result.stderr), result.stderr
    assert result.stdout == ""
