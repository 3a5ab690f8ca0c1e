"""``GET /v1/hosts`` and ``/v1/hostprefix`` against real TLS servers on 127.0.0.1."""

from __future__ import annotations

import hashlib
import logging
import time
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from extension_api.service import ApiState
from sim.loader import load_pem_bundle
from sim.pki import Hierarchy
from sim.registry import Registry, shipped_registry
from tests.extension_api.conftest import AppFactory
from tests.extension_api.tls_servers import affected_intermediate_pem, serve


def _get(client: FlaskClient, host: str, port: int) -> dict[str, Any]:
    response = client.get(f"/v1/hosts/{host}?port={port}")
    assert response.status_code == 200, response.json
    body: dict[str, Any] = response.json  # type: ignore[assignment]
    return body


def test_a_leaf_served_with_a_real_2020_intermediate_is_affected_with_its_ca_label(
    client: FlaskClient, pki: Hierarchy, tmp_path: Path
) -> None:
    real = affected_intermediate_pem(0)
    listed = load_pem_bundle(real)[0]
    expected = shipped_registry().get(listed.sha256 or "")
    assert expected is not None
    with serve(tmp_path, [pki["leaf"].pem, real], pki["leaf"].key_pem()) as server:
        body = _get(client, server.host, server.port)
    assert body["verdict"] == "affected"
    assert body["match"]["position"] == 1
    assert body["match"]["entry"]["ca_label"] == expected.ca_label == "AC Camerfirma"
    assert [c["sha256"] for c in body["chain"]] == [pki["leaf"].sha256, listed.sha256]
    assert body["served"]["cached"] is False
    assert body["remedy"]["owner"]


def test_a_clean_generated_chain_is_clean(
    client: FlaskClient, pki: Hierarchy, tmp_path: Path
) -> None:
    chain = [pki["leaf"].pem, pki["ica"].pem]
    with serve(tmp_path, chain, pki["leaf"].key_pem()) as server:
        body = _get(client, server.host, server.port)
    assert body["verdict"] == "clean"
    assert [c["sha256"] for c in body["chain"]] == [pki["leaf"].sha256, pki["ica"].sha256]


def test_an_intermediate_reissued_with_a_listed_key_is_affected_key(
    make_app: AppFactory, pki: Hierarchy, tmp_path: Path
) -> None:
    app = make_app()
    state: ApiState = app.extensions["revlab"]
    state.store.import_registry(
        lambda base: base.imported(pki["ica"].pem, source="test", ca_label="Lab CA"),
        source="test", now=time.time(),
    )
    state._adopt(state.store.load_registry())
    chain = [pki["leaf2"].pem, pki["ica2"].pem]
    with serve(tmp_path, chain, pki["leaf2"].key_pem()) as server:
        body = _get(app.test_client(), server.host, server.port)
    assert body["verdict"] == "affected_key"
    assert body["match"]["entry"]["sha256"] == pki["ica"].sha256
    assert body["match"]["entry"]["ca_label"] == "Lab CA"


@pytest.mark.parametrize("mode", ["close", "silent"])
def test_a_server_that_closes_or_never_answers_gives_unknown_within_the_timeout(
    make_app: AppFactory, tmp_path: Path, mode: Any
) -> None:
    client = make_app(handshake_timeout=0.5).test_client()
    with serve(tmp_path, mode=mode) as server:
        body = _get(client, server.host, server.port)
    assert body["verdict"] == "unknown"
    assert body["served"]["error"] == {
        "close": "the server closed the connection during the handshake",
        "silent": "the server did not answer within the timeout",
    }[mode]
    assert body["chain"] == []


def test_nobody_listening_gives_unknown_refused(client: FlaskClient, tmp_path: Path) -> None:
    with serve(tmp_path, mode="close") as server:
        port = server.port
    body = _get(client, "127.0.0.1", port)
    assert body["verdict"] == "unknown"
    assert body["served"]["error"] == "the connection was refused"


def test_a_second_check_comes_from_the_cache_and_sees_a_later_import(
    client: FlaskClient, state: ApiState, pki: Hierarchy, tmp_path: Path
) -> None:
    with serve(tmp_path, [pki["leaf"].pem, pki["ica"].pem], pki["leaf"].key_pem()) as server:
        first = _get(client, server.host, server.port)
    # The server is gone: only the cache can answer now.
    second = _get(client, server.host, server.port)
    assert (first["verdict"], first["served"]["cached"]) == ("clean", False)
    assert (second["verdict"], second["served"]["cached"]) == ("clean", True)
    response = client.post(
        "/v1/registry/import?ca_label=Lab%20CA&incident=test",
        data=pki["ica"].pem,
        headers={"Authorization": "Bearer s3cret-admin-token"},
    )
    assert response.status_code == 200, response.json
    third = _get(client, server.host, server.port)
    assert (third["verdict"], third["served"]["cached"]) == ("affected", True)


