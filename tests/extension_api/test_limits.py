"""API limits, in process: deadlines, the outbound cap, body sizes, busy writes, retention."""

from __future__ import annotations

import io
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import pytest
from flask import Flask

import extension_api
from extension_api import service
from extension_api.bounded import ByteLRU
from extension_api.storage import Store
from tests.extension_api.conftest import AppFactory
from tests.extension_api.tls_servers import serve
from tests.servers import free_port

TOKEN = {"Authorization": "Bearer s3cret-admin-token"}


@contextmanager
def _tarpits(addresses: list[str]) -> Iterator[int]:
    """Listeners on each address (one port) that never accept: a TLS client waits for ever."""
    port = free_port()
    with ExitStack() as stack:
        for address in addresses:
            listener = stack.enter_context(socket.socket())
            listener.bind((address, port))
            listener.listen(64)
        yield port


def test_a_name_with_14_silent_addresses_answers_unknown_within_one_deadline(
    make_app: AppFactory, fake_dns: dict[str, list[str]]
) -> None:
    # Seen: 14 addresses that never answer ended in an HTML 500 after 60.4 s (WORKER TIMEOUT).
    addresses = [f"127.0.0.{i}" for i in range(2, 16)]
    fake_dns["tarpit.example"] = addresses
    app = make_app(allow_hosts=("127.0.0.0/8",), connect_timeout=1.0, handshake_timeout=1.0,
                   check_deadline=2.0, max_addresses=4)  # fmt: skip
    with _tarpits(addresses) as port:
        started = time.monotonic()
        response = app.test_client().get(f"/v1/hosts/tarpit.example?port={port}")
        took = time.monotonic() - started
    assert response.status_code == 200
    body = response.json
    assert body is not None
    assert body["verdict"] == "unknown"
    assert "deadline of 2 s" in body["served"]["error"]
    assert took < 2.0 + 1.0  # one deadline for the whole check, not one per address


def test_host_checks_beyond_the_per_worker_cap_get_503_with_retry_after(
    make_app: AppFactory, tmp_path: Any
) -> None:
    app = make_app(outbound_concurrency=1, connect_timeout=1.0, handshake_timeout=1.0)
    with serve(tmp_path, mode="silent") as site:
        first: list[Any] = []
        slow = threading.Thread(target=lambda: first.append(
            app.test_client().get(f"/v1/hosts/127.0.0.1?port={site.port}")))  # fmt: skip
        slow.start()
        time.sleep(0.3)  # the first check holds the only slot
        second = app.test_client().get(f"/v1/hosts/localhost?port={site.port}")
        slow.join()
    assert second.status_code == 503
    assert second.json["error"]["code"] == "busy"  # type: ignore[index]
    assert int(second.headers["Retry-After"]) >= 1
    assert first[0].status_code == 200
    assert first[0].json["verdict"] == "unknown"


def test_a_body_over_the_limit_gets_413_naming_the_limit(app: Flask) -> None:
    response = app.test_client().post("/v1/chain", data=b"{" + b" " * 300_000 + b"}")
    assert response.status_code == 413
    assert "262,144 bytes" in response.json["error"]["message"]  # type: ignore[index]


def test_a_chunked_body_over_the_limit_is_refused_whole(app: Flask) -> None:
    # No Content-Length: today the body was cut at the limit and the rest processed.
    body = b'{"chain": ["x"]' + b" " * 300_000 + b"}"
    response = app.test_client().post(
        "/v1/chain", input_stream=io.BytesIO(body),
        headers={"Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )  # fmt: skip
    assert response.status_code == 413
    assert "262,144 bytes" in response.json["error"]["message"]  # type: ignore[index]


def test_a_chunked_body_under_the_limit_is_read_whole(app: Flask) -> None:
    body = b'{"chain": ["x"]}' + b" " * 100_000
    response = app.test_client().post(
        "/v1/chain", input_stream=io.BytesIO(body),
        headers={"Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )  # fmt: skip
    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_certificate"  # type: ignore[index]


def test_an_import_waiting_too_long_for_the_lock_gets_503_not_422(make_app: AppFactory) -> None:
    app = make_app(lock_wait=0.5)
    state = app.extensions["revlab"]
    other = Store(state.store.url)
    try:
        with other._write():
            response = app.test_client().post(
                "/v1/registry/import", data=b"sha256,incident,ca_label\n" + b"a" * 64 + b",t,L\n",
                headers=TOKEN,
            )  # fmt: skip
    finally:
        other.dispose()
    assert response.status_code == 503
    assert response.json["error"]["code"] == "busy"  # type: ignore[index]
    assert int(response.headers["Retry-After"]) >= 1
    assert state.store.latest_snapshot_id() == 1


def test_host_checks_are_deleted_once_older_than_the_retention(
    make_app: AppFactory, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(host_retention=3600)
    state = app.extensions["revlab"]
    client = app.test_client()
    with serve(tmp_path, mode="close") as site:
        assert client.get(f"/v1/hosts/127.0.0.1?port={site.port}").status_code == 200
    assert state.store.count_hosts() == 1
    monkeypatch.setattr(extension_api, "PURGE_EVERY", 0.0)
    client.get("/healthz")
    assert state.store.count_hosts() == 1  # within the retention
    real_clock = state.clock
    state.clock = lambda: real_clock() + 3601
    client.get("/healthz")
    assert state.store.count_hosts() == 0


def test_the_retention_cannot_be_shorter_than_the_ttl(make_app: AppFactory) -> None:
    from extension_api.config import ConfigError

    with pytest.raises(ConfigError, match="host_retention"):
        make_app(host_retention=60, host_ttl=3600)


def test_parsed_items_are_held_within_a_byte_budget(app: Flask, pki: Any) -> None:
    leaf = pki["leaf"].pem.decode()
    client = app.test_client()
    for i in range(400):
        # Unique 64 KB items that parse: text before the PEM block is ignored by the parser.
        item = f"{i:08d}" + "#" * (60_000) + "\n" + leaf
        assert client.post("/v1/chain", json={"chain": [item]}).status_code == 200
    assert service._RECORDS.bytes <= service._RECORDS.max_bytes
    assert len(service._RECORDS) < 400


def test_a_byte_lru_drops_the_least_recently_used_first() -> None:
    cache: ByteLRU[str, bytes] = ByteLRU(100, lambda _k, v: len(v))
    cache.put("a", b"x" * 40)
    cache.put("b", b"x" * 40)
    assert cache.get("a") is not None  # a is now the most recent
    cache.put("c", b"x" * 40)
    assert (cache.get("a") is not None, cache.get("b"), cache.get("c") is not None) == (
        True, None, True)  # fmt: skip
    cache.put("huge", b"x" * 101)
    assert cache.get("huge") is None and cache.bytes == 80
