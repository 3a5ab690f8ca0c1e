"""``revlab serve``: gunicorn with gevent workers, and what slow or hostile clients can do to it.

One server (two workers, the SQLite file, limits off) serves most tests of this module; the
errors ``serve`` refuses to start with are checked in process (they come before gunicorn).
"""

from __future__ import annotations

import http.client
import json
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from revlab import main
from tests.conftest import NOW
from tests.extension_api.tls_servers import hierarchy, serve
from tests.servers import free_port, http_get, revlab_serve

TOKEN = "s3cret-admin-token"
#: A small import limit keeps the oversized-import test quick.
IMPORT_LIMIT = 65536


@dataclass(frozen=True)
class Served:
    """The module's server."""

    port: int
    data: Path
    log: Path


def _get(port: int, path: str) -> tuple[int, Any]:
    status, body = http_get(port, path)
    return status, json.loads(body)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """``revlab serve --workers 2`` (limits off), its output in a file."""
    root = tmp_path_factory.mktemp("serve")
    log = root / "serve.log"
    env = {"REVLAB_RATE_LIMIT": "", "REVLAB_HOSTS_RATE_LIMIT": "", "REVLAB_ADMIN_TOKEN": TOKEN,
           "REVLAB_HANDSHAKE_TIMEOUT": "2",
           "REVLAB_MAX_IMPORT_BODY": str(IMPORT_LIMIT)}  # fmt: skip
    with log.open("w") as sink, revlab_serve(root / "data", ["--workers", "2"], env,
                                             stdout=sink, stderr=subprocess.STDOUT) as (port, _):
        yield Served(port, root / "data", log)


@pytest.mark.slow
def test_serve_prints_the_url_database_and_workers_and_seeds_the_registry(server: Served) -> None:
    lines = server.log.read_text().splitlines()
    assert lines[0].startswith(f"Revocation Lab API: http://127.0.0.1:{server.port}/")
    assert lines[1] == f"Database: {server.data / 'revlab.sqlite3'}"
    assert lines[2] == "Workers: 2 (gevent); rate limits: off"
    status, body = _get(server.port, "/v1/registry")
    assert (status, body["count"], len(body["columns"]["sha256"])) == (200, 293, 293)


@pytest.mark.slow
def test_two_workers_writing_the_host_cache_at_once_lose_nothing(
    server: Served, tmp_path: Path
) -> None:
    pki = hierarchy(NOW)
    with ExitStack() as stack:
        sites = [
            stack.enter_context(serve(tmp_path, [pki["leaf"].pem, pki["ica"].pem],
                                      pki["leaf"].key_pem()))
            for _ in range(16)
        ]  # fmt: skip
        with ThreadPoolExecutor(16) as pool:
            answers = list(pool.map(
                lambda s: _get(server.port, f"/v1/hosts/127.0.0.1?port={s.port}"), sites
            ))  # fmt: skip
    assert [(status, body["verdict"]) for status, body in answers] == [(200, "clean")] * 16
    with sqlite3.connect(server.data / "revlab.sqlite3") as db:
        stored = {row[0] for row in db.execute("SELECT port FROM host_checks")}
    assert {s.port for s in sites} <= stored


def _timed_healthz(port: int) -> float:
    started = time.monotonic()
    assert http_get(port, "/healthz", timeout=5)[0] == 200
    return time.monotonic() - started


@pytest.mark.slow
def test_64_half_sent_requests_do_not_stall_healthz(server: Served) -> None:
    # Seen: two half-sent requests made /healthz time out for 20 s (sync workers).
    with ExitStack() as stack:
        for i in range(64):
            conn = stack.enter_context(socket.create_connection(("127.0.0.1", server.port)))
            # Half the connections stop inside the headers, half inside a declared body.
            conn.sendall(b"GET /v1/registry HTTP/1.1\r\nHost: x\r\n" if i % 2 else
                         b"POST /v1/chain HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{")
        time.sleep(0.2)
        took = [_timed_healthz(server.port) for _ in range(3)]
    assert max(took) < 1.0, took


@pytest.mark.slow
def test_host_checks_against_a_silent_server_do_not_stall_healthz(
    server: Served, tmp_path: Path
) -> None:
    # Seen: two checks against a TLS server that never answers made /healthz wait 4.7 s.
    with serve(tmp_path, mode="silent") as site, ThreadPoolExecutor(4) as pool:
        checks = [pool.submit(_get, server.port, f"/v1/hosts/127.0.0.1?port={site.port}&n={i}")
                  for i in range(4)]  # fmt: skip
        time.sleep(0.3)
        took = [_timed_healthz(server.port) for _ in range(3)]
        answers = [c.result() for c in checks]
    assert max(took) < 1.0, took
    assert {(status, body["verdict"]) for status, body in answers} == {(200, "unknown")}


def _post_chunked(port: int, path: str, parts: list[bytes], headers: dict[str, str]) -> Any:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("POST", path, body=iter(parts), headers=headers, encode_chunked=True)
        response = conn.getresponse()
        return response.status, json.loads(response.read())
    finally:
        conn.close()


