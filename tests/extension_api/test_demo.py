"""``extension_api.demo``: the lessons' loopback demo site serves exactly the chain given."""

from __future__ import annotations

import socket
import ssl

import pytest
from flask.testing import FlaskClient

from extension_api.demo import affected_intermediate_pem, serve_chain
from sim.loader import load_pem_bundle
from sim.pki import Hierarchy
from sim.registry import shipped_registry


def _served_ders(host: str, port: int) -> list[bytes]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.set_ciphers("DEFAULT:@SECLEVEL=0")
    with (
        socket.create_connection((host, port), timeout=5) as raw,
        context.wrap_socket(raw) as tls,
    ):
        # Python 3.11: the served chain is only reachable through the private _sslobj.
        chain = tls._sslobj.get_unverified_chain()  # type: ignore[union-attr]
        return [c.public_bytes(ssl._ssl.ENCODING_DER) for c in chain]  # type: ignore[attr-defined]


def test_affected_intermediate_pem_is_a_listed_2020_intermediate() -> None:
    record = load_pem_bundle(affected_intermediate_pem(3))[0]
    assert shipped_registry().get(record.sha256 or "") is not None


def test_affected_intermediate_pem_outside_the_bundle_raises() -> None:
    with pytest.raises(IndexError, match="index must be in"):
        affected_intermediate_pem(10_000)


def test_serve_chain_without_certificates_raises() -> None:
    with pytest.raises(ValueError, match="at least the leaf"), serve_chain([], b""):
        pass  # pragma: no cover


def test_serve_chain_sends_the_leaf_and_a_real_intermediate_then_stops(pki: Hierarchy) -> None:
    real = affected_intermediate_pem(0)
    with serve_chain([pki["leaf"].pem, real], pki["leaf"].key_pem()) as site:
        assert site.host == "127.0.0.1"
        assert site.target == f"127.0.0.1:{site.port}"
        ders = _served_ders(site.host, site.port)
    assert ders == [pki["leaf"].der, load_pem_bundle(real)[0].der]
    with pytest.raises(OSError):
        socket.create_connection((site.host, site.port), timeout=1).close()


def test_the_api_judges_a_demo_site_affected(client: FlaskClient, pki: Hierarchy) -> None:
    with serve_chain([pki["leaf"].pem, affected_intermediate_pem(0)], pki["leaf"].key_pem()) as s:
        body = client.get(f"/v1/hosts/{s.host}?port={s.port}").json
    assert body is not None
    assert body["verdict"] == "affected"
    assert body["match"]["entry"]["ca_label"] == "AC Camerfirma"
