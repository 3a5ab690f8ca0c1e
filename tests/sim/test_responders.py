"""``sim.responders``: valid CA certificates with OCSPSigning in a real CCADB report.

Each figure is checked against an independent reading of the same bytes with `cryptography`
directly, never against a number written into the test.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
from collections import Counter
from functools import cache
from importlib import resources

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

from sim.der import certificate_validity
from sim.errors import ParameterError
from sim.loader import CertRecord, load_ccadb_csv
from sim.registry import shipped_registry
from sim.responders import by_issuer_organization, dangerous_responders
from tests.conftest import REPO, TEST_DATA, shared_path

LESSON_NOW = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


@cache
def _extract_text() -> str:
    data = resources.files("sim").joinpath("data", "ccadb", "responders_extract.csv.gz")
    return gzip.decompress(data.read_bytes()).decode()


@cache
def _extract() -> tuple[CertRecord, ...]:
    return tuple(load_ccadb_csv(_extract_text(), "extract"))


def _listed() -> set[str]:
    with (REPO / "sim/data/incident-2020/affected_intermediates.csv").open() as f:
        return {row["sha256_hex"].lower() for row in csv.DictReader(f)}


def _independent(text: str, now: dt.datetime) -> dict[str, int]:
    """sha256 -> sibling count, read with cryptography alone (parseable certificates only)."""
    certs: dict[str, x509.Certificate] = {}
    for row in list(csv.reader(io.StringIO(text)))[1:]:
        try:
            cert = x509.load_pem_x509_certificate(row[1].strip().encode())
            cert.extensions  # noqa: B018 (the parser refuses some extensions only when read)
        except ValueError:
            continue
        certs[row[0].lower()] = cert

    def ext(cert: x509.Certificate, kind: type[x509.ExtensionType]) -> object | None:
        try:
            return cert.extensions.get_extension_for_class(kind).value
        except x509.ExtensionNotFound:
            return None

    def aki(cert: x509.Certificate) -> str:
        value = ext(cert, x509.AuthorityKeyIdentifier)
        kid = getattr(value, "key_identifier", None)
        return f"aki:{kid.hex()}" if kid else f"name:{cert.issuer.rfc4514_string()}"

    def self_signed(cert: x509.Certificate) -> bool:
        value, ski = ext(cert, x509.AuthorityKeyIdentifier), ext(cert, x509.SubjectKeyIdentifier)
        kid = getattr(value, "key_identifier", None)
        return bool(kid) and ski is not None and kid == getattr(ski, "digest", None)

    groups = Counter(aki(c) for c in certs.values() if not self_signed(c))
    out = {}
    for sha, cert in certs.items():
        bc, eku = ext(cert, x509.BasicConstraints), ext(cert, x509.ExtendedKeyUsage)
        if not (bc is not None and getattr(bc, "ca", False)):
            continue
        if eku is None or ExtendedKeyUsageOID.OCSP_SIGNING not in eku:  # type: ignore[operator]
            continue
        if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
            continue
        out[sha] = 0 if self_signed(cert) else groups[aki(cert)] - 1
    return out


def test_the_shipped_extract_lists_what_cryptography_reads_in_it() -> None:
    found = dangerous_responders(_extract(), now=LESSON_NOW, listed=_listed())
    expected = _independent(_extract_text(), LESSON_NOW)
    assert {r.sha256: r.siblings for r in found if r.error is None} == expected
    assert len(expected) > 100  # the lesson's subject: a large set, not a handful


def test_on_2020_list_is_membership_of_the_shipped_list() -> None:
    listed = _listed()
    found = dangerous_responders(_extract(), now=LESSON_NOW, listed=listed)
    assert [r.on_2020_list for r in found] == [r.sha256 in listed for r in found]
    assert any(r.on_2020_list for r in found) and any(not r.on_2020_list for r in found)
    registry = {e.sha256 for e in shipped_registry().entries}
    assert registry == listed


def test_a_certificate_cryptography_refuses_is_read_from_its_der() -> None:
    refused = [r for r in _extract() if not r.ok and r.is_ca and r.has_ocsp_signing]
    assert refused, "the extract keeps the refused responders (Bayerische SSL-CA-2014-01)"
    target = refused[0]
    assert target.der is not None
    not_before, not_after = certificate_validity(target.der)
    inside = not_before + (not_after - not_before) / 2
    found = {r.sha256: r for r in dangerous_responders(_extract(), now=inside, listed=set())}
    item = found[target.sha256]
    assert item.error == target.error and item.error
    assert item.siblings is None and item.not_after == not_after
    after = {r.sha256 for r in dangerous_responders(
        _extract(), now=not_after + dt.timedelta(days=1), listed=set())}  # fmt: skip
    assert target.sha256 not in after


def test_validity_read_from_der_equals_cryptography_on_real_certificates() -> None:
    records = load_ccadb_csv((TEST_DATA / "ccadb_sample.csv").read_bytes(), "sample")
    checked = 0
    for r in records:
        if r.ok and r.der is not None:
            assert certificate_validity(r.der) == (r.not_before, r.not_after), r.source
            checked += 1
    assert checked > 200


def test_by_issuer_organization_adds_up() -> None:
    found = dangerous_responders(_extract(), now=LESSON_NOW, listed=_listed())
    rows = by_issuer_organization(found)
    assert sum(t for _, t, _ in rows) == len(found)
    assert sum(n for _, _, n in rows) == sum(not r.on_2020_list for r in found)
    assert [t for _, t, _ in rows] == sorted((t for _, t, _ in rows), reverse=True)


def test_a_naive_now_is_refused() -> None:
    with pytest.raises(ParameterError, match="timezone-aware"):
        dangerous_responders(_extract(), now=dt.datetime(2026, 11, 1), listed=set())


@pytest.mark.corpus
def test_the_extract_is_what_the_full_report_gives() -> None:
    report = shared_path("data", "ccadb", "AllCertificatePEMsCSVFormat.csv").read_text()
    full = dangerous_responders(load_ccadb_csv(report, "full"), now=LESSON_NOW, listed=_listed())
    part = dangerous_responders(_extract(), now=LESSON_NOW, listed=_listed())
    assert [(r.sha256, r.siblings, r.on_2020_list) for r in part] == [
        (r.sha256, r.siblings, r.on_2020_list) for r in full
    ]
