"""sim.audit: findings on golden files, on the real 2020 list and on the CCADB corpus."""

from __future__ import annotations

import csv
import datetime as dt
import io
import subprocess
import warnings
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

import sim.audit
from sim.audit import CODES, Severity, audit, sibling_exposure, tls_validity_limit
from sim.audit_checks import CHECKS
from sim.loader import load_ccadb_csv, load_paths, load_pem_bundle
from sim.pki import build_hierarchy
from sim.rules import cite
from tests.conftest import NOW, REPO, TEST_DATA, require_tool, shared_path

GOLDEN = TEST_DATA / "golden"
SHIPPED = REPO / "sim/data/incident-2020"
#: DER of OBJECT IDENTIFIER 1.3.6.1.5.5.7.3.9 (id-kp-OCSPSigning), for an independent byte scan.
OCSP_SIGNING_OID_DER = bytes.fromhex("06082b06010505070309")


def _golden_cases() -> list[str]:
    return sorted(p.stem for p in GOLDEN.glob("*.pem"))


@pytest.mark.parametrize("name", _golden_cases())
def test_golden_file_gives_exactly_the_expected_codes(name: str) -> None:
    (record,) = load_paths([GOLDEN / f"{name}.pem"])
    expected = set((GOLDEN / f"{name}.expected").read_text().split())
    got = set(audit(record).codes)
    assert got == expected, f"missing {sorted(expected - got)}, unexpected {sorted(got - expected)}"


def test_every_finding_code_has_a_golden_file() -> None:
    covered: set[str] = set()
    for name in _golden_cases():
        covered |= set((GOLDEN / f"{name}.expected").read_text().split())
    assert covered == set(CODES)


def test_each_code_has_one_check_and_the_documented_severity() -> None:
    assert len({c.code for c in CHECKS}) == len(CHECKS)
    assert {c.code: c.severity for c in CHECKS} == CODES
    doc = sim.audit.__doc__ or ""
    for check in CHECKS:
        assert f"| ``{check.code}`` | {check.severity} |" in doc, check.code


def test_severities_order_by_how_bad_they_are_not_by_spelling() -> None:
    assert Severity.NOTICE < Severity.WARNING < Severity.ERROR < Severity.FATAL
    assert max([Severity.FATAL, Severity.ERROR, Severity.NOTICE]) is Severity.FATAL
    assert Severity("ERROR") is Severity.ERROR and Severity.ERROR == "ERROR"


def test_findings_carry_severity_and_cite_their_rule() -> None:
    (record,) = load_paths([GOLDEN / "ca_ocsp_signing_eku.pem"])
    findings = {f.code: f for f in audit(record).findings}
    assert findings["ca.ocsp_signing_eku"].severity is Severity.ERROR
    # Each message cites through sim.rules: the BR with the version the rule was read from.
    assert cite("rfc6960.delegated_responder") in findings["ca.ocsp_signing_eku"].message
    assert "BR 2.2.6 §7.1.2.10.6" in findings["ca.ocsp_signing_eku"].message
    assert "BR 1.7.0 §4.9.9" in findings["ocsp_responder.missing_nocheck"].message
    assert "BR 2.2.6 §7.1.2.8.6" in findings["ocsp_responder.missing_nocheck"].message


def _shipped_rows() -> dict[str, dict[str, str]]:
    text = (SHIPPED / "affected_intermediates.csv").read_text()
    return {row["sha256_hex"]: row for row in csv.DictReader(io.StringIO(text))}


def test_all_260_real_2020_intermediates_get_both_codes() -> None:
    records = load_pem_bundle((SHIPPED / "affected_intermediates.pem").read_bytes())
    assert len(records) == 260
    for r in records:
        codes = audit(r).codes
        assert {"ca.ocsp_signing_eku", "ocsp_responder.missing_nocheck"} <= codes, r.source


