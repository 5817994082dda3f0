"""The bundled reference server always starts, and when it cannot, one line says why and
where its log is."""

from __future__ import annotations

import sys

import pytest

from metastudio_conformance import bundled, target
from metastudio_conformance.config import Settings


def test_a_secret_that_begins_with_a_dash_still_starts_the_server(monkeypatch, tmp_path):
    # secrets.token_urlsafe begins with "-" about 1 run in 64; as `--sk -abc` the server's
    # argparse took it for an option and exited 2.
    real = target.secrets.token_urlsafe
    monkeypatch.setattr(target.secrets, "token_urlsafe", lambda n: "-" + real(n))
    with target.reference_server(Settings(), log_path=tmp_path / "log") as settings:
        assert settings.sk.startswith("-")
        target.preflight(settings)  # it runs, and it accepts exactly those credentials


def _exits_at_once(monkeypatch, message: str, code: int) -> None:
    script = f"import sys; print({message!r}, file=sys.stderr); sys.exit({code})"
    monkeypatch.setattr(bundled, "SERVE", (sys.executable, "-c", script))


def _start_failure(log=None) -> str:
    with pytest.raises(target.ReferenceServerFailed) as raised:
        with target.reference_server(Settings(), log_path=log):
            pass
    return str(raised.value)


def test_a_server_that_exits_at_once_names_why_and_its_log(monkeypatch, tmp_path):
    _exits_at_once(monkeypatch, "serve: error: port 8080 is already in use", 3)
    log = tmp_path / "reference-server.log"
    assert _start_failure(log) == ("the bundled reference server did not start (exit 3): serve: "
                                   f"error: port 8080 is already in use; its log: {log}")


def test_without_a_log_file_the_line_still_says_why(monkeypatch):
    _exits_at_once(monkeypatch, "boom", 4)
    assert _start_failure() == "the bundled reference server did not start (exit 4): boom"


def test_a_server_that_says_nothing_is_named_too(monkeypatch, tmp_path):
    monkeypatch.setattr(bundled, "SERVE", (sys.executable, "-c", "print('hello')"))
    log = tmp_path / "reference-server.log"
    assert _start_failure(log) == ("the bundled reference server did not start (exit 0): it "
                                   f"printed 'hello'; its log: {log}")
