"""The schemathesis view of the contract, configured for this run."""

from __future__ import annotations

import functools
from pathlib import Path

import schemathesis
from schemathesis.config import SchemathesisConfig

from metastudio_conformance import contract
from metastudio_conformance.selection import may_select_property_tests

_settings_of_this_run = None
coverage_examples = True  # whether this run's property tests get them (`selection`)


def configure(settings, selection: str | None = None) -> None:
    """Called by the plugin before collection: the test module builds its schema at import,
    so that every operation is its own test item (a lazy schema folds them into one). A -k
    `selection` that no property test can match spares building their coverage examples."""
    global _settings_of_this_run, coverage_examples
    _settings_of_this_run = settings
    suite = Path(__file__).parent / "suite"  # its folders are names -k may match
    coverage_examples = may_select_property_tests(selection, suite.parts)


def for_this_run() -> schemathesis.BaseSchema:
    if _settings_of_this_run is None:
        raise RuntimeError("the suite runs through `metastudio-conformance run`")
    return build(_settings_of_this_run, coverage_examples)


@functools.lru_cache(maxsize=4)
def build(settings, coverage: bool = True) -> schemathesis.BaseSchema:
    """The run's schema, built once (settings are frozen, so they key the cache); without
    the coverage phase when no property test will run."""
    config = SchemathesisConfig.from_dict(
        {
            **({} if coverage else {"phases": {"coverage": {"enabled": False}}}),
            "seed": settings.seed,
            "request-timeout": settings.request_timeout,
            # A redirect is an undocumented answer, never a place to send credentials.
            "max-redirects": 0,
            "generation": {
                "mode": "all",
                "max-examples": settings.max_examples,
                # Credentials are added by the client, not generated (see generation_view).
                "with-security-parameters": False,
            },
            "checks": {
                # A valid command is refused with 400 when the job's state does not allow
                # it, and an unknown job may be 400 or 404 (docs/facts.md#unknown-jobs-inferred).
                "positive_data_acceptance": {"expected-statuses": ["2xx", "400", "404"]},
                # The docs' error table answers a wrong method with 400 MSS.00010004, not 405.
                "unsupported_method": {"enabled": False},
                "allow_header_conformance": {"enabled": False},
            },
        }
    )
    view = contract.generation_view()
    return schemathesis.openapi.from_dict(view, config=config)