def test_bayerische_2014_carries_the_eku_that_the_csv_missed() -> None:
    """The shipped CSV says "Bayerische SSL-CA-2014-01" has no EKU: its extractor could not parse
    the certificate (a name constraint with host bits set). The DER does carry OCSPSigning,
    as OpenSSL shows; we read it from the raw DER and report both the refusal and the EKU."""
    rows = _shipped_rows()
    sha = next(h for h, row in rows.items() if row["subject_cn"] == "Bayerische SSL-CA-2014-01")
    assert rows[sha]["has_ocsp_signing_eku"] == "False"
    records = load_pem_bundle((SHIPPED / "affected_intermediates.pem").read_bytes())
    (record,) = [r for r in records if r.sha256 == sha]
    assert OCSP_SIGNING_OID_DER in (record.der or b"")
    assert audit(record).codes == {
        "cert.unparseable",
        "ca.ocsp_signing_eku",
        "ocsp_responder.missing_nocheck",
    }


def test_openssl_agrees_on_the_bayerische_eku(tmp_path: Path) -> None:
    openssl = require_tool("openssl")
    rows = _shipped_rows()
    sha = next(h for h, row in rows.items() if row["subject_cn"] == "Bayerische SSL-CA-2014-01")
    records = load_pem_bundle((SHIPPED / "affected_intermediates.pem").read_bytes())
    (record,) = [r for r in records if r.sha256 == sha]
    path = tmp_path / "bayerische.der"
    path.write_bytes(record.der or b"")
    out = subprocess.run(
        [openssl, "x509", "-inform", "DER", "-in", str(path), "-noout", "-text"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "OCSP Signing" in out and "CA:TRUE" in out


def _independent_scan(ders: list[bytes]) -> tuple[set[int], set[int]]:
    """(indexes of CA certificates whose DER holds the OCSPSigning OID, indexes refused)."""
    flagged, refused = set(), set()
    for i, der in enumerate(ders):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                cert = x509.load_der_x509_certificate(der)
                cert.extensions  # noqa: B018 - reading them is where refusals happen
        except ValueError:
            refused.add(i)
            cert = None
        if OCSP_SIGNING_OID_DER not in der:
            continue
        if cert is not None:
            bc = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
            eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
            if bc.ca and ExtendedKeyUsageOID.OCSP_SIGNING in eku:
                flagged.add(i)
        else:
            # Refused by the parser: a byte-level look for cA TRUE right after the
            # basicConstraints OID (06 03 55 1d 13 ... 01 01 ff).
            at = der.find(b"\x06\x03\x55\x1d\x13")
            if at >= 0 and b"\x01\x01\xff" in der[at + 5 : at + 16]:
                flagged.add(i)
    return flagged, refused


def _check_corpus(text: str) -> tuple[int, int, int]:
    records = load_ccadb_csv(text, "corpus")
    ders = [r.der or b"" for r in records]
    flagged, refused = _independent_scan(ders)
    results = [audit(r) for r in records]
    reported = {i for i, res in enumerate(results) if "ca.ocsp_signing_eku" in res.codes}
    unparseable = {i for i, res in enumerate(results) if "cert.unparseable" in res.codes}
    assert reported == flagged
    assert unparseable == refused
    for i in unparseable:
        message = next(f.message for f in results[i].findings if f.code == "cert.unparseable")
        assert records[i].error and records[i].error in message
    return len(records), len(reported), len(unparseable)


def test_vendored_ccadb_sample_flags_exactly_the_ocsp_signing_cas() -> None:
    total, flagged, refused = _check_corpus((TEST_DATA / "ccadb_sample.csv").read_text())
    assert total > 200 and flagged > 30 and refused > 10


@pytest.mark.corpus
def test_full_ccadb_corpus_flags_exactly_the_ocsp_signing_cas() -> None:
    path = shared_path("data", "ccadb", "AllCertificatePEMsCSVFormat.csv")
    total, flagged, refused = _check_corpus(path.read_text())
    # The README says about 10,200 certificates, about 340 with OCSPSigning, a few dozen refused.
    assert total > 10_000 and 300 < flagged < 400 and 10 < refused < 100


@pytest.mark.parametrize(
    ("not_before", "days"),
    [
        (dt.datetime(2012, 6, 30, tzinfo=dt.UTC), None),
        (dt.datetime(2012, 7, 1, tzinfo=dt.UTC), 1827),
        (dt.datetime(2015, 4, 1, tzinfo=dt.UTC), 1185),
        (dt.datetime(2016, 6, 30, tzinfo=dt.UTC), 1185),
        (dt.datetime(2016, 7, 1, tzinfo=dt.UTC), 1185),
        (dt.datetime(2018, 3, 1, tzinfo=dt.UTC), 825),
        (dt.datetime(2020, 8, 31, 23, 59, tzinfo=dt.UTC), 825),
        (dt.datetime(2020, 9, 1, tzinfo=dt.UTC), 398),
        (dt.datetime(2026, 3, 15, tzinfo=dt.UTC), 200),
        (dt.datetime(2027, 3, 15, tzinfo=dt.UTC), 100),
        (dt.datetime(2029, 3, 15, tzinfo=dt.UTC), 47),
    ],
)
def test_max_tls_validity_follows_the_schedule(not_before: dt.datetime, days: int | None) -> None:
    found = tls_validity_limit(not_before)
    assert (found.max_days if found else None) == days


def test_tls_limit_counts_both_ends_of_the_validity_period() -> None:
    root = {"name": "r", "kind": "root"}
    leaf = {
        "name": "leaf",
        "kind": "tls_server",
        "issuer": "r",
        "dns_names": ["a.example"],
        "not_before": "2026-04-01T00:00:00+00:00",
    }
    # Exactly 200 days (notAfter = notBefore + 200 d - 1 s) is allowed; one second more is not.
    ok = {**leaf, "not_after": "2026-10-17T23:59:59+00:00"}
    over = {**leaf, "not_after": "2026-10-18T00:00:00+00:00"}
    for spec, expected in ((ok, set()), (over, {"tls.validity_exceeds_max"})):
        h = build_hierarchy({"certificates": [root, spec]}, now=NOW, seed=1)
        (record,) = load_pem_bundle(h["leaf"].pem)
        assert set(audit(record).codes) == expected


def test_naive_not_before_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        tls_validity_limit(dt.datetime(2026, 1, 1))


def test_sibling_exposure_is_everything_the_same_issuer_key_signed() -> None:
    spec = {
        "certificates": [
            {"name": "R", "kind": "root"},
            {"name": "A", "kind": "intermediate", "issuer": "R", "ekus": ["OCSPSigning"]},
            {"name": "B", "kind": "intermediate", "issuer": "R"},
            {"name": "C", "kind": "intermediate", "issuer": "R"},
            {"name": "leaf", "kind": "tls_server", "issuer": "B", "dns_names": ["b.example"]},
            {"name": "R2", "kind": "root"},
            {"name": "D", "kind": "intermediate", "issuer": "R2"},
        ]
    }
    h = build_hierarchy(spec, now=NOW, seed=4)
    records = load_pem_bundle(b"".join(c.pem for c in h))
    (exposure,) = sibling_exposure(records)
    assert exposure.responder.sha256 == h["A"].sha256
    assert {c.sha256 for c in exposure.covered} == {h["B"].sha256, h["C"].sha256}


def test_real_2020_list_has_sibling_groups() -> None:
    records = load_pem_bundle((SHIPPED / "affected_intermediates.pem").read_bytes())
    exposures = sibling_exposure(records)
    largest = exposures[0]
    # Every covered certificate shares the responder's issuer key identifier.
    assert largest.covered and all(c.aki == largest.responder.aki for c in largest.covered)
    assert len(largest.covered) >= 10
