"""extension_api.ocsp_responder: RFC 6960 Appendix A as an ASGI app, driven in-process.

``revlab ocsp serve`` runs the same app under gunicorn; tests/cli/test_ocsp.py queries that
with the real ``openssl ocsp``.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt

import pytest
from cryptography import x509
from cryptography.x509 import ocsp

from extension_api.ocsp_responder import (
    MAX_REQUEST_BYTES,
    OCSP_RESPONSE_TYPE,
    OCSPAsgiApp,
)
from sim.ocsp import build_request
from sim.ocsp_scenario import build_incident_2020, incident_2020_responder
from sim.ocsp_store import OCSPAnswer, PresignedResponder
from sim.ocsp_verify import OCSPPolicy, verify_response
from tests.conftest import NOW

SEED = 3
Reply = tuple[int, dict[str, str], bytes]


@pytest.fixture(scope="module")
def app() -> OCSPAsgiApp:
    return OCSPAsgiApp(incident_2020_responder(now=NOW, seed=SEED), clock=lambda: NOW)


@pytest.fixture(scope="module")
def certs() -> dict[str, x509.Certificate]:
    h = build_incident_2020(now=NOW, seed=SEED).hierarchy
    return {c.name: c.certificate for c in h}


def _call(app: OCSPAsgiApp, method: str, path: str, body: bytes = b"", chunk: int = 0) -> Reply:
    """One HTTP request through the ASGI interface; (status, headers, body).

    ``chunk`` > 0 delivers the body in pieces of that size, as a server does for large bodies.
    """
    sent: list[dict] = []
    pieces = [body[i : i + chunk] for i in range(0, len(body), chunk)] if chunk else []
    pieces = pieces or [body]
    messages = [
        {"type": "http.request", "body": piece, "more_body": n < len(pieces) - 1}
        for n, piece in enumerate(pieces)
    ]

    async def receive() -> dict:
        return messages.pop(0)

    async def send(message: dict) -> None:
        sent.append(message)

    asyncio.run(app({"type": "http", "method": method, "path": path}, receive, send))
    start, payload = sent
    headers = {k.decode(): v.decode() for k, v in start["headers"]}
    return start["status"], headers, payload["body"]


def _status(der: bytes) -> str:
    response = ocsp.load_der_ocsp_response(der)
    if response.response_status != ocsp.OCSPResponseStatus.SUCCESSFUL:
        return response.response_status.name
    return response.certificate_status.name


@pytest.mark.parametrize(("leaf", "expected"), [("leaf_good", "GOOD"), ("leaf_revoked", "REVOKED")])
def test_post_answers_with_a_verifiable_response(
    app: OCSPAsgiApp, certs: dict, leaf: str, expected: str
) -> None:
    status, headers, body = _call(app, "POST", "/", build_request(certs[leaf], certs["ica_b"]))
    assert status == 200
    assert headers["content-type"] == OCSP_RESPONSE_TYPE
    assert int(headers["content-length"]) == len(body)
    assert "cache-control" not in headers  # a POST answer is not for HTTP caches
    assert _status(body) == expected
    verify_response(body, issuer=certs["ica_b"], cert=certs[leaf], now=NOW)


def test_get_with_base64_path_is_cacheable_and_signed_by_the_dedicated_responder(
    app: OCSPAsgiApp, certs: dict
) -> None:
    request = build_request(certs["ica_b"], certs["root"], hash_algorithm="sha256")
    encoded = base64.b64encode(request).decode().replace("+", "%2B").replace("/", "%2F")
    status, headers, body = _call(app, "GET", f"/{encoded}")
    assert status == 200
    assert _status(body) == "REVOKED"
    assert headers["cache-control"].startswith("max-age=86400")
    result = verify_response(
        body, issuer=certs["root"], cert=certs["ica_b"], now=NOW, policy=OCSPPolicy.BASELINE
    )
    assert result.delegated
    assert result.signer.subject == certs["responder"].subject


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/", b""),
        ("POST", "/", b"\x30\x80garbage"),
        ("POST", "/", b"x" * 100_000),
        ("GET", "/not-base64!!", b""),
        ("GET", "/AAAA", b""),
    ],
)
def test_malformed_requests_get_malformed_request(
    app: OCSPAsgiApp, method: str, path: str, body: bytes
) -> None:
    status, _, der = _call(app, method, path, body, chunk=4096)
    assert status == 200
    assert _status(der) == "MALFORMED_REQUEST"


def test_a_request_over_the_cap_is_refused_even_if_it_starts_as_a_valid_one(
    app: OCSPAsgiApp, certs: dict
) -> None:
    valid = build_request(certs["leaf_good"], certs["ica_b"])
    assert _status(_call(app, "POST", "/", valid)[2]) == "GOOD"
    padded = valid + b"\x00" * MAX_REQUEST_BYTES
    assert _status(_call(app, "POST", "/", padded, chunk=1024)[2]) == "MALFORMED_REQUEST"


def test_unknown_issuer_gets_unauthorized(app: OCSPAsgiApp) -> None:
    other = build_incident_2020(now=NOW, seed=SEED + 1).hierarchy
    body = build_request(other["leaf_good"].certificate, other["ica_b"].certificate)
    assert _status(_call(app, "POST", "/", body)[2]) == "UNAUTHORIZED"


@pytest.mark.parametrize(("method", "path"), [("DELETE", "/"), ("PUT", "/"), ("GET", "/")])
def test_other_methods_get_405(app: OCSPAsgiApp, method: str, path: str) -> None:
    status, headers, body = _call(app, method, path)
    assert (status, headers["allow"], body) == (405, "GET, POST", b"")


def test_a_responder_failure_is_an_ocsp_internal_error_not_a_500(certs: dict) -> None:
    class Broken(PresignedResponder):
        def respond(self, request_der: bytes, *, now: dt.datetime) -> OCSPAnswer:
            raise RuntimeError("boom")

    scenario = build_incident_2020(now=NOW, seed=SEED)
    broken = Broken(scenario.hierarchy, revocations={}, now=NOW)
    status, _, body = _call(
        OCSPAsgiApp(broken, clock=lambda: NOW),
        "POST",
        "/",
        build_request(certs["leaf_good"], certs["ica_b"]),
    )
    assert (status, _status(body)) == (200, "INTERNAL_ERROR")


def test_lifespan_startup_and_shutdown_are_acknowledged(app: OCSPAsgiApp) -> None:
    incoming = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    sent: list[dict] = []

    async def receive() -> dict:
        return incoming.pop(0)

    async def send(message: dict) -> None:
        sent.append(message)

    asyncio.run(app({"type": "lifespan"}, receive, send))
    assert [m["type"] for m in sent] == [
        "lifespan.startup.complete",
        "lifespan.shutdown.complete",
    ]
