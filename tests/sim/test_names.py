"""sim.names: the fast RFC 4514 rendering is `cryptography`'s own, on every real name we have."""

from __future__ import annotations

import base64
import datetime as dt
import warnings

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.name import _ASN1Type
from cryptography.x509.oid import NameOID

from sim.der import certificate_names, certificate_tbs
from sim.loader import CertRecord, load_ccadb_csv, load_pem_bundle
from sim.names import rfc4514_name
from tests.conftest import REPO, TEST_DATA, shared_path


def _reference(record: CertRecord) -> tuple[str, str]:
    assert record.certificate is not None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return (
            record.certificate.issuer.rfc4514_string(),
            record.certificate.subject.rfc4514_string(),
        )


def _assert_same_as_cryptography(records: list[CertRecord]) -> int:
    parsed = [r for r in records if r.certificate is not None]
    mismatches = [r.source for r in parsed if (r.issuer, r.subject) != _reference(r)]
    assert mismatches == []
    return len(parsed)


def test_real_names_render_as_cryptography_renders_them() -> None:
    records = load_ccadb_csv((TEST_DATA / "ccadb_sample.csv").read_bytes(), "sample")
    records += load_pem_bundle(
        (REPO / "sim/data/incident-2020/affected_intermediates.pem").read_bytes()
    )
    assert _assert_same_as_cryptography(records) > 300


@pytest.mark.corpus
def test_every_name_of_the_ccadb_corpus_renders_as_cryptography_renders_it() -> None:
    path = shared_path("data", "ccadb", "AllCertificatePEMsCSVFormat.csv")
    assert _assert_same_as_cryptography(load_ccadb_csv(path.read_bytes(), "corpus")) > 10_000


def _certificate(name: x509.Name) -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    when = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(when)
        .not_valid_after(when + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(Encoding.DER)


ODD_NAMES = [
    # Every character RFC 4514 escapes, a leading '#' and spaces at both ends.
    x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, '#a,b+c;d<e>f"g\\h\0 ')]),
    x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, " lead")]),
    # A multi-valued RDN, kept in encoded order, and an OID without a short name.
    x509.Name([
        x509.RelativeDistinguishedName([
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "Unit"),
            x509.NameAttribute(NameOID.COMMON_NAME, "Multi"),
        ]),
        x509.RelativeDistinguishedName([x509.NameAttribute(NameOID.SERIAL_NUMBER, "42")]),
    ]),
    # BMPString and UniversalString values, and non-ASCII UTF-8.
    x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Żółw 日本", _ASN1Type.BMPString),
        x509.NameAttribute(NameOID.LOCALITY_NAME, "Ünïcode", _ASN1Type.UniversalString),
        x509.NameAttribute(NameOID.COMMON_NAME, "ação"),
    ]),
    # An x500UniqueIdentifier (a BIT STRING): left to cryptography.
    x509.Name([
        x509.NameAttribute(NameOID.X500_UNIQUE_IDENTIFIER, b"\x00\x01", _ASN1Type.BitString)
    ]),
]


@pytest.mark.parametrize("name", ODD_NAMES, ids=range(len(ODD_NAMES)))
def test_odd_names_render_as_cryptography_renders_them(name: x509.Name) -> None:
    der = _certificate(name)
    body = base64.encodebytes(der)
    pem = b"-----BEGIN CERTIFICATE-----\n" + body + b"-----END CERTIFICATE-----\n"
    (record,) = load_pem_bundle(pem)
    assert (record.issuer, record.subject) == _reference(record) == (name.rfc4514_string(),) * 2
    _, subject = certificate_names(certificate_tbs(der))
    fast = rfc4514_name(subject)
    # All but the bit string go through the fast path, which must give the same string.
    assert fast == (None if name is ODD_NAMES[-1] else name.rfc4514_string())


def test_bit_strings_are_left_to_cryptography() -> None:
    der = _certificate(ODD_NAMES[-1])
    _, subject = certificate_names(certificate_tbs(der))
    assert rfc4514_name(subject) is None
    assert rfc4514_name(b"\x30\x03\x31\x01") is None  # malformed: no fast answer, no exception
