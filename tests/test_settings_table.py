"""The one table of settings and everything made of it agree: the `run` options, the pytest
entry point's options, the variables, the profile keys, `Settings`, the replay line and the
README. In-process: argparse and config calls, no CLI subprocess."""

from __future__ import annotations

import difflib
import re
import shlex
from dataclasses import fields, replace
from pathlib import Path

import pytest
import yaml
from _pytest.config.argparsing import Parser

from metastudio_conformance import cli, config, pytest_entry
from metastudio_conformance.context import RunContext
from metastudio_conformance.settings_table import SETTINGS, Replay, markdown

README = Path(__file__).resolve().parents[1] / "README.md"
# What a valid run needs around the setting under test (AK/SK and a token: either one may
# be the setting under test, and the other still makes the credentials complete).
AROUND_KEYS = {"project_id": "p0", "token": "t0", "ak": "a0", "sk": "s0"}
AROUND = {f"METASTUDIO_{key.upper()}": value for key, value in AROUND_KEYS.items()}
A_FILE = str(Path(__file__).resolve())
# One value for every setting, as text (as a variable or an option gives it), and what it
# becomes in Settings.
SAMPLES = {
    "profile": ("profile.yaml", None),  # not a Settings field: see test_the_profile_is_found
    "target": ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
    "project_id": ("proj-1", "proj-1"),
    "token": ("tok-1", "tok-1"),
    "ak": ("AK1", "AK1"),
    "sk": ("SK1", "SK1"),
    "tenant": ("na", "na"),
    "na_project_id": ("na-1", "na-1"),
    "other_project_id": ("other-1", "other-1"),
    "model": ("strict", Path("strict")),
    "inventory": ("inventory.yaml", Path("inventory.yaml")),
    "seed": ("7", 7),
    "max_examples": ("3", 3),
    "control": ("false", False),
    "report_dir": ("out", Path("out")),
    "request_timeout": ("2.5", 2.5),
    "max_answer_bytes": ("65536", 65536),
    "rate_limit": ("2/s", "2/s"),
    "max_time": ("60", 60.0),
    "settle_time": ("30", 30.0),
    "silent_rounds": ("3", 3),
    "max_requests": ("500", 500),
    "allow_writes": ("true", True),
    "max_live_jobs": ("4", 4),
    "disposable": ("yes", True),
    "strict_model": ("1", True),
    "require_full_coverage": ("1", True),
    "full_matrix": ("true", True),
    "shrink": ("false", False),
    "tls_verify": ("false", False),
    "client_cert": (A_FILE, Path(A_FILE)),
    "max_failures": ("2", 2),
    "workers": ("2", 2),
    "shard": ("2/3", "2/3"),
}
IN_PROFILE = [s for s in SETTINGS if s.in_profile]
WITH_OPTIONS = [(s, o) for s in SETTINGS for o in s.options]


def _id(item) -> str:
    setting, option = item if isinstance(item, tuple) else (item, None)
    return f"{setting.key}:{option.flag}" if option else setting.key


def test_every_setting_has_a_sample_value():
    assert set(SAMPLES) == {s.key for s in SETTINGS}


def test_settings_fields_are_the_tables_profile_keys_then_the_runs_own():
    names = [item.name for item in fields(config.Settings)]
    assert names == [s.key for s in IN_PROFILE] + ["profile", "given", "run_id", "bundled",
                                                   "suite_args"]
    defaults = {item.name: item.default for item in fields(config.Settings)}
    assert {s.key: s.default for s in IN_PROFILE} == {s.key: defaults[s.key] for s in IN_PROFILE}


def test_the_readme_table_is_the_tables():
    lines = README.read_text(encoding="utf-8").splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("| profile key"))
    end = next(i for i in range(header, len(lines)) if not lines[i].startswith("|"))
    found, expected = lines[header:end], markdown().splitlines()
    diff = "\n".join(difflib.unified_diff(found, expected, "README.md", "settings_table",
                                          lineterm=""))
    assert found == expected, ("regenerate the README's table with `python -m "
                               "metastudio_conformance.settings_table --markdown`:\n" + diff)


@pytest.mark.parametrize("setting", IN_PROFILE, ids=_id)
def test_the_variable_is_read(setting):
    text, value = SAMPLES[setting.key]
    assert config.from_environment({setting.env: text}) == {setting.key: text}
    settings = config.resolve({}, {**AROUND, setting.env: text})
    assert getattr(settings, setting.key) == value


@pytest.mark.parametrize("setting", IN_PROFILE, ids=_id)
def test_the_profile_key_is_accepted(setting, tmp_path):
    text, value = SAMPLES[setting.key]
    profile = tmp_path / "profile.yaml"
    profile.write_text(yaml.safe_dump({**AROUND_KEYS, setting.key: text}))
    settings = config.resolve({"profile": str(profile)}, {})
    assert getattr(settings, setting.key) == value


def test_the_profile_is_found_by_option_and_by_variable(tmp_path):
    profile = tmp_path / "profile.yaml"
    profile.write_text("max_examples: 5\n")
    assert config.resolve({"profile": str(profile)}, {}).max_examples == 5
    assert config.resolve({}, {"METASTUDIO_PROFILE": str(profile)}).max_examples == 5