@pytest.mark.slow
def test_a_chunked_chain_over_the_limit_gets_413_not_a_verdict(server: Served) -> None:
    # Seen: a valid chain plus 300 KB of padding, chunked, got a 200 verdict.
    pki = hierarchy(NOW)
    chain = json.dumps({"chain": [pki["leaf"].pem.decode(), pki["ica"].pem.decode()]})
    parts = [chain[:-1].encode(), b" " * 300_000, b"}"]
    status, body = _post_chunked(server.port, "/v1/chain", parts, {})
    assert status == 413
    assert "262,144 bytes" in body["error"]["message"]


@pytest.mark.slow
def test_a_chunked_import_over_the_limit_imports_nothing(server: Served) -> None:
    # Seen: a 19 MB chunked import answered 200 with 1,104 rows silently dropped.
    _, before = _get(server.port, "/v1/registry")
    rows = [f"{i:064x},chunked,Lab\n".encode() for i in range(1, 2000)]  # 2,000 rows: 140 KB
    status, body = _post_chunked(server.port, "/v1/registry/import",
                                 [b"sha256,incident,ca_label\n", *rows],
                                 {"Authorization": f"Bearer {TOKEN}"})  # fmt: skip
    assert status == 413
    assert f"{IMPORT_LIMIT:,} bytes" in body["error"]["message"]
    _, after = _get(server.port, "/v1/registry")
    assert (after["version"], after["etag"]) == (before["version"], before["etag"])


@pytest.mark.slow
def test_the_error_log_names_no_host_and_no_client(server: Served) -> None:
    # Seen: "Invalid HTTP request line: 'GET /v1/hosts/bücher-secret.example HTTP/1.1'".
    with socket.create_connection(("127.0.0.1", server.port)) as conn:
        conn.sendall("GET /v1/hosts/bücher-secret.example HTTP/1.1 x\r\n\r\n".encode())
        answer = conn.recv(1024)
    assert answer.startswith(b"HTTP/1.1 400")
    time.sleep(0.3)
    log = server.log.read_text()
    assert "Invalid request: Invalid HTTP request line (details withheld)" in log
    assert "secret" not in log and "ip=" not in log


@pytest.mark.slow
def test_access_log_names_no_host(tmp_path: Path) -> None:
    """With gunicorn's access log on, a host check's request line shows no hostname."""
    log = tmp_path / "access.log"
    env = {"REVLAB_HANDSHAKE_TIMEOUT": "1", "REVLAB_CONNECT_TIMEOUT": "1"}
    with (
        log.open("w") as sink,
        revlab_serve(tmp_path / "data", ["--access-log"], env, stdout=sink,
                     stderr=subprocess.STDOUT) as (port, _),
    ):  # fmt: skip
        # "localhost" resolves from /etc/hosts (no DNS); port 9 is closed: a quick unknown.
        status, body = _get(port, "/v1/hosts/localhost?port=9")
        assert status in (200, 403), body
    text = log.read_text()
    assert "/v1/hosts/<redacted>" in text
    assert "localhost" not in text


# --- what serve refuses to start with: one line, exit 2, nothing started ---------------------


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for name in ("DATABASE_URL", "REVLAB_DATABASE_URL", "REVLAB_PORT", "REVLAB_RATE_LIMIT",
                 "REVLAB_HOSTS_RATE_LIMIT", "REVLAB_RATELIMIT_STORAGE_URI"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("REVLAB_DATA_DIR", str(tmp_path / "data"))
    return tmp_path


def _refused(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    started = time.monotonic()
    assert main(["serve", *argv]) == 2
    assert time.monotonic() - started < 5  # gunicorn's bind retries took 6 s
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    return lines[0]


def test_a_busy_port_is_one_line(clean_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        line = _refused(["--port", str(port)], capsys)
    assert line == f"revlab serve: port {port} on 127.0.0.1 is in use"


@pytest.mark.parametrize("value", ["abc", "0", "70000", "８０"])
def test_a_port_variable_that_is_not_a_port_is_refused(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    value: str,
) -> None:  # fmt: skip
    # Seen: REVLAB_PORT=abc silently served on 8000.
    monkeypatch.setenv("REVLAB_PORT", value)
    assert _refused([], capsys) == (
        f"revlab serve: REVLAB_PORT: {value!r} is not a port number (1-65535)"
    )


def test_an_unknown_database_url_is_one_line(
    clean_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    line = _refused(["--port", str(free_port()), "--database-url", "nonsense://x"], capsys)
    assert line == (
        "revlab serve: DATABASE_URL: 'nonsense' databases are not supported "
        "(sqlite:/// or postgresql://)"
    )


def test_postgresql_without_the_driver_names_the_extra(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)  # import psycopg -> ImportError
    monkeypatch.setenv("DATABASE_URL", "postgresql://revlab@127.0.0.1:1/revlab")
    line = _refused(["--port", str(free_port())], capsys)
    assert "driver for postgresql+psycopg is not installed" in line
    assert "pip install 'revocation-lab[postgres]'" in line


def test_several_workers_with_an_in_process_limit_store_are_refused(
    clean_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Seen: limits counted per worker (the first 429 after 1,200 requests against 600/minute).
    line = _refused(["--port", str(free_port()), "--workers", "2"], capsys)
    assert line.startswith("revlab serve: --workers 2 would count each rate limit once per worker")
    assert "REVLAB_RATELIMIT_STORAGE_URI=redis://" in line
