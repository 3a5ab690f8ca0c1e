"""``POST /v1/chain``: verdicts on posted chains, and refusals of bad input."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from flask.testing import FlaskClient

from sim.pki import Hierarchy
from tests.conftest import NOW
from tests.extension_api.tls_servers import affected_intermediate_pem


def _post(client: FlaskClient, body: Any) -> tuple[int, Any]:
    response = client.post("/v1/chain", json=body)
    return response.status_code, response.json


def test_a_chain_with_a_real_affected_intermediate_is_affected(
    client: FlaskClient, pki: Hierarchy
) -> None:
    status, body = _post(client, {"chain": [pki["leaf"].pem.decode(),
                                            affected_intermediate_pem(3).decode()]})
    assert status == 200
    assert body["verdict"] == "affected"
    assert body["match"]["position"] == 1
    assert body["match"]["entry"]["incident"] == "ocsp-eku-2020"


def test_base64_der_is_accepted_like_pem(client: FlaskClient, pki: Hierarchy) -> None:
    chain = [base64.b64encode(c.der).decode() for c in pki.chain("leaf")]
    status, body = _post(client, {"chain": chain})
    assert (status, body["verdict"]) == (200, "clean")
    assert [c["sha256"] for c in body["chain"]] == [c.sha256 for c in pki.chain("leaf")]


def test_a_ca_with_ocsp_signing_is_a_dangerous_responder(client: FlaskClient) -> None:
    from sim.pki import build_hierarchy

    h = build_hierarchy(
        {"name": "r", "certificates": [
            {"name": "root", "kind": "root"},
            {"name": "ica", "kind": "intermediate", "issuer": "root",
             "ekus": ["serverAuth", "OCSPSigning"]},
            {"name": "leaf", "kind": "tls_server", "issuer": "ica", "dns_names": ["a.test"]},
        ]},
        now=NOW, seed=7,
    )
    status, body = _post(client, {"chain": [c.pem.decode() for c in h.chain("leaf")]})
    assert (status, body["verdict"], body["match"]) == (200, "dangerous_responder", None)


_BAD = [
    ({}, "invalid_body"),
    ([], "invalid_body"),
    ({"chain": []}, "invalid_chain"),
    ({"chain": "pem"}, "invalid_chain"),
    ({"chain": [1]}, "invalid_chain"),
    ({"chain": [None]}, "invalid_chain"),
    ({"chain": ["not base64 !!"]}, "invalid_certificate"),
    ({"chain": [base64.b64encode(b"\x30\x03\x02\x01\x01").decode()]}, "invalid_certificate"),
    ({"chain": ["-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"]},
     "invalid_certificate"),
    ({"chain": ["-----BEGIN CERTIFICATE-----\nMIIB"]}, "invalid_certificate"),
    ({"chain": ["-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"]},
     "invalid_certificate"),
    ({"chain": ["QUFB"] * 11}, "chain_too_long"),
    ({"chain": ["A" * 70_000]}, "invalid_chain"),
    ({"chain": ["\u00e9\u00e9"]}, "invalid_certificate"),
]


def test_a_chain_of_certificate_shaped_junk_is_unknown_not_clean(client: FlaskClient) -> None:
    # 30 02 30 00: a SEQUENCE holding an empty SEQUENCE, accepted as "structurally a
    # certificate" so that real refused certificates still get a verdict; nothing parses.
    status, body = _post(client, {"chain": ["MAIwAA=="]})
    assert (status, body["verdict"]) == (200, "unknown")
    assert "could be parsed" in body["reasons"][0]
    assert any("could not be parsed" in r for r in body["reasons"][1:])


@pytest.mark.parametrize(("body", "code"), _BAD)
def test_malformed_chains_are_a_400_naming_the_problem(
    client: FlaskClient, body: Any, code: str
) -> None:
    status, answer = _post(client, body)
    assert status == 400
    assert answer["error"]["code"] == code
    assert answer["error"]["message"]


@pytest.mark.parametrize(("body", "code"), _BAD)
def test_malformed_chain_messages_speak_words_not_parser_internals(
    client: FlaskClient, body: Any, code: str
) -> None:
    message = _post(client, body)[1]["error"]["message"]
    for internal in ("ParseError", "ShortData", "kind:", "ValueError", "asn1", "Traceback"):
        assert internal not in message


def test_der_that_is_no_certificate_says_why_in_words(client: FlaskClient) -> None:
    # SEQUENCE { INTEGER 1 }: DER, but not the shape of a certificate.
    item = base64.b64encode(b"\x30\x03\x02\x01\x01").decode()
    message = _post(client, {"chain": ["MAIwAA==", item]})[1]["error"]["message"]
    assert message == (
        "chain[1]: not a certificate (the bytes are not DER of an X.509 certificate: "
        "TBSCertificate is not a SEQUENCE)"
    )


def test_two_certificates_in_one_pem_item_are_refused(
    client: FlaskClient, pki: Hierarchy
) -> None:
    status, body = _post(client, {"chain": [(pki["leaf"].pem + pki["ica"].pem).decode()]})
    assert status == 400
    assert "chain[0]: holds 2 certificates" in body["error"]["message"]


@pytest.mark.parametrize(
    "data", [b"{", b"null", b"\xff\xfe", b'{"chain": [', b"[" * 5000 + b"]" * 5000]
)
def test_bodies_that_are_not_json_are_a_400(client: FlaskClient, data: bytes) -> None:
    response = client.post("/v1/chain", data=data, content_type="application/json")
    assert response.status_code == 400
    assert response.json["error"]["code"] in {"invalid_json", "invalid_body"}  # type: ignore[index]


def test_a_1_mb_body_is_a_413(client: FlaskClient) -> None:
    response = client.post("/v1/chain", data=b"x" * 1_000_000, content_type="application/json")
    assert response.status_code == 413
    assert response.json["error"]["code"] == "body_too_large"  # type: ignore[index]
    limit = client.application.extensions["revlab"].settings.max_body
    assert response.json["error"]["message"] == (  # type: ignore[index]
        f"The request body is larger than the limit of {limit:,} bytes; "
        "nothing of it was processed."
    )


def test_a_real_intermediate_cryptography_refuses_is_still_affected(
    client: FlaskClient, pki: Hierarchy
) -> None:
    """"Bayerische SSL-CA-2014-01" (2020 list) has a name constraint cryptography refuses: the
    verdict still matches its fingerprint and says the certificate could not be parsed."""
    from sim.loader import load_pem_bundle
    from tests.conftest import REPO

    pem = (REPO / "sim/data/incident-2020/affected_intermediates.pem").read_bytes()
    (refused,) = [r for r in load_pem_bundle(pem) if not r.ok]
    chain = [pki["leaf"].pem.decode(), base64.b64encode(refused.der or b"").decode()]
    status, body = _post(client, {"chain": chain})
    assert status == 200
    assert body["verdict"] == "affected"
    assert body["match"]["entry"]["sha256"] == refused.sha256
    assert "Bayerische SSL-CA-2014-01" in body["match"]["entry"]["subject"]
    assert any("could not be parsed" in reason for reason in body["reasons"])
