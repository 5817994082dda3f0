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
