"""extension_api.ocsp_responder: RFC 6960 Appendix A over Flask, and under gunicorn."""

from __future__ import annotations

import base64
import datetime as dt
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.x509 import ocsp
from flask.testing import FlaskClient

from extension_api.ocsp_responder import (
    OCSP_REQUEST_TYPE,
    OCSP_RESPONSE_TYPE,
    create_ocsp_app,
    scenario_responder,
)
from sim.ocsp import build_request, verify_response
from sim.ocsp_scenario import build_incident_2020
from tests.conftest import NOW, require, require_tool
from tests.servers import free_port, listening, running

SEED = 3


@pytest.fixture(scope="module")
def client() -> FlaskClient:
    app = create_ocsp_app(scenario_responder(now=NOW, seed=SEED), clock=lambda: NOW)
    return app.test_client()


@pytest.fixture(scope="module")
def certs() -> dict[str, object]:
    h = build_incident_2020(now=NOW, seed=SEED).hierarchy
    return {c.name: c.certificate for c in h}


def _status(der: bytes) -> str:
    response = ocsp.load_der_ocsp_response(der)
    if response.response_status != ocsp.OCSPResponseStatus.SUCCESSFUL:
        return response.response_status.name
    return response.certificate_status.name


@pytest.mark.parametrize(("leaf", "expected"), [("leaf_good", "GOOD"), ("leaf_revoked", "REVOKED")])
def test_post_answers_with_a_verifiable_response(
    client: FlaskClient, certs: dict, leaf: str, expected: str
) -> None:
    body = build_request(certs[leaf], certs["ica_b"])
    reply = client.post("/", data=body, content_type=OCSP_REQUEST_TYPE)
    assert reply.status_code == 200
    assert reply.mimetype == OCSP_RESPONSE_TYPE
    assert _status(reply.data) == expected
    verify_response(reply.data, issuer=certs["ica_b"], cert=certs[leaf], now=NOW)


def test_get_with_base64_path_is_cacheable(client: FlaskClient, certs: dict) -> None:
    body = build_request(certs["ica_b"], certs["root"], hash_algorithm="sha256")
    encoded = base64.b64encode(body).decode().replace("+", "%2B").replace("/", "%2F")
    reply = client.get(f"/{encoded}")
    assert reply.status_code == 200
    assert _status(reply.data) == "REVOKED"
    assert reply.headers["Cache-Control"].startswith("max-age=86400")
    result = verify_response(
        reply.data, issuer=certs["root"], cert=certs["ica_b"], now=NOW, policy="baseline"
    )
    assert result.signer.public_key() == certs["responder"].public_key()
    assert result.signer.subject == certs["responder"].subject


def test_blueprint_works_through_flask_routing(certs: dict) -> None:
    from flask import Flask

    from extension_api.ocsp_responder import create_ocsp_blueprint

    app = Flask("t")
    app.register_blueprint(
        create_ocsp_blueprint(scenario_responder(now=NOW, seed=SEED), clock=lambda: NOW),
        url_prefix="/ocsp",
    )
    reply = app.test_client().post("/ocsp/", data=build_request(certs["leaf_good"], certs["ica_b"]))
    assert _status(reply.data) == "GOOD"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/", b""),
        ("POST", "/", b"\x30\x80garbage"),
        ("POST", "/", b"x" * 100_000),
        ("GET", "/not-base64!!", None),
        ("GET", "/AAAA", None),
    ],
)
def test_malformed_requests_get_malformed_request(
    client: FlaskClient, method: str, path: str, body: bytes | None
) -> None:
    reply = client.open(path, method=method, data=body)
    assert reply.status_code == 200
    assert _status(reply.data) == "MALFORMED_REQUEST"


def test_unknown_issuer_gets_unauthorized(client: FlaskClient) -> None:
    other = build_incident_2020(now=NOW, seed=SEED + 1).hierarchy
    body = build_request(other["leaf_good"].certificate, other["ica_b"].certificate)
    assert _status(client.post("/", data=body).data) == "UNAUTHORIZED"


def test_an_expired_demo_responder_is_reported(caplog: pytest.LogCaptureFixture) -> None:
    late = NOW + dt.timedelta(days=10)
    with caplog.at_level("WARNING", logger="extension_api.ocsp_responder"):
        create_ocsp_app(seed=SEED, now=NOW, clock=lambda: late)
    assert "expired" in caplog.text and "REVLAB_OCSP_NOW" in caplog.text


