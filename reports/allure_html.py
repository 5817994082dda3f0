"""The Allure HTML report: one self-contained index.html with the trend across runs.

It runs the Allure 3 CLI (npm package `allure`, pinned in reports/package.json and
package-lock.json), installed on first use with `npm ci --prefix reports`, so nothing
but Node and the npm registry is needed, and never a global or `npx` download.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

from metastudio_conformance.reports import allure_history

PACKAGE_DIR = Path(__file__).resolve().parent
CONFIG = PACKAGE_DIR / "allurerc.mjs"
NODE_MODULES = PACKAGE_DIR / "node_modules"
INSTALL_TIMEOUT_S, GENERATE_TIMEOUT_S = 900, 600
# allure 3.18's awesome template always embeds Google Analytics (allure3 issue #476):
# ALLURE_NO_ANALYTICS is honoured only by its allure2 plugin, so the tag is cut out after.
ANALYTICS = re.compile(
    r'\s*<script async src="https://www\.googletagmanager\.com/gtag/js[^"]*"></script>'
    r"\s*<script>\s*window\.dataLayer.*?</script>",
    re.S,
)


class AllureUnavailable(Exception):
    """The HTML report could not be built; the message is one line for stderr."""


def pinned_version() -> str:
    manifest = json.loads((PACKAGE_DIR / "package.json").read_text(encoding="utf-8"))
    return manifest["devDependencies"]["allure"]


def installed_version() -> str | None:
    try:
        manifest = json.loads((NODE_MODULES / "allure" / "package.json").read_text())
    except (OSError, ValueError):
        return None
    return manifest.get("version")


def ensure_cli() -> Path:
    """The local allure binary, installed from the lockfile when missing or outdated."""
    if not shutil.which("node"):
        raise AllureUnavailable("node is not installed (Node 20 or later is needed)")
    binary = NODE_MODULES / ".bin" / "allure"
    if installed_version() == pinned_version() and binary.exists():
        return binary
    npm = shutil.which("npm")
    if not npm:
        raise AllureUnavailable("npm is not installed, so the Allure CLI cannot be installed")
    # One installer at a time: two reports started together must not interleave npm ci.
    with open(PACKAGE_DIR / ".npm-install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if installed_version() != pinned_version() or not binary.exists():
            _run([npm, "ci", "--prefix", str(PACKAGE_DIR), "--no-audit", "--no-fund",
                  "--loglevel=error"], INSTALL_TIMEOUT_S, f"npm ci --prefix {PACKAGE_DIR}")
    if not binary.exists():
        raise AllureUnavailable(f"npm ci finished but {binary} is missing")
    return binary


def build(results_dir: Path, out_dir: Path, history: Path, name: str, run_id: str) -> Path:
    """Generate out_dir/index.html from results_dir, with run `run_id` the one point it
    adds to `history` (replacing the point of an earlier build of the same run)."""
    binary = ensure_cli()
    out_dir.mkdir(parents=True, exist_ok=True)
    with allure_history.one_point_per_run(history, run_id) as history_path:
        # `generate`, not `awesome`: only a config's plugin options can set the default
        # sort (by requirement ID); the options and the history path are in allurerc.mjs.
        _run([str(binary), "generate", str(results_dir.resolve()),
              "--config", str(CONFIG), "--output", str(out_dir.resolve()),
              "--report-name", name],
             GENERATE_TIMEOUT_S, "allure generate",
             {"METASTUDIO_ALLURE_HISTORY": str(history_path)})
    index = out_dir / "index.html"
    if not index.is_file():
        raise AllureUnavailable(f"allure generate wrote no {index}")
    _strip_analytics(index)
    return index


def _strip_analytics(index: Path) -> None:
    html = index.read_text(encoding="utf-8")
    cleaned = ANALYTICS.sub("", html, count=1)
    if "googletagmanager" in cleaned:
        raise AllureUnavailable(f"{index} still loads Google Analytics; the template changed")
    if cleaned != html:
        index.write_text(cleaned, encoding="utf-8")


def _run(command: list[str], timeout: float, what: str, extra_env: dict | None = None) -> None:
    env = {**os.environ, "ALLURE_NO_ANALYTICS": "true", "NO_COLOR": "1",
           "NO_UPDATE_NOTIFIER": "1", **(extra_env or {})}
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                              env=env, cwd=PACKAGE_DIR)
    except subprocess.TimeoutExpired:
        raise AllureUnavailable(f"{what} took longer than {timeout:.0f} s") from None
    except OSError as exc:
        raise AllureUnavailable(f"{what} could not start: {exc}") from None
    if done.returncode != 0:
        raise AllureUnavailable(f"{what} failed (exit {done.returncode}): "
                                f"{_gist(done.stderr + done.stdout)}")


def _gist(output: str) -> str:
    """The line of a tool's output that says what went wrong (npm prints many)."""
    lines = [line.strip().removeprefix("npm error").strip() for line in output.splitlines()]
    lines = [line for line in lines if line and not line.startswith(
        ("at ", "A complete log", "npm warn", "code ", "errno ", "syscall "))]
    for line in lines:
        if re.search(r"error|fail|refused|not found|denied|E[A-Z]{4,}", line, re.I):
            return line[:300]
    return lines[-1][:300] if lines else "no output"
