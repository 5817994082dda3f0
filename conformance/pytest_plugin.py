"""The pytest entry point: run the suite inside a team's own pytest setup.

    pytest --pyargs metastudio_conformance.suite --target URL --project-id ID

Installed as a pytest plugin (entry point `pytest11`), it adds the options of
`metastudio-conformance run` to pytest, and only when the session collects the suite
does it act: it resolves the settings as the CLI does (options over environment over
profile) and goes the CLI's way (`runner.open_run`): the bundled reference server when
no target is given, the preflight, cleanup, `results.json` and the reports. Under the
CLI, which registers its own plugin first, it does nothing more.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from metastudio_conformance import config as run_config
from metastudio_conformance import runner, target, workers
from metastudio_conformance.plugin import ConformancePlugin

# The CLI's options of `run`: (flag, Settings field, help).
OPTIONS = (
    ("--target", "target", "base URL of the server under test (METASTUDIO_TARGET); none: "
     "the bundled reference server"),
    ("--project-id", "project_id", "project id (METASTUDIO_PROJECT_ID)"),
    ("--tenant", "tenant", "standard or na"),
    ("--na-project-id", "na_project_id", "an NA-whitelisted project"),
    ("--other-project-id", "other_project_id", "another project of the same credentials"),
    ("--profile", "profile", "YAML profile with any of the settings"),
    ("--seed", "seed", "make the run repeatable"),
    ("--max-examples", "max_examples", "examples per property test"),
    ("--report-dir", "report_dir", "where results.json and the reports go"),
    ("--model", "model", "lifecycle model profile: a file, or reference or strict"),
    ("--inventory", "inventory", "YAML of existing jobs per state"),
    ("--rate-limit", "rate_limit", "client-side request rate, e.g. 5/s"),
    ("--max-time", "max_time", "time budget in seconds"),
    ("--max-live-jobs", "max_live_jobs", "jobs of this run alive at once per project"),
    ("--tls-verify", "tls_verify", "true, false, or a CA bundle's path"),
    ("--client-cert", "client_cert", "client certificate and key (PEM) for mutual TLS"),
    ("--shard", "shard", "i/N: run the i-th of N parts of the tests (merge them with "
     "metastudio-conformance merge)"),
)
FLAGS = (
    ("--no-control", "control", False, "never use the test-control interface"),
    ("--allow-writes", "allow_writes", True, "let the run write to a non-loopback target"),
    ("--strict-model", "strict_model", True, "departures from the lifecycle model fail the run"),
    ("--full-matrix", "full_matrix", True, "send the NA tenant every command in every state"),
)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("metastudio-conformance", "MetaStudio conformance run "
                            "(credentials: METASTUDIO_TOKEN, or METASTUDIO_AK and _SK)")
    for flag, dest, text in OPTIONS:
        group.addoption(flag, dest=f"msc_{dest}", default=None, help=text)
    for flag, dest, value, text in FLAGS:
        group.addoption(flag, dest=f"msc_{dest}", action="store_const", const=value,
                        default=None, help=text)


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    if workers.configure_worker(config):
        return  # an xdist worker of a run: the controller started the run
    cli_run = any(isinstance(plugin, ConformancePlugin)
                  for plugin in config.pluginmanager.get_plugins())
    if cli_run or not _collects_suite(config):
        return  # the CLI runs this session, or it is not a conformance run at all
    given = {dest: config.getoption(f"msc_{dest}") for _, dest, *_ in OPTIONS + FLAGS}
    selection = config.getoption("keyword") or None
    processes = config.getoption("numprocesses", None)  # pytest-xdist's -n
    if isinstance(processes, int) and processes > 1:
        given["workers"] = processes
    try:
        settings = runner.finalize(run_config.resolve(given))
        run = runner.open_run(settings, given, selection)
        opened = run.__enter__()
    except (run_config.ConfigError, target.TargetUnreachable, target.SetupError,
            target.ReferenceServerFailed) as exc:
        raise pytest.UsageError(f"metastudio-conformance: {exc}") from None
    config.add_cleanup(lambda: run.__exit__(None, None, None))
    if config.getoption("hypothesis_seed", None) is None:
        config.option.hypothesis_seed = str(settings.seed)
    if settings.max_failures and not config.option.maxfail:  # from the profile or variable
        config.option.maxfail = settings.max_failures
    for plugin in opened.plugins:
        config.pluginmanager.register(plugin, plugin.name)



def _collects_suite(config: pytest.Config) -> bool:
    suite = Path(str(resources.files("metastudio_conformance.suite"))).resolve()
    for arg in config.args:
        name = str(arg).split("::")[0]
        if name.startswith("metastudio_conformance.suite"):
            return True
        path = Path(config.invocation_params.dir, name).resolve()
        if path == suite or suite in path.parents:
            return True
    return False
