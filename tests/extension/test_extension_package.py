"""The extension's own checks, run from the Python suite so ``make test`` covers them.

- The JavaScript unit tests (``node --test extension/test/``): DER parsing against sim.loader
  on the 260 real 2020 intermediates, local matching, the Firefox getSecurityInfo path, the
  backend client, the badge and popup texts in English and Japanese, the build.
- ``web-ext lint`` on the Firefox package reports no errors (needs ``npm ci`` in extension/).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO, require, require_tool

EXTENSION = REPO / "extension"
WEB_EXT = EXTENSION / "node_modules" / ".bin" / "web-ext"
#: Keeps node tools off the network (update-notifier asks the npm registry otherwise).
QUIET_ENV = {**os.environ, "NO_UPDATE_NOTIFIER": "1", "CI": "1"}


def _node() -> str:
    node = require_tool("node")
    version = subprocess.run(
        [node, "--version"], capture_output=True, text=True, check=True
    ).stdout.strip()
    require(int(version.lstrip("v").split(".")[0]) >= 20, f"node {version} is older than 20")
    return node


def test_javascript_unit_tests_pass() -> None:
    """Every node:test test of the extension passes (and there are many of them)."""
    node = _node()
    run = subprocess.run(
        [node, "--test", "test/"],
        cwd=EXTENSION,
        capture_output=True,
        text=True,
        env=QUIET_ENV,
        timeout=120,
    )
    counts = dict(re.findall(r"^# (pass|fail|cancelled|skipped) (\d+)$", run.stdout, re.M))
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert counts.get("fail") == "0"
    assert int(counts.get("pass", "0")) >= 45


@pytest.mark.slow
def test_web_ext_lint_reports_no_errors_for_the_firefox_package(tmp_path: Path) -> None:
    """The Firefox package built by build.mjs passes Mozilla's linter without errors."""
    node = _node()
    require(WEB_EXT.exists(), f"{WEB_EXT} is absent: run `npm ci` in extension/")
    subprocess.run(
        [node, "build.mjs", "--out", str(tmp_path)], cwd=EXTENSION, check=True, env=QUIET_ENV
    )
    run = subprocess.run(
        [
            str(WEB_EXT),
            "lint",
            "--no-config-discovery",
            "--self-hosted",
            "--output=json",
            f"--source-dir={tmp_path / 'extension-firefox'}",
        ],
        cwd=EXTENSION,
        capture_output=True,
        text=True,
        env=QUIET_ENV,
        timeout=180,
    )
    report = json.loads(run.stdout)
    assert report["errors"] == [], report["errors"]
    assert report["summary"]["errors"] == 0
    assert report["warnings"] == [], report["warnings"]