def _run_args(setting, option) -> list[str]:
    return [option.flag] if option.const is not None else [option.flag, SAMPLES[setting.key][0]]


def _given(setting, option) -> dict:
    return vars(cli.build_parser().parse_args(["run", *_run_args(setting, option)]))


@pytest.mark.parametrize(("setting", "option"), WITH_OPTIONS, ids=map(_id, WITH_OPTIONS))
def test_the_run_option_is_in_the_help_and_sets_the_setting(setting, option, capsys):
    with pytest.raises(SystemExit):
        cli.main(["run", "--help"])
    assert re.search(rf"^\s+{re.escape(option.flag)}\b", capsys.readouterr().out, re.M)
    given = _given(setting, option)
    if setting.in_profile:
        expected = option.const if option.const is not None else SAMPLES[setting.key][1]
        assert getattr(config.resolve(given, AROUND), setting.key) == expected


@pytest.mark.parametrize("setting", SETTINGS, ids=_id)
def test_the_pytest_option_exists_unless_pytest_or_the_environment_says_it(setting,
                                                                            pytestconfig):
    parser = Parser(_ispytest=True)
    pytest_entry.pytest_addoption(parser)
    for option in setting.pytest_options:
        given = pytest_entry.given_options(
            vars(parser.parse_known_args(_run_args(setting, option))).get)
        expected = option.const if option.const is not None else SAMPLES[setting.key][0]
        assert given[setting.key] == expected
    if setting.options and not setting.pytest_options and not setting.credential:
        pytestconfig.getoption(setting.pytest_own)  # pytest's own option: ValueError if none


def _replay(settings) -> list[str]:
    """The replay line's words, checked to start with the seed and to name no secret."""
    words = shlex.split(RunContext(replace(settings, seed=11), model=None).replay)
    assert words[:4] == ["metastudio-conformance", "run", "--seed", "11"]
    secrets = {AROUND_KEYS[s.key] for s in SETTINGS if s.secret and s.key in AROUND_KEYS}
    assert not secrets & set(words), words
    return words


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    """A folder with the sample profile (an empty one) and inventory in it."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / SAMPLES["profile"][0]).write_text("{}\n")
    return tmp_path


@pytest.mark.parametrize(("setting", "option"), WITH_OPTIONS, ids=map(_id, WITH_OPTIONS))
def test_the_replay_repeats_what_the_table_says(setting, option, in_tmp):
    given = _given(setting, option)
    replay = _replay(config.resolve(given, AROUND))
    again = vars(cli.build_parser().parse_args(replay[1:]))
    if setting.replay is Replay.GIVEN:
        assert again[setting.key] == given[setting.key], replay
    elif setting.replay is Replay.NEVER:
        assert again[setting.key] is None, replay
        assert SAMPLES[setting.key][0] not in replay[4:]
    assert not setting.secret or setting.replay is Replay.NEVER


REPLAYED_IN_PROFILE = [s for s in IN_PROFILE if s.replay is Replay.GIVEN]


@pytest.mark.parametrize("source", ["environment", "profile"])
@pytest.mark.parametrize("setting", REPLAYED_IN_PROFILE, ids=_id)
def test_a_setting_from_the_environment_or_a_profile_is_replayed(setting, source, in_tmp):
    text = SAMPLES[setting.key][0]
    if source == "environment":
        settings = config.resolve({}, {**AROUND, setting.env: text})
    else:
        (in_tmp / "p.yaml").write_text(yaml.safe_dump({**AROUND_KEYS, setting.key: text}))
        settings = config.resolve({}, {"METASTUDIO_PROFILE": "p.yaml"})
    replay = _replay(settings)
    again = config.resolve(vars(cli.build_parser().parse_args(replay[1:])), AROUND)
    assert getattr(again, setting.key) == getattr(settings, setting.key), replay
    assert setting.named in replay
    if source == "profile":  # the profile too, so its secrets are read again
        assert replay[replay.index("--profile") + 1] == "p.yaml"


def test_the_bundled_servers_own_target_is_not_replayed():
    settings = replace(config.resolve({}, {}), target="http://127.0.0.1:36359", bundled=True)
    replay = _replay(settings)
    assert "--target" not in replay and "--project-id" not in replay, replay


@pytest.mark.parametrize("source", ["command line", "environment", "profile"])
def test_secrets_are_never_replayed(source, in_tmp):
    secrets = {"token": "SECRET-TOKEN", "sk": "SECRET-SK"}
    values = {**secrets, "ak": "AK-1", "project_id": "p0", "target": "https://m.example.com"}
    if source == "command line":
        settings = config.resolve(values, {})
    elif source == "environment":
        settings = config.resolve({}, {f"METASTUDIO_{k.upper()}": v for k, v in values.items()})
    else:
        (in_tmp / "p.yaml").write_text(yaml.safe_dump(values))
        settings = config.resolve({"profile": "p.yaml"}, {})
    replay = " ".join(_replay(settings))
    assert "--target https://m.example.com --project-id p0" in replay
    assert not any(secret in replay for secret in secrets.values()), replay
    assert "--token" not in replay and "--sk" not in replay and "--ak" not in replay
