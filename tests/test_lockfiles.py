"""Committed npm lockfiles name no registry: each package is fetched from the registry
configured where it is installed (a mirror too), and pinned by its integrity hash."""

from __future__ import annotations

import json
import subprocess

from tests.conftest import ROOT


def _lockfiles() -> list[str]:
    listed = subprocess.run(["git", "ls-files", "*package-lock.json"], cwd=ROOT,
                            capture_output=True, text=True, check=True).stdout
    return listed.split()


def test_no_committed_lockfile_carries_a_resolved_url():
    lockfiles = _lockfiles()
    assert "reports/package-lock.json" in lockfiles
    for name in lockfiles:
        packages = json.loads((ROOT / name).read_text())["packages"]
        tied = [path for path, entry in packages.items() if "resolved" in entry]
        assert not tied, f"{name}: {len(tied)} resolved field(s), e.g. {tied[0]}"
        unpinned = [path for path, entry in packages.items()
                    if path and not entry.get("link") and "integrity" not in entry]
        assert not unpinned, f"{name}: no integrity hash for {unpinned[:3]}"


def test_the_reports_npmrc_keeps_registries_out_of_the_lockfile():
    settings = (ROOT / "reports" / ".npmrc").read_text().splitlines()
    assert "omit-lockfile-registry-resolved=true" in settings
