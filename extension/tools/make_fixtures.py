"""Write the JS unit tests' fixtures (extension/test/fixtures) from the project's real data.

Run with the project's venv: ``.venv/bin/python extension/tools/make_fixtures.py``.
Origins (also written to fixtures/README.md):

- The registry the tests match against is NOT written here: ``make_verdict_table.py`` takes it
  from the real API's ``GET /v1/registry`` into ``verdict_table.json`` (run it after this).
- ``expected_records.json``: for each of the 260 real 2020 intermediates in
  ``sim/data/incident-2020/affected_intermediates.pem``, the fields ``sim.loader`` reads (SHA-256,
  SPKI SHA-256, SKI, AKI, cA, EKUs, subject): the JS parser must agree on every one.
- ``quovadis_reissue.der``: a REAL certificate from the developers' CCADB snapshot (not shipped):
  the clean re-issue (same name and key, no OCSPSigning) of a listed QuoVadis intermediate.
- ``responder_real.der``: a REAL CA certificate from the CCADB snapshot that asserts
  OCSPSigning and is not on the list (by hash, key or key identifier).
- ``clean_real.der``: a REAL intermediate from the CCADB snapshot, not listed, no OCSPSigning.
- ``securityinfo-affected.json`` / ``securityinfo-clean.json``: objects shaped like Firefox's
  ``webRequest.getSecurityInfo(id, {certificateChain: true, rawDER: true})`` answer: a
  GENERATED leaf for affected.test (AKI = the real intermediate's SKI) followed by the REAL
  listed intermediate; a generated leaf followed by the real clean intermediate.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import sys
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from sim.loader import load_ccadb_csv, load_pem_bundle  # noqa: E402
from sim.registry import shipped_registry  # noqa: E402

OUT = REPO / "extension" / "test" / "fixtures"
CCADB = REPO.parent / "shared" / "data" / "ccadb" / "AllCertificatePEMsCSVFormat.csv"
NOW = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC)
REISSUE = "163cd2fcad0d6a87c8dafce056f594f3b53b917c0f925d40d92258ea277fc4f4"


def record_json(r):  # type: ignore[no-untyped-def]
    """The fields the JS parser must reproduce."""
    return {
        "sha256": r.sha256,
        "spki_sha256": r.spki_sha256,
        "ski": r.ski,
        "aki": r.aki,
        "is_ca": r.is_ca,
        "ekus": list(r.ekus),
        "subject": r.subject,
        "issuer": r.issuer,
    }


def leaf(host: str, issuer_name: x509.Name, aki: bytes | None) -> bytes:
    """A generated leaf for ``host`` naming ``issuer_name`` (signed by a throwaway key)."""
    key = ec.generate_private_key(ec.SECP256R1())
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)]))
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - dt.timedelta(days=1))
        .not_valid_after(NOW + dt.timedelta(days=90))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    )
    if aki is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier(aki, None, None), critical=False
        )
    return builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


def cert_info(der: bytes) -> dict[str, object]:
    """One CertificateInfo as Firefox reports it (rawDER as an array of numbers)."""
    cert = x509.load_der_x509_certificate(der)
    spki = cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    colon = lambda b: ":".join(f"{x:02X}" for x in b)  # noqa: E731
    return {
        "subject": cert.subject.rfc4514_string(),
        "issuer": cert.issuer.rfc4514_string(),
        "validity": {
            "start": int(cert.not_valid_before_utc.timestamp() * 1000),
            "end": int(cert.not_valid_after_utc.timestamp() * 1000),
        },
        "fingerprint": {
            "sha1": colon(hashlib.sha1(der).digest()),
            "sha256": colon(hashlib.sha256(der).digest()),
        },
        "serialNumber": colon(cert.serial_number.to_bytes(20, "big").lstrip(b"\0")),
        "isBuiltInRoot": False,
        "subjectPublicKeyInfoDigest": {"sha256": base64.b64encode(hashlib.sha256(spki).digest()).decode()},
        "rawDER": list(der),
    }


def security_info(ders: list[bytes]) -> dict[str, object]:
    """A SecurityInfo as getSecurityInfo(id, {certificateChain: true, rawDER: true}) answers."""
    return {
        "state": "secure",
        "protocolVersion": "TLSv1.3",
        "cipherSuite": "TLS_AES_128_GCM_SHA256",
        "keaGroupName": "x25519",
        "signatureSchemeName": "ECDSA-P256-SHA256",
        "certificateTransparencyStatus": "not_applicable",
        "hsts": False,
        "hpkp": "",
        "isExtendedValidation": False,
        "secretKeyLength": 128,
        "usedEch": False,
        "usedDelegatedCredentials": False,
        "usedOcsp": False,
        "usedPrivateDns": False,
        "weaknessReasons": [],
        "certificates": [cert_info(d) for d in ders],
    }


def main() -> None:
    """Write every fixture."""
    OUT.mkdir(parents=True, exist_ok=True)
    registry = shipped_registry()
    pem = (REPO / "sim/data/incident-2020/affected_intermediates.pem").read_bytes()
    records = [r for r in load_pem_bundle(pem, "shipped") if r.ok]
    (OUT / "expected_records.json").write_text(
        json.dumps([record_json(r) for r in records], indent=1) + "\n"
    )
    corpus = [r for r in load_ccadb_csv(CCADB.read_bytes(), "ccadb") if r.ok and r.der]
    by_sha = {r.sha256: r for r in corpus}
    reissue = by_sha[REISSUE]
    (OUT / "quovadis_reissue.der").write_bytes(reissue.der or b"")
    listed_spki = set(registry.by_spki)
    listed_ski = set(registry.by_ski)

    def unlisted(r):  # type: ignore[no-untyped-def]
        return (
            registry.get(r.sha256 or "") is None
            and r.spki_sha256 not in listed_spki
            and r.aki not in listed_ski
            and r.ski not in listed_ski
        )

    responder = next(
        r
        for r in corpus
        if r.is_ca and r.has_ocsp_signing and unlisted(r) and r.subject != r.issuer
        and r.not_after is not None and r.not_after > NOW
    )
    clean = next(
        r
        for r in corpus
        if r.is_ca and not r.has_ocsp_signing and "1.3.6.1.5.5.7.3.1" in r.ekus and unlisted(r)
        and r.subject != r.issuer and r.not_after is not None and r.not_after > NOW
        and r.not_before is not None and r.not_before.year >= 2020 and r.ski is not None
    )
    (OUT / "responder_real.der").write_bytes(responder.der or b"")
    (OUT / "clean_real.der").write_bytes(clean.der or b"")
    affected = next(r for r in records if r.sha256 == "04ecba8f92bff7458c4a5e7c69261fc7e2ef52d5af54fbdd92b17141bbe0651f")
    assert affected.certificate is not None and clean.certificate is not None
    affected_leaf = leaf(
        "affected.test", affected.certificate.subject, bytes.fromhex(affected.ski or "")
    )
    clean_leaf = leaf("clean.test", clean.certificate.subject, bytes.fromhex(clean.ski or ""))
    (OUT / "securityinfo-affected.json").write_text(
        json.dumps(security_info([affected_leaf, affected.der or b""])) + "\n"
    )
    (OUT / "securityinfo-clean.json").write_text(
        json.dumps(security_info([clean_leaf, clean.der or b""])) + "\n"
    )
    (OUT / "expected_misc.json").write_text(
        json.dumps(
            {
                "reissue": record_json(reissue),
                "responder": record_json(responder),
                "clean": record_json(clean),
                "affected": record_json(affected),
            },
            indent=1,
        )
        + "\n"
    )
    print(f"responder: {responder.subject}\nclean: {clean.subject}\naffected: {affected.subject}")


if __name__ == "__main__":
    main()
