"""Settings: precedence, validation, redaction."""

from __future__ import annotations

import pytest

from metastudio_conformance import config


def test_command_line_over_environment_over_profile(tmp_path):
    profile = tmp_path / "p.yaml"
    profile.write_text("target: http://file.example\nproject_id: fromfile\ntoken: t1\n"
                       "tenant: na\nmax_examples: 7\n")
    env = {"METASTUDIO_TARGET": "http://env.example", "METASTUDIO_TOKEN": "t2"}
    settings = config.resolve({"profile": str(profile), "token": "t3"}, env)
    assert settings.target == "http://env.example"
    assert settings.token == "t3"
    assert settings.project_id == "fromfile"
    assert settings.tenant == "na"
    assert settings.max_examples == 7


@pytest.mark.parametrize(
    ("cli", "profile_text", "message"),
    [
        ({"target": "not a url", "project_id": "p", "token": "t"}, None, "is not a URL"),
        ({"target": "ftp://x", "project_id": "p", "token": "t"}, None, "is not a URL"),
        ({"target": "http://x:99999", "project_id": "p", "token": "t"}, None, "invalid port"),
        ({"target": "http://x", "token": "t"}, None, "--project-id is required"),
        ({"target": "http://x", "project_id": "p"}, None, "no credentials"),
        ({"target": "http://x", "project_id": "p", "ak": "a"}, None, "--sk"),
        ({}, "tenant: martian\n", "tenant must be one of"),
        ({}, "colour: blue\n", "unknown key(s) colour"),
        ({}, "- a\n- b\n", "must be a mapping"),
        ({}, "target: [unclosed\n", "not valid YAML"),
        ({}, "max_examples: lots\n", "invalid value"),
    ],
)
def test_bad_configuration_is_one_clear_error(tmp_path, cli, profile_text, message):
    if profile_text is not None:
        path = tmp_path / "profile.yaml"
        path.write_text(profile_text)
        cli = {**cli, "profile": str(path)}
    with pytest.raises(config.ConfigError) as raised:
        config.resolve(cli, {})
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)


def test_missing_profile_is_a_config_error(tmp_path):
    with pytest.raises(config.ConfigError, match="does not exist"):
        config.resolve({"profile": str(tmp_path / "nope.yaml")}, {})


def test_public_settings_hide_secrets():
    settings = config.validate({"target": "http://x", "project_id": "p", "ak": "AKID",
                                "sk": "SECRET-SK", "token": "SECRET-TOKEN"})
    shown = repr(settings.public())
    assert "SECRET" not in shown
    assert "AKID" in shown


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"max_time": "-5"}, "max_time (--max-time) must be a positive number of seconds, not -5"),
        ({"max_time": "0"}, "max_time (--max-time) must be a positive number of seconds, not 0"),
        ({"max_time": "nan"}, "max_time (--max-time) must be a positive number of seconds, "
                              "not nan"),
        ({"max_time": "inf"}, "max_time (--max-time) must be a positive number of seconds, "
                              "not inf"),
        ({"request_timeout": "0"}, "request_timeout (METASTUDIO_REQUEST_TIMEOUT) must be a "
                                   "positive number of seconds, not 0"),
        ({"request_timeout": "-1e400"}, "request_timeout (METASTUDIO_REQUEST_TIMEOUT) must be a "
                                        "positive number of seconds, not -inf"),
        ({"max_examples": "0"}, "max_examples (--max-examples) must be at least 1, not 0"),
        ({"max_live_jobs": "-3"}, "max_live_jobs (--max-live-jobs) must be at least 1, not -3"),
        ({"max_examples": float("inf")}, "setting max_examples has an invalid value inf"),
    ],
)
def test_budgets_and_counts_must_be_positive(values, message):
    # Non-positive ones would turn a run into nothing (-5 s: every test not covered, exit
    # 0) or into one that never ends (inf); they are usage errors, one line, exit 2.
    with pytest.raises(config.ConfigError) as raised:
        config.validate(values)
    assert str(raised.value) == message


def test_positive_budgets_are_kept():
    settings = config.validate({"max_time": "0.5", "request_timeout": "2", "max_examples": "1",
                                "max_live_jobs": "1"})
    assert (settings.max_time, settings.request_timeout, settings.max_examples,
            settings.max_live_jobs) == (0.5, 2.0, 1, 1)
