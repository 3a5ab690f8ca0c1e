"""sim.der and sim.timeparse: raw DER fields read once, with bounds; one ISO time parser."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from sim.der import certificate_spki, subject_public_key_bits
from sim.errors import DerError, ParameterError, SpecError
from sim.pki import build_hierarchy
from sim.times import parse_aware_time
from tests.conftest import NOW


@pytest.fixture(scope="module")
def certs() -> dict:
    spec = {
        "certificates": [
            {"name": "ec", "kind": "root"},
            {"name": "rsa", "kind": "root", "key": "rsa-2048"},
        ]
    }
    return {c.name: c.certificate for c in build_hierarchy(spec, now=NOW)}


@pytest.mark.parametrize("name", ["ec", "rsa"])
def test_public_key_bits_are_the_keys_own_encoding(certs: dict, name: str) -> None:
    cert = certs[name]
    key = cert.public_key()
    if name == "ec":
        expected = key.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    else:
        expected = key.public_bytes(Encoding.DER, PublicFormat.PKCS1)
    assert subject_public_key_bits(cert.tbs_certificate_bytes) == expected
    spki = key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    assert certificate_spki(cert.public_bytes(Encoding.DER)) == spki


@pytest.mark.parametrize("keep", [1, 2, 10, 60, -5])
def test_truncated_tbs_is_a_der_error_not_an_index_error(certs: dict, keep: int) -> None:
    # The copy that lived in sim.ocsp read past the end (IndexError) or returned a short slice.
    with pytest.raises(DerError):
        subject_public_key_bits(certs["ec"].tbs_certificate_bytes[:keep])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2020-07-01T00:00:00Z", dt.datetime(2020, 7, 1, tzinfo=dt.UTC)),
        ("2020-07-01T02:30:00+02:00", dt.datetime(2020, 7, 1, 0, 30, tzinfo=dt.UTC)),
        (" 2020-07-01 00:00+00:00 ", dt.datetime(2020, 7, 1, tzinfo=dt.UTC)),
    ],
)
def test_iso_times_are_read_into_utc(text: str, expected: dt.datetime) -> None:
    parsed = parse_aware_time(text, what="--now")
    assert parsed == expected and parsed.utcoffset() == dt.timedelta(0)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2020-07-01T00:00:00", "--now: '2020-07-01T00:00:00' has no time zone"),
        ("yesterday", "--now: 'yesterday' is not an ISO 8601 date-time"),
    ],
)
def test_bad_times_raise_the_callers_error_naming_the_field(text: str, message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        parse_aware_time(text, what="--now")
    with pytest.raises(SpecError, match=message):
        parse_aware_time(text, what="--now", error=SpecError)
