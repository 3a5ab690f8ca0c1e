"""``revlab serve``: gunicorn with two workers, the SQLite file, and concurrent cache writes."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import NOW, REPO
from tests.extension_api.tls_servers import hierarchy, serve


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(port: int, path: str) -> tuple[int, Any]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, json.loads(response.read())
    finally:
        conn.close()


@contextmanager
def _serving(
    data: Path, args: list[str], output: Any, env_extra: dict[str, str]
) -> Iterator[tuple[int, subprocess.Popen[str]]]:
    """``revlab serve`` on a free port until the block ends; yields (port, process)."""
    port = _free_port()
    env = {**os.environ, "REVLAB_DATA_DIR": str(data), "REVLAB_ALLOW_HOSTS": "127.0.0.1",
           "REVLAB_ALLOWED_PORTS": "1-65535", **env_extra}  # fmt: skip
    env.pop("DATABASE_URL", None)
    # Piped output is read line by line (stderr dropped); a file gets both streams.
    errors = subprocess.DEVNULL if output is subprocess.PIPE else subprocess.STDOUT
    proc = subprocess.Popen(
        [sys.executable, "-c", "import sys; from revlab import main; sys.exit(main())",
         "serve", "--port", str(port), *args],
        cwd=REPO, env=env, stdout=output, stderr=errors, text=True,
    )  # fmt: skip
    try:
        yield port, proc
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


def _wait_healthy(port: int, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 20
    while True:
        try:
            if _get(port, "/healthz")[0] == 200:
                return
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                raise
            time.sleep(0.1)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[int, Path, list[str]]]:
    """``revlab serve`` on a free port with 2 workers; yields (port, data dir, first lines)."""
    data = tmp_path / "data"
    env = {"REVLAB_RATE_LIMIT": "", "REVLAB_HOSTS_RATE_LIMIT": "", "REVLAB_HANDSHAKE_TIMEOUT": "2"}
    with _serving(data, ["--workers", "2"], subprocess.PIPE, env) as (port, proc):
        assert proc.stdout is not None
        lines = [proc.stdout.readline(), proc.stdout.readline()]
        _wait_healthy(port, proc)
        yield port, data, lines


@pytest.mark.slow
def test_serve_prints_the_url_and_database_and_seeds_the_registry(
    server: tuple[int, Path, list[str]],
) -> None:
    port, data, lines = server
    assert lines[0].startswith(f"Revocation Lab API: http://127.0.0.1:{port}/")
    assert lines[1].strip() == f"Database: {data / 'revlab.sqlite3'}"
    status, body = _get(port, "/v1/registry")
    assert (status, len(body["entries"])) == (200, 293)


@pytest.mark.slow
def test_two_workers_writing_the_host_cache_at_once_lose_nothing(
    server: tuple[int, Path, list[str]], tmp_path: Path
) -> None:
    port, data, _ = server
    pki = hierarchy(NOW)
    with ExitStack() as stack:
        sites = [
            stack.enter_context(serve(tmp_path, [pki["leaf"].pem, pki["ica"].pem],
                                      pki["leaf"].key_pem()))
            for _ in range(16)
        ]
        with ThreadPoolExecutor(16) as pool:
            answers = list(pool.map(
                lambda s: _get(port, f"/v1/hosts/127.0.0.1?port={s.port}"), sites
            ))
    assert [(status, body["verdict"]) for status, body in answers] == [(200, "clean")] * 16
    with sqlite3.connect(data / "revlab.sqlite3") as db:
        stored = {row[0] for row in db.execute("SELECT port FROM host_checks")}
    assert stored == {s.port for s in sites}


@pytest.mark.slow
def test_access_log_names_no_host(tmp_path: Path) -> None:
    """With gunicorn's access log on, a host check's request line shows no hostname."""
    log = tmp_path / "access.log"
    env = {"REVLAB_HANDSHAKE_TIMEOUT": "1", "REVLAB_CONNECT_TIMEOUT": "1"}
    with (
        log.open("w") as sink,
        _serving(tmp_path / "data", ["--workers", "1", "--access-log"], sink, env) as (port, proc),
    ):
        _wait_healthy(port, proc)
        # "localhost" resolves from /etc/hosts (no DNS); port 9 is closed: a quick unknown.
        status, body = _get(port, "/v1/hosts/localhost?port=9")
        assert status in (200, 403), body
    text = log.read_text()
    assert "/v1/hosts/<redacted>" in text
    assert "localhost" not in text