def test_bad_env_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REVLAB_OCSP_SEED", "seven")
    with pytest.raises(ValueError, match="REVLAB_OCSP_SEED"):
        create_ocsp_app()


# --- gunicorn on loopback, queried by openssl ocsp -----------------------------------------


SERVERS = {
    # worker class -> app: the WSGI app (Flask + fast path) and the ASGI app, same answers.
    "gthread": ["-k", "gthread", "extension_api.ocsp_responder:create_ocsp_app()"],
    "asgi": ["-k", "asgi", "extension_api.ocsp_responder:create_ocsp_asgi_app()"],
}


@pytest.fixture(scope="module", params=sorted(SERVERS))
def gunicorn_url(request: pytest.FixtureRequest) -> Iterator[str]:
    gunicorn = Path(sys.executable).with_name("gunicorn")
    require(gunicorn.exists(), "gunicorn is not installed in this environment")
    port = free_port()
    env = dict(os.environ, REVLAB_OCSP_SEED=str(SEED), REVLAB_OCSP_NOW=NOW.isoformat())
    argv = [str(gunicorn), "-w", "2", "-b", f"127.0.0.1:{port}", *SERVERS[request.param]]
    with running(argv, lambda: listening(port), env=env):
        yield f"http://127.0.0.1:{port}/"


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        (["-cert", "leaf_good.pem"], "leaf_good.pem: good"),
        (["-cert", "leaf_revoked.pem"], "leaf_revoked.pem: revoked"),
        (["-serial", "4242"], "4242: unknown"),
    ],
)
def test_openssl_queries_gunicorn_responder(
    gunicorn_url: str, certs: dict, tmp_path: Path, target: list[str], expected: str
) -> None:
    openssl = require_tool("openssl")
    from cryptography.hazmat.primitives.serialization import Encoding

    for name in ("root", "ica_b", "leaf_good", "leaf_revoked"):
        (tmp_path / f"{name}.pem").write_bytes(certs[name].public_bytes(Encoding.PEM))
    attime = str(int((NOW + dt.timedelta(hours=1)).timestamp()))
    done = subprocess.run(
        [
            openssl,
            "ocsp",
            "-url",
            gunicorn_url,
            "-issuer",
            "ica_b.pem",
            *target,
            "-CAfile",
            "root.pem",
            "-verify_other",
            "ica_b.pem",
            "-attime",
            attime,
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    assert "Response verify OK" in done.stderr
    assert expected in done.stdout


def _asgi_call(app: object, method: str, path: str, body: bytes = b"") -> tuple[int, dict, bytes]:
    """Drive an ASGI app in-process with one request; (status, headers, body)."""
    import asyncio

    sent: list[dict] = []
    chunks = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive() -> dict:
        return chunks.pop(0)

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {"type": "http", "method": method, "path": path}
    asyncio.run(app(scope, receive, send))  # type: ignore[operator]
    start, payload = sent
    return start["status"], {k.decode(): v.decode() for k, v in start["headers"]}, payload["body"]


def test_asgi_app_answers_like_the_flask_app(client: FlaskClient, certs: dict) -> None:
    from extension_api.ocsp_responder import create_ocsp_asgi_app

    app = create_ocsp_asgi_app(seed=SEED, now=NOW, clock=lambda: NOW + dt.timedelta(minutes=5))
    req = build_request(certs["leaf_revoked"], certs["ica_b"])
    status, headers, body = _asgi_call(app, "POST", "/", req)
    assert status == 200 and headers["content-type"] == "application/ocsp-response"
    parsed = ocsp.load_der_ocsp_response(body)
    assert parsed.certificate_status == ocsp.OCSPCertStatus.REVOKED
    status, headers, body = _asgi_call(app, "POST", "/", b"\x30\x03garbage")
    assert ocsp.load_der_ocsp_response(body).response_status == (
        ocsp.OCSPResponseStatus.MALFORMED_REQUEST
    )
    status, headers, _ = _asgi_call(app, "DELETE", "/")
    assert status == 405 and headers["allow"] == "GET, POST"
