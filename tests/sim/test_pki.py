"""sim.pki: real hierarchies from declarative specs."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509 import DNSName
from cryptography.x509.oid import ExtendedKeyUsageOID, ExtensionOID
from cryptography.x509.verification import PolicyBuilder, Store, VerificationError

from sim.errors import SpecError
from sim.pki import build_hierarchy, seed_article_spec
from tests.conftest import NOW


def _spki_hash(cert: x509.Certificate) -> str:
    der = cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(der).hexdigest()


def _ext(cert: x509.Certificate, oid: x509.ObjectIdentifier) -> x509.Extension[Any]:
    return cert.extensions.get_extension_for_oid(oid)


def test_seed_article_chain_verifies_for_its_hostname() -> None:
    h = build_hierarchy(seed_article_spec(), now=NOW, seed=1)
    root, g2, leaf = (h[n].certificate for n in ("root", "intermediate_g2", "leaf"))
    assert root.subject.rfc4514_string() == "C=JP,O=Example CA,CN=Example CA Root X1"
    assert g2.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value == (
        "Example CA intermediate G2"
    )
    verifier = (
        PolicyBuilder()
        .store(Store([root]))
        .time(NOW + dt.timedelta(days=1))
        .build_server_verifier(DNSName("ssl.sakura.ad.jp"))
    )
    chain = verifier.verify(leaf, [g2])
    assert [c.subject for c in chain] == [leaf.subject, g2.subject, root.subject]


def test_seed_article_chain_fails_for_another_hostname() -> None:
    h = build_hierarchy(seed_article_spec(), now=NOW, seed=1)
    verifier = (
        PolicyBuilder()
        .store(Store([h["root"].certificate]))
        .time(NOW + dt.timedelta(days=1))
        .build_server_verifier(DNSName("example.org"))
    )
    with pytest.raises(VerificationError):
        verifier.verify(h["leaf"].certificate, [h["intermediate_g2"].certificate])


def test_same_seed_same_keys_and_serials_other_seed_differs() -> None:
    a = build_hierarchy(seed_article_spec(), now=NOW, seed=5)
    b = build_hierarchy(seed_article_spec(), now=NOW, seed=5)
    c = build_hierarchy(seed_article_spec(), now=NOW, seed=6)
    for name in ("root", "intermediate_g2", "leaf"):
        assert _spki_hash(a[name].certificate) == _spki_hash(b[name].certificate)
        assert a[name].certificate.serial_number == b[name].certificate.serial_number
        assert _spki_hash(a[name].certificate) != _spki_hash(c[name].certificate)


def test_intermediate_carries_requested_ekus_and_urls() -> None:
    g2 = build_hierarchy(seed_article_spec(), now=NOW, seed=1)["intermediate_g2"].certificate
    eku = _ext(g2, ExtensionOID.EXTENDED_KEY_USAGE).value
    assert ExtendedKeyUsageOID.OCSP_SIGNING in eku
    bc = _ext(g2, ExtensionOID.BASIC_CONSTRAINTS)
    assert bc.critical and bc.value.ca and bc.value.path_length == 0
    aia = _ext(g2, ExtensionOID.AUTHORITY_INFORMATION_ACCESS).value
    assert [d.access_location.value for d in aia] == ["http://ocsp.example-ca.test/"]
    crl = _ext(g2, ExtensionOID.CRL_DISTRIBUTION_POINTS).value
    assert crl[0].full_name[0].value == "http://crl.example-ca.test/root.crl"


def test_leaf_kinds_get_their_names_and_usages() -> None:
    spec = {
        "certificates": [
            {"name": "r", "kind": "root"},
            {"name": "ica", "kind": "intermediate", "issuer": "r", "path_length": 0},
            {"name": "mail", "kind": "smime", "issuer": "ica", "emails": ["a@example.org"]},
            {"name": "code", "kind": "code_signing", "issuer": "ica"},
            {"name": "ocsp", "kind": "ocsp_responder", "issuer": "ica", "validity_days": 4},
        ]
    }
    h = build_hierarchy(spec, now=NOW, seed=2)
    mail = h["mail"].certificate
    san = _ext(mail, ExtensionOID.SUBJECT_ALTERNATIVE_NAME).value
    assert san.get_values_for_type(x509.RFC822Name) == ["a@example.org"]
    assert list(_ext(mail, ExtensionOID.EXTENDED_KEY_USAGE).value) == [
        ExtendedKeyUsageOID.EMAIL_PROTECTION
    ]
    assert list(_ext(h["code"].certificate, ExtensionOID.EXTENDED_KEY_USAGE).value) == [
        ExtendedKeyUsageOID.CODE_SIGNING
    ]
    responder = h["ocsp"].certificate
    assert _ext(responder, ExtensionOID.OCSP_NO_CHECK).value == x509.OCSPNoCheck()
    assert not _ext(responder, ExtensionOID.BASIC_CONSTRAINTS).value.ca
    # RFC 5280 4.1.2.5: both ends count, so a 4-day lifetime ends 1 s before 4 * 24 h.
    lifetime = responder.not_valid_after_utc - responder.not_valid_before_utc
    assert lifetime == dt.timedelta(days=4) - dt.timedelta(seconds=1)


def test_rsa_key_and_explicit_validity() -> None:
    spec = {
        "certificates": [
            {
                "name": "r",
                "kind": "root",
                "key": "rsa-2048",
                "not_before": "2020-01-01T00:00:00Z",
                "not_after": "2030-01-01T00:00:00+00:00",
            }
        ]
    }
    root = build_hierarchy(spec, now=NOW, seed=0)["r"]
    assert isinstance(root.private_key, rsa.RSAPrivateKey)
    assert root.private_key.key_size == 2048
    assert root.certificate.not_valid_before_utc == dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    assert root.certificate.not_valid_after_utc == dt.datetime(2030, 1, 1, tzinfo=dt.UTC)


def test_key_from_reissues_with_the_same_key() -> None:
    spec = {
        "certificates": [
            {"name": "r", "kind": "root"},
            {"name": "old", "kind": "intermediate", "issuer": "r", "ekus": ["OCSPSigning"]},
            {"name": "new", "kind": "intermediate", "issuer": "r", "key_from": "old"},
        ]
    }
    h = build_hierarchy(spec, now=NOW, seed=3)
    assert isinstance(h["old"].private_key, ec.EllipticCurvePrivateKey)
    assert _spki_hash(h["old"].certificate) == _spki_hash(h["new"].certificate)
    assert h["old"].sha256 != h["new"].sha256
    assert h.chain("new")[-1].name == "r"
    assert {c.name for c in h.children("r")} == {"old", "new"}


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({}, "non-empty 'certificates'"),
        ({"certificates": [{"name": "x", "kind": "leaf"}]}, "'kind' must be one of"),
        ({"certificates": [{"kind": "root"}]}, "'name' is required"),
        ({"certificates": [{"name": "r", "kind": "root", "issuer": "r"}]}, "takes no 'issuer'"),
        ({"certificates": [{"name": "l", "kind": "tls_server"}]}, "needs an 'issuer'"),
        (
            {"certificates": [{"name": "l", "kind": "tls_server", "issuer": "nobody"}]},
            "issuer 'nobody' is not defined",
        ),
        (
            {
                "certificates": [
                    {"name": "r", "kind": "root"},
                    {"name": "a", "kind": "tls_server", "issuer": "r"},
                    {"name": "b", "kind": "tls_server", "issuer": "a"},
                ]
            },
            "is not a CA certificate",
        ),
        (
            {
                "certificates": [
                    {"name": "a", "kind": "intermediate", "issuer": "b"},
                    {"name": "b", "kind": "intermediate", "issuer": "a"},
                ]
            },
            "form a cycle",
        ),
        ({"certificates": [{"name": "r", "kind": "root", "key": "dsa"}]}, "'key' must be one of"),
        (
            {"certificates": [{"name": "r", "kind": "root", "validity_days": 0}]},
            "'validity_days' must be a whole number of days >= 1",
        ),
        (
            {"certificates": [{"name": "r", "kind": "root", "not_before": "2020-01-01T00:00"}]},
            "has no time zone",
        ),
        (
            {"certificates": [{"name": "r", "kind": "root", "ekus": ["flying"]}]},
            "EKU 'flying'",
        ),
        (
            {"certificates": [{"name": "r", "kind": "root"}, {"name": "r", "kind": "root"}]},
            "defined twice",
        ),
        ({"certificates": [{"name": "r", "kind": "root", "colour": "red"}]}, "unknown option"),
    ],
)
def test_invalid_specs_say_what_is_wrong(spec: dict[str, Any], message: str) -> None:
    with pytest.raises(SpecError, match=message):
        build_hierarchy(spec, now=NOW, seed=0)


def test_naive_now_is_refused() -> None:
    with pytest.raises(SpecError, match="timezone-aware"):
        build_hierarchy(seed_article_spec(), now=dt.datetime(2026, 1, 1), seed=0)
