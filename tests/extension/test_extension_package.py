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


_CONTRACT_SCRIPT = """
import { readFileSync } from "node:fs";
import { checkHostByPrefix, checkHostDirect } from "./src/lib/backend.js";
const [prefixPath, hostPath, host, port] = process.argv.slice(2);
const reply = (path) => async () =>
  new Response(readFileSync(path, "utf8"), {
    status: 200,
    headers: { "Content-Type": "application/json" },
  });
const base = { backendUrl: "http://127.0.0.1:1", host, port: Number(port) };
const prefix = await checkHostByPrefix({ ...base, fetchFn: reply(prefixPath) });
const direct = await checkHostDirect({ ...base, fetchFn: reply(hostPath) });
console.log(JSON.stringify({ prefix, direct }));
"""


def test_the_extension_reads_the_real_backends_answers(tmp_path: Path) -> None:
    """The extension's client, fed the real backend's /v1/hostprefix and /v1/hosts answers
    (not hand-written fixtures), reaches the backend's verdict in both opt-in modes."""
    node = _node()
    from extension_api import create_app
    from extension_api.demo import affected_intermediate_pem, serve_chain
    from sim.pki import build_hierarchy, seed_article_spec
    from tests.conftest import NOW

    leaf = build_hierarchy(seed_article_spec(), now=NOW, seed=3)["leaf"]
    app = create_app(
        {"data_dir": tmp_path / "data", "allow_hosts": "127.0.0.1", "allowed_ports": "1-65535"}
    )
    client = app.test_client()
    with serve_chain([leaf.pem, affected_intermediate_pem(0)], leaf.key_pem()) as site:
        host_answer = client.get(f"/v1/hosts/127.0.0.1?port={site.port}")
    assert host_answer.json is not None and host_answer.json["verdict"] == "affected"
    digest = __import__("hashlib").sha256(b"127.0.0.1").hexdigest()
    prefix_answer = client.get(f"/v1/hostprefix/{digest[:5]}")
    (tmp_path / "prefix.json").write_bytes(prefix_answer.get_data())
    (tmp_path / "host.json").write_bytes(host_answer.get_data())
    (EXTENSION / ".contract-test.mjs").write_text(_CONTRACT_SCRIPT)
    try:
        run = subprocess.run(
            [node, ".contract-test.mjs", str(tmp_path / "prefix.json"),
             str(tmp_path / "host.json"), "127.0.0.1", str(site.port)],
            cwd=EXTENSION, capture_output=True, text=True, env=QUIET_ENV, timeout=60,
        )  # fmt: skip
    finally:
        (EXTENSION / ".contract-test.mjs").unlink()
    assert run.returncode == 0, run.stderr
    got = json.loads(run.stdout)
    # The backend never serves hashes of hosts users checked (issue 13): until its buckets hold
    # a public scan corpus, prefix mode has no result and says so; direct mode has the verdict.
    assert (got["prefix"]["verdict"], got["prefix"]["unknown_reason"]) == ("unknown", "not_known")
    assert got["direct"]["verdict"] == "affected", got["direct"]
    assert got["direct"]["match"]["entry"]["ca_label"] == "AC Camerfirma"
    assert got["direct"]["source"] == "direct"
