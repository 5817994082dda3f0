"""The one table of settings: every setting of a run, written once.

From it come the `run` command's options (`cli.py`), the pytest entry point's options
(`pytest_entry.py`), the profile keys, the environment variables and how each value is
read (`config.py`), the fields of `config.Settings`, the replay line (`context.py`) and
the README's settings table:

    python -m metastudio_conformance.settings_table --markdown

A row added here appears in all of them; tests/test_settings_table.py proves they agree.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

ENV_PREFIX = "METASTUDIO_"


class Kind(Enum):
    """How a value is read from a profile, a variable or an option (`config` parses it)."""

    TEXT = "text"
    INTEGER = "integer"
    SECONDS = "seconds"
    SWITCH = "true or false"
    PATH = "path"
    FILE = "existing file"
    TLS = "true, false or a CA bundle"

    @property
    def python_type(self) -> Any:
        return {Kind.TEXT: str, Kind.INTEGER: int, Kind.SECONDS: float, Kind.SWITCH: bool,
                Kind.PATH: Path, Kind.FILE: Path, Kind.TLS: bool | Path}[self]

    @property
    def argparse_type(self) -> Any:
        """The CLI parses numbers itself (argparse's own message); `config` does the rest."""
        return {Kind.INTEGER: int, Kind.SECONDS: float}.get(self)


class Replay(Enum):
    """Whether the replay line repeats a setting: it repeats what decides which tests run
    and on which jobs, whichever source set it; secrets come from the environment or the
    profile again."""

    NEVER = ""
    GIVEN = "yes"  # when set by the command line, the environment or a profile
    ALWAYS = "always"  # the run's own value, given or not (a seed is drawn otherwise)


@dataclass(frozen=True)
class Option:
    """One command-line spelling of a setting."""

    flag: str
    const: Any = None  # store this instead of taking a value (`--no-control`: False)
    metavar: str | None = None
    help: str | None = None  # its own help; otherwise the setting's meaning


@dataclass(frozen=True)
class Setting:
    """One row of the table."""

    key: str  # the profile key and the field of `Settings`
    kind: Kind
    meaning: str  # one line of Markdown: the README's and (plain) the --help text
    default: Any = None
    options: tuple[Option, ...] = ()  # none: environment and profile only
    choices: tuple[str, ...] | None = None
    positive: bool = False  # a count of at least 1, or a finite number of seconds above 0
    secret: bool = False  # never printed, never replayed, warned about on a command line
    credential: bool = False  # pytest entry point: from the environment or profile only
    replay: Replay = Replay.NEVER
    in_profile: bool = True  # False: only says where the profile is (not a Settings field)
    pytest_own: str | None = None  # pytest's own option carries it (its dest), not ours

    @property
    def env(self) -> str:
        return ENV_PREFIX + self.key.upper()

    @property
    def named(self) -> str:
        """How a person gives it, in messages: its option, else its variable."""
        return next((o.flag for o in self.options if o.flag.startswith("--")), self.env)

    @property
    def pytest_options(self) -> tuple[Option, ...]:
        """The options `pytest --pyargs metastudio_conformance.suite` adds for it."""
        if self.credential or self.pytest_own:
            return ()
        return tuple(o for o in self.options if o.flag.startswith("--"))

    def help(self, option: Option, text: str | None = None) -> str:
        text = text or option.help or self.meaning.replace("`", "")
        where = f"prefer {self.env}" if self.secret else self.env
        return f"{text} [{where}]".replace("%", "%%")  # argparse formats help with %

    def argparse_arguments(self, option: Option, *, dest: str, typed: bool = True,
                           help: str | None = None) -> dict[str, Any]:
        """add_argument's keywords for one option; `typed=False` leaves every check to
        `config` (the pytest entry point, whose usage errors are config's one line)."""
        arguments: dict[str, Any] = {"dest": dest, "default": None,
                                     "help": self.help(option, help)}
        if option.const is not None:
            return {**arguments, "action": "store_const", "const": option.const}
        arguments["metavar"] = option.metavar or self.key.upper()
        if typed and self.kind.argparse_type:
            arguments["type"] = self.kind.argparse_type
        if typed and self.choices:
            arguments["choices"] = self.choices
        return arguments

    def command_line(self, value: Any) -> list[str]:
        """The words that give `value` on the command line; none for no value."""
        if value is None:
            return []
        for option in self.options:
            if option.const is None:
                return [option.flag, f"{value:g}" if isinstance(value, float) else str(value)]
        return next(([o.flag] for o in self.options
                     if o.const == value and type(o.const) is type(value)), [])


SETTINGS: tuple[Setting, ...] = (
    Setting("profile", Kind.TEXT, "YAML profile with any of the settings, by profile key",
            options=(Option("--profile", metavar="FILE"),), replay=Replay.GIVEN,
            in_profile=False),
    Setting("target", Kind.TEXT, "base URL; none = start the bundled reference server",
            options=(Option("--target", metavar="URL"),), replay=Replay.GIVEN),
    Setting("project_id", Kind.TEXT, "project of the jobs under test",
            options=(Option("--project-id", metavar="ID"),), replay=Replay.GIVEN),
    Setting("token", Kind.TEXT, "IAM token (`X-Auth-Token`)",
            options=(Option("--token"),), secret=True, credential=True),
    Setting("ak", Kind.TEXT, "access key of AK/SK authentication (signed by "
            "`huaweicloudsdkcore`); needs `sk`", options=(Option("--ak"),), credential=True),
    Setting("sk", Kind.TEXT, "secret key of AK/SK authentication; needs `ak`",
            options=(Option("--sk"),), secret=True, credential=True),
    Setting("tenant", Kind.TEXT, "`standard` (default) or `na` (whitelisted)",
            default="standard", options=(Option("--tenant", metavar="standard|na"),),
            choices=("standard", "na"), replay=Replay.GIVEN),
    Setting("na_project_id", Kind.TEXT, "an NA-whitelisted project, for the NA-only rules",
            options=(Option("--na-project-id", metavar="ID"),), replay=Replay.GIVEN),
    Setting("other_project_id", Kind.TEXT, "a second project of the same credentials, for "
            "isolation (AUTH-03)", options=(Option("--other-project-id", metavar="ID"),),
            replay=Replay.GIVEN),
    Setting("model", Kind.PATH, "lifecycle model profile: a file, or `reference` (the "
            "default) or `strict`; one given makes model rules count",
            options=(Option("--model"),), replay=Replay.GIVEN),
    Setting("inventory", Kind.PATH, "YAML of existing jobs per state, for targets without "
            "the control interface", options=(Option("--inventory", metavar="FILE"),),
            replay=Replay.GIVEN),
    Setting("seed", Kind.INTEGER, "makes a run repeatable (a random one is printed "
            "otherwise)", options=(Option("--seed"),), replay=Replay.ALWAYS),
    Setting("max_examples", Kind.INTEGER, "examples per property test (40; 10 on a "
            "non-loopback target)", default=40, options=(Option("--max-examples", metavar="N"),),
            positive=True, replay=Replay.GIVEN),
    Setting("shrink", Kind.SWITCH, "shrink a failing generated example to a minimal one "
            "before reporting it (`--no-shrink`: report it as found, sooner)", default=True,
            options=(Option("--no-shrink", const=False,
                            help="report a failing generated example as found, unshrunk"),),
            replay=Replay.GIVEN),
    Setting("control", Kind.SWITCH, "use the test-control interface (auto-detected)",
            options=(Option("--no-control", const=False,
                            help="never use the test-control interface"),),
            replay=Replay.GIVEN),
    Setting("report_dir", Kind.PATH, "where reports go (`conformance-reports/latest`)",
            default=Path("conformance-reports/latest"),
            options=(Option("--report-dir", metavar="DIR"),),
            replay=Replay.GIVEN),
    Setting("request_timeout", Kind.SECONDS, "seconds per request (10): connecting, sending "
            "and the whole answer, in total", default=10.0, positive=True),
    Setting("max_answer_bytes", Kind.INTEGER, "the largest answer read, in bytes after "
            "decoding (8 MiB); a larger one is cut there, never inflated whole",
            default=8 * 1024 * 1024,
            options=(Option("--max-answer-bytes", metavar="BYTES"),), positive=True),
    Setting("rate_limit", Kind.TEXT, "client-side rate, e.g. `5/s` (none on loopback, 5/s "
            "elsewhere); 429 with `Retry-After` is always honoured",
            options=(Option("--rate-limit", metavar="RATE"),)),
    Setting("max_time", Kind.SECONDS, "time budget in seconds (1800), a hard bound: the "
            "test in flight is cut, tests past it are reported not-run", default=1800.0,
            options=(Option("--max-time", metavar="SECONDS"),), positive=True,
            replay=Replay.GIVEN),
    Setting("allow_writes", Kind.SWITCH, "let the run create, command and delete jobs on a "
            "non-loopback target", options=(Option("--allow-writes", const=True),),
            replay=Replay.GIVEN),
    Setting("max_requests", Kind.INTEGER, "request budget of the tests (800 on a rate-limited "
            "target, else none): every requirement's first case is sent before any second, "
            "and tests past it are reported not-run; cleanup is not counted",
            options=(Option("--max-requests", metavar="N"),), positive=True,
            replay=Replay.GIVEN),
    Setting("settle_time", Kind.SECONDS, "seconds to wait, once, for the run's moved jobs to "
            "leave a transient state by themselves (a real service reviews a video and fails "
            "or accepts it); Show polled within the rate limit (none: never wait)",
            options=(Option("--settle-time", metavar="SECONDS"),), positive=True,
            replay=Replay.GIVEN),
    Setting("silent_rounds", Kind.INTEGER, "times each silent point's pair is sent "
            "(docs/silent-points.md): a target that answers one of them two ways is then "
            "recorded `either` by `learn` (none: once; `learn`: 3)",
            options=(Option("--silent-rounds", metavar="N"),), positive=True,
            replay=Replay.GIVEN),
    Setting("max_live_jobs", Kind.INTEGER, "jobs of the run alive at once per project (none "
            "on loopback, 20 elsewhere): older deletable ones are deleted first",
            options=(Option("--max-live-jobs", metavar="N"),), positive=True),
    Setting("disposable", Kind.SWITCH, "the profile says the target's data may be destroyed "
            "(writes allowed)", default=False),
    Setting("strict_model", Kind.SWITCH, "departures from the lifecycle model (MOD-*, "
            "RSP-05) fail the run (otherwise they are deviations)", default=False,
            options=(Option("--strict-model", const=True),), replay=Replay.GIVEN),
    Setting("require_full_coverage", Kind.SWITCH, "a `partial` or `not-covered` documented "
            "requirement fails the run (exit 1): every case of every requirement must be "
            "tried, as for a certificate", default=False,
            options=(Option("--require-full-coverage", const=True),), replay=Replay.GIVEN),
    Setting("full_matrix", Kind.SWITCH, "the NA tenant's command matrix sends every command "
            "in every state, not only the NA-only ones",
            default=False, options=(Option("--full-matrix", const=True),),
            replay=Replay.GIVEN),
    Setting("tls_verify", Kind.TLS, "`true` (default), `false`, or the path of a CA bundle "
            "for a private or self-signed CA (as schemathesis spells it; "
            "`REQUESTS_CA_BUNDLE` also works)", default=True,
            options=(Option("--tls-verify", metavar="true|false|PATH"),)),
    Setting("client_cert", Kind.FILE, "a PEM file with the client certificate and key, for "
            "mutual TLS", options=(Option("--client-cert", metavar="PEM"),)),
    Setting("max_failures", Kind.INTEGER, "stop after N failing tests (`-x`: 1); the tests "
            "not reached are reported not-covered with that reason",
            options=(Option("--max-failures", metavar="N"),
                     Option("-x", const=1, help="stop at the first failing test "
                            "(--max-failures 1)")),
            positive=True, replay=Replay.GIVEN, pytest_own="maxfail"),
    Setting("workers", Kind.INTEGER, "test processes on this machine (1)", default=1,
            options=(Option("--workers", metavar="N"),), positive=True, replay=Replay.GIVEN,
            pytest_own="numprocesses"),
    Setting("shard", Kind.TEXT, "`i/N`: run only the i-th of N parts of the tests; "
            "`metastudio-conformance merge` joins the parts",
            options=(Option("--shard", metavar="i/N"),), replay=Replay.GIVEN),
)

BY_KEY = {setting.key: setting for setting in SETTINGS}
PROFILE = BY_KEY["profile"]
PROFILE_KEYS = tuple(setting.key for setting in SETTINGS if setting.in_profile)
SECRETS = tuple(setting.key for setting in SETTINGS if setting.secret)


def add_options(parser: argparse.ArgumentParser, keys: tuple[str, ...] | None = None,
                helps: dict[str, str] | None = None) -> None:
    """The command-line options of these settings (all by default) on an argparse parser;
    `helps` words a setting for this command (cleanup's target is the run's, not none)."""
    for setting in (BY_KEY[key] for key in keys) if keys else SETTINGS:
        for option in setting.options:
            parser.add_argument(option.flag, **setting.argparse_arguments(
                option, dest=setting.key, help=(helps or {}).get(setting.key)))


def markdown() -> str:
    """The README's settings table."""
    rows = ["| profile key | variable | option | replay | meaning |", "|---|---|---|---|---|"]
    for setting in SETTINGS:
        key = f"`{setting.key}`" if setting.in_profile else ""
        options = ", ".join(f"`{option.flag}`" for option in setting.options)
        replay = "never: secret" if setting.secret else setting.replay.value
        rows.append(f"| {key} | `{setting.env}` | {options} | {replay} | {setting.meaning} |")
    return "\n".join(rows) + "\n"


if __name__ == "__main__":
    if sys.argv[1:] != ["--markdown"]:
        sys.exit("usage: python -m metastudio_conformance.settings_table --markdown")
    print(markdown(), end="")
