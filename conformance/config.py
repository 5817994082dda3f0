"""Run settings: command line over environment over profile file, validated up front.

Every problem becomes a `ConfigError` with one line that says what is wrong and how to fix
it; the CLI turns it into exit code 2.
"""

from __future__ import annotations

import ipaddress
import math
import os
import re
from dataclasses import field, fields, make_dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from metastudio_conformance.settings_table import (
    BY_KEY,
    PROFILE,
    PROFILE_KEYS,
    SECRETS,
    SETTINGS,
    Kind,
)

TENANTS = BY_KEY["tenant"].choices
_PROJECT_ID = re.compile(r"^[0-9A-Za-z_-]{1,64}$")


class ConfigError(Exception):
    """A usage or configuration problem, reported as one line with exit code 2."""


class _Derived:
    """What follows from a run's settings (the methods of `Settings`)."""

    @property
    def is_loopback(self) -> bool:
        return self.target is None or _is_loopback(urlsplit(self.target).hostname or "")

    @property
    def writes_allowed(self) -> bool:
        return self.is_loopback or bool(self.allow_writes) or self.disposable

    def rate_per_second(self) -> float | None:
        return _parse_rate(self.rate_limit) if self.rate_limit else None

    @property
    def verify(self) -> bool | str:
        """requests' `verify`: True, False, or the CA bundle's path."""
        return str(self.tls_verify) if isinstance(self.tls_verify, Path) else self.tls_verify

    @property
    def cert(self) -> str | None:
        return str(self.client_cert) if self.client_cert else None

    @property
    def auth_kind(self) -> str:
        if self.ak:
            return "aksk"
        return "token" if self.token else "none"

    def public(self) -> dict[str, Any]:
        """The settings fit for artifacts: secrets replaced, never printed."""
        shown = {}
        for item in fields(self):
            value = getattr(self, item.name)
            if item.name in SECRETS and value:
                value = "[redacted]"
            shown[item.name] = str(value) if isinstance(value, Path) else value
        shown.pop("suite_args")
        return shown


def _field(setting) -> tuple[str, Any, Any]:
    python_type = setting.kind.python_type
    return (setting.key, python_type | None if setting.default is None else python_type,
            field(default=setting.default))


# One field per profile key of the settings table, then what the run adds to them.
Settings = make_dataclass(
    "Settings",
    [*(_field(setting) for setting in SETTINGS if setting.in_profile),
     ("profile", Path | None, field(default=None)),  # the profile read, if any
     # The keys the command line, the environment or the profile set: what the replay
     # line repeats (a default, or the bundled server's own target, is not among them).
     ("given", tuple[str, ...], field(default=())),
     ("run_id", str | None, field(default=None)),  # tags what this run creates; set by the CLI
     ("bundled", bool, field(default=False)),  # the target is the server this run started
     ("suite_args", tuple[str, ...], field(default=()))],
    bases=(_Derived,), frozen=True, namespace={"__module__": __name__},
)
Settings.__doc__ = "A run's settings: one field per profile key of `settings_table`."

_KEYS = set(PROFILE_KEYS)


