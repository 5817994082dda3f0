"""The pytest entry point: run the suite inside a team's own pytest setup.

    pytest --pyargs metastudio_conformance.suite --target URL --project-id ID

Installed as a pytest plugin (entry point `pytest11`), it adds the options of
`metastudio-conformance run` to pytest (from the settings table, less the credentials, which
come from the environment or the profile, and less --max-failures and --workers: pytest's
--maxfail and pytest-xdist's -n say them), and only when the session collects the suite
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
from metastudio_conformance.run_plugin import ConformancePlugin
from metastudio_conformance.settings_table import SETTINGS


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("metastudio-conformance", "MetaStudio conformance run "
                            "(credentials: METASTUDIO_TOKEN, or METASTUDIO_AK and _SK)")
    for setting in SETTINGS:
        for option in setting.pytest_options:  # config checks the values, in its words
            group.addoption(option.flag, **setting.argparse_arguments(
                option, dest=f"msc_{setting.key}", typed=False))


def given_options(getoption) -> dict:
    """The settings given as this plugin's options, by key (None: not given)."""
    return {setting.key: getoption(f"msc_{setting.key}")
            for setting in SETTINGS if setting.pytest_options}


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    if workers.configure_worker(config):
        return  # an xdist worker of a run: the controller started the run
    cli_run = any(isinstance(plugin, ConformancePlugin)
                  for plugin in config.pluginmanager.get_plugins())
    if cli_run or not _collects_suite(config):
        return  # the CLI runs this session, or it is not a conformance run at all
    given = given_options(config.getoption)
    selection = config.getoption("keyword") or None
    processes = config.getoption("numprocesses", None)  # pytest-xdist's -n
    if isinstance(processes, int) and processes > 1:
        given["workers"] = processes
    try:
        settings = runner.finalize(run_config.resolve(given))
        run = runner.open_run(settings, selection)
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