def test_hostprefix_never_lists_a_host_that_a_user_checked(
    client: FlaskClient, pki: Hierarchy, tmp_path: Path
) -> None:
    # Only the scan corpus answers (tests/extension_api/test_scan_corpus.py): what users asked
    # must not tell other users what they visit.
    real = affected_intermediate_pem(0)
    with serve(tmp_path, [pki["leaf"].pem, real], pki["leaf"].key_pem()) as server:
        assert _get(client, server.host, server.port)["verdict"] == "affected"
    digest = hashlib.sha256(b"127.0.0.1").hexdigest()
    response = client.get(f"/v1/hostprefix/{digest[:5]}")
    assert response.status_code == 200
    body = response.json
    assert body is not None
    assert (body["prefix"], body["hosts"]) == (digest[:5], [])
    assert body["corpus"]["targets"] == 0
    assert digest not in response.get_data(as_text=True)


@pytest.mark.parametrize("prefix", ["abc", "abcdef", "ghij", "12 34", "%00%00%00%00"])
def test_hostprefix_needs_4_or_5_hex_digits(client: FlaskClient, prefix: str) -> None:
    response = client.get(f"/v1/hostprefix/{prefix}")
    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_prefix"  # type: ignore[index]


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("/v1/hosts/169.254.169.254", 403, "refused_target"),
        ("/v1/hosts/0.0.0.0", 403, "refused_target"),
        ("/v1/hosts/[::ffff:127.0.0.1]", 403, "refused_target"),
        ("/v1/hosts/10.0.0.1?port=443", 403, "refused_target"),
        ("/v1/hosts/2130706433", 400, "invalid_host"),
        ("/v1/hosts/0177.0.0.1", 400, "invalid_host"),
        ("/v1/hosts/exa_mple.com", 400, "invalid_host"),
        ("/v1/hosts/a..b", 400, "invalid_host"),
        ("/v1/hosts/example.com:8443", 400, "invalid_host"),
        ("/v1/hosts/example.com?port=0", 400, "invalid_port"),
        ("/v1/hosts/example.com?port=http", 400, "invalid_port"),
        # Unicode digits: str.isdigit() says yes, int() refuses (²) or misreads (٣) them.
        ("/v1/hosts/example.com?port=%C2%B2", 400, "invalid_port"),
        ("/v1/hosts/example.com?port=%D9%A3", 400, "invalid_port"),
        ("/v1/hosts/evil.example", 403, "refused_target"),
    ],
)
def test_host_checks_refuse_bad_or_internal_targets_without_connecting(
    make_app: AppFactory, no_connections: list[Any], fake_dns: dict[str, list[str]],
    path: str, status: int, code: str,
) -> None:
    fake_dns["evil.example"] = ["169.254.169.254"]
    client = make_app(allow_hosts=(), allowed_ports="443").test_client()
    response = client.get(path)
    assert (response.status_code, response.json["error"]["code"]) == (status, code)  # type: ignore[index]
    assert no_connections == []


def test_a_name_that_does_not_resolve_is_unknown_not_a_refusal(
    make_app: AppFactory, no_connections: list[Any], fake_dns: dict[str, list[str]]
) -> None:
    client = make_app(allow_hosts=(), allowed_ports="443").test_client()
    response = client.get("/v1/hosts/nowhere.example")
    assert response.status_code == 200
    body: dict[str, Any] = response.json  # type: ignore[assignment]
    assert body["verdict"] == "unknown"
    assert body["served"]["error"].startswith("the name does not resolve")
    assert "does not resolve" in body["summary"] and "allow" not in body["summary"].lower()
    # A name a user asked about never reaches the k-anonymity buckets (only the scan corpus).
    prefix = hashlib.sha256(b"nowhere.example").hexdigest()[:5]
    bucket = client.get(f"/v1/hostprefix/{prefix}").json["hosts"]  # type: ignore[index]
    assert bucket == []
    assert no_connections == []


def test_ports_outside_the_configured_set_are_refused(
    make_app: AppFactory, no_connections: list[Any]
) -> None:
    client = make_app(allowed_ports="443").test_client()
    response = client.get("/v1/hosts/127.0.0.1?port=22")
    assert response.status_code == 403
    assert "port 22" in response.json["error"]["message"]  # type: ignore[index]


def test_host_checks_log_no_hostname_at_info(
    client: FlaskClient, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    with serve(tmp_path, mode="close") as server:
        client.get(f"/v1/hosts/127.0.0.1?port={server.port}")
    assert all("127.0.0.1" not in r.getMessage() for r in caplog.records)


def test_request_logs_redact_host_paths() -> None:
    from extension_api.security import RedactHosts

    record = logging.LogRecord("werkzeug", logging.INFO, __file__, 1,
                               '"%s" %s', ("GET /v1/hosts/secret.example?port=443 HTTP/1.1", 200),
                               None)
    RedactHosts().filter(record)
    assert record.getMessage() == '"GET /v1/hosts/<redacted> HTTP/1.1" 200'


def test_registry_seed_is_the_shipped_list(app: Flask) -> None:
    state: ApiState = app.extensions["revlab"]
    registry: Registry = state.snapshot().registry
    assert len(registry) == len(shipped_registry()) == 293