def load_profile(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a YAML profile; unknown keys and malformed files are configuration errors."""
    profile = Path(path)
    try:
        data = yaml.safe_load(profile.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"profile {profile} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"profile {profile} cannot be read: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise ConfigError(f"profile {profile} is not valid YAML{where}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"profile {profile} must be a mapping of settings, not a list or text")
    keys = {str(key).replace("-", "_"): value for key, value in data.items()}
    unknown = sorted(set(keys) - _KEYS)
    if unknown:
        raise ConfigError(
            f"profile {profile} has unknown key(s) {', '.join(unknown)}; "
            f"known keys: {', '.join(sorted(_KEYS))}"
        )
    return keys


def from_environment(environ: dict[str, str] | None = None) -> dict[str, Any]:
    environ = os.environ if environ is None else environ
    found = {}
    for key in PROFILE_KEYS:
        value = environ.get(BY_KEY[key].env)
        if value not in (None, ""):
            found[key] = value
    return found


def resolve(cli: dict[str, Any], environ: dict[str, str] | None = None) -> Settings:
    """Merge the three sources (command line over environment over profile) and validate."""
    environ = os.environ if environ is None else environ
    profile_path = cli.get(PROFILE.key) or environ.get(PROFILE.env)
    merged: dict[str, Any] = load_profile(profile_path) if profile_path else {}
    merged.update(from_environment(environ))
    merged.update({key: value for key, value in cli.items() if key in _KEYS and value is not None})
    given = (PROFILE.key,) * bool(profile_path) + tuple(merged)
    return replace(validate(merged), given=given,
                   profile=Path(profile_path) if profile_path else None)


def validate(values: dict[str, Any]) -> Settings:
    settings = Settings(**{key: _coerce(key, value) for key, value in values.items()})
    if settings.target is not None:
        settings = replace(settings, target=_check_url(settings.target))
        if not settings.project_id:
            raise ConfigError(
                "--project-id is required with --target (or METASTUDIO_PROJECT_ID, or "
                "project_id in the profile)"
            )
        if settings.auth_kind == "none":
            raise ConfigError(
                "no credentials for the target: give --token, or --ak with --sk (or "
                "METASTUDIO_TOKEN / METASTUDIO_AK and METASTUDIO_SK)"
            )
    for name in ("project_id", "na_project_id", "other_project_id"):
        value = getattr(settings, name)
        if value is not None and not _PROJECT_ID.match(value):
            raise ConfigError(f"{name} {value!r} is not a valid project id")
    if bool(settings.ak) != bool(settings.sk):
        missing = "--sk (METASTUDIO_SK)" if settings.ak else "--ak (METASTUDIO_AK)"
        raise ConfigError(f"AK/SK authentication needs both keys: {missing} is missing")
    if settings.tenant not in TENANTS:
        raise ConfigError(f"tenant must be one of {', '.join(TENANTS)}, not {settings.tenant!r}")
    _check_budgets(settings)
    if settings.shard is not None:
        settings = replace(settings, shard="{}/{}".format(*shard_of(settings.shard)))
    if settings.rate_limit is not None:
        _parse_rate(settings.rate_limit)
    if not settings.is_loopback:  # shared targets get conservative defaults
        conservative = {"max_examples": 10, "rate_limit": "5/s", "max_live_jobs": 20}
        settings = replace(settings, **{k: v for k, v in conservative.items()
                                        if k not in values})
    if settings.rate_limit is not None and "max_requests" not in values:
        settings = replace(settings, max_requests=DEFAULT_REQUEST_BUDGET)  # ~3 min at 5/s
    return settings


DEFAULT_REQUEST_BUDGET = 800  # a rate-limited target's (issue 19: at 5/s, a run in 3.5 min)


def _check_budgets(settings: Settings) -> None:
    """Budgets and counts must be positive: zero, negative, NaN or infinite ones would turn
    a run into nothing (every test not covered) or into one that never ends."""
    for setting in SETTINGS:
        value = getattr(settings, setting.key) if setting.positive else None
        if value is None:
            continue
        if setting.kind is Kind.INTEGER and value < 1:
            raise ConfigError(f"{setting.key} ({setting.named}) must be at least 1, "
                              f"not {value}")
        if setting.kind is Kind.SECONDS and not (math.isfinite(value) and value > 0):
            raise ConfigError(f"{setting.key} ({setting.named}) must be a positive number "
                              f"of seconds, not {value:g}")


def shard_of(text: str) -> tuple[int, int]:
    """(i, N) of a shard given as "i/N", 1 <= i <= N."""
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", str(text))
    if not match or not 1 <= int(match.group(1)) <= int(match.group(2)):
        raise ConfigError(f"shard {text!r} is not like 1/3 (the i-th of N parts, 1 <= i <= N)")
    return int(match.group(1)), int(match.group(2))


def _parse_rate(text: str) -> float:
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*/\s*(s|sec|second|m|min|minute)\s*", str(text))
    if not match or float(match.group(1)) <= 0:
        raise ConfigError(f"rate limit {text!r} is not like 5/s or 120/min")
    per = 60.0 if match.group(2).startswith("m") else 1.0
    return float(match.group(1)) / per


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


_SWITCH = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}


def _coerce(key: str, value: Any) -> Any:
    """A value as its setting's kind reads it (profile values may already be typed)."""
    kind = BY_KEY[key].kind
    try:
        if kind is Kind.INTEGER:
            return int(value)
        if kind is Kind.SECONDS:
            return float(value)
        if kind is Kind.SWITCH:
            return value if isinstance(value, bool) else _SWITCH[str(value).lower()]
        if kind is Kind.PATH:
            return Path(value)
        if kind is Kind.TLS:
            return _tls_verify(value)
        if kind is Kind.FILE:
            return _existing_file(key, value)
    except (ValueError, KeyError, TypeError, OverflowError):  # int(inf) overflows
        raise ConfigError(f"setting {key} has an invalid value {value!r}") from None
    if value is not None and not isinstance(value, str):
        raise ConfigError(f"setting {key} must be text, not {type(value).__name__}")
    return value


def _tls_verify(value: Any) -> bool | Path:
    """true, false, or the path of a CA bundle (as schemathesis' --tls-verify)."""
    if isinstance(value, bool):
        return value
    if str(value).lower() in _SWITCH:
        return _SWITCH[str(value).lower()]
    return _existing_file("tls_verify", value)


def _existing_file(key: str, value: Any) -> Path:
    path = Path(str(value)).expanduser()
    if not path.is_file():
        raise ConfigError(f"setting {key}: {path} is not a file")
    return path


def _check_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            f"target {url!r} is not a URL; give one like https://metastudio.example.com"
        )
    try:
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        raise ConfigError(f"target {url!r} has an invalid port") from None
    if parts.username or parts.password or parts.query or parts.fragment:
        # They would end up in every report; credentials belong in the token or AK/SK.
        raise ConfigError("target URL must not carry credentials, a query or a fragment; "
                          "give the base URL and credentials with --token or --ak/--sk")
    return url.rstrip("/")
