"""The real July 2020 list of affected intermediates, read once into typed records.

``sim/data/incident-2020/`` ships four files: ``affected_intermediates.csv`` (the 293
SHA-256 fingerprints of https://github.com/hannob/badocspcert, matched to CCADB's
AllCertificatePEMsCSVFormat report, snapshot 2026-08-21), ``affected_intermediates.pem`` (the
260 certificates found), ``reissues.csv`` (their clean re-issues: same subject and key, no
OCSPSigning) and ``revocations.csv`` (the revocation dates a CA published, each with its
source; the list itself carries none, so every other entry's revocation is not known). This
module alone reads them; the registry (what the API and the CLI serve) and the simulation's
hierarchy (what the lessons and figures show) both build on ``affected_2020()``, so labels,
counts and dates are the same everywhere.

CA labels: the CSV's ``ca_owner_derived`` column is derived from the issuer name; its one
split label ("DigiCert (Baltimore CyberTrust Root)" beside "DigiCert") is merged here into the
14 CA organisations of the incident. The 33 fingerprints not found in CCADB are
``UNIDENTIFIED``.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from types import MappingProxyType

from sim.loader import OID_SERVER_AUTH, CertRecord, load_pem_bundle

__all__ = ["UNIDENTIFIED", "AffectedIntermediate", "affected_2020", "ca_labels_2020"]

#: Label of the listed fingerprints that are not in CCADB (only the hash is known).
UNIDENTIFIED = "unidentified"

#: ``ca_owner_derived`` labels merged into the 14 CA organisations of the incident
#: (the intermediates under Baltimore CyberTrust Root are DigiCert's, as is the one under
#: DigiCert Global Root G3).
_CA_ALIASES: Mapping[str, str] = MappingProxyType(
    {"DigiCert (Baltimore CyberTrust Root)": "DigiCert"}
)

_DIR = "data/incident-2020"


@dataclass(frozen=True)
class AffectedIntermediate:
    """One fingerprint of the 2020 list.

    Attributes:
        sha256: Lower-case hex SHA-256 of the certificate's DER.
        ca: The CA organisation (one of 14), or ``UNIDENTIFIED``.
        subject_cn: The subject's common name ("" when only the hash is known).
        subject: RFC 4514 subject ("" when only the hash is known).
        issuer: RFC 4514 issuer ("" when only the hash is known).
        ekus: The EKU OIDs read from the certificate's DER (empty: no EKU extension, any
            purpose); None when the certificate is not known.
        spki_sha256: SHA-256 of the SubjectPublicKeyInfo, None when not known.
        ski: subjectKeyIdentifier (hex), None when not known or absent.
        not_after: The certificate's expiry, None when not known.
        reissues: SHA-256 of the clean re-issues found in CCADB.
        revoked_on: The revocation date the CA published, None when no source gives one.
        revocation_source: Where ``revoked_on`` comes from, and how it was matched ("" if none).
    """

    sha256: str
    ca: str
    subject_cn: str
    subject: str
    issuer: str
    ekus: tuple[str, ...] | None
    spki_sha256: str | None
    ski: str | None
    not_after: dt.date | None
    reissues: tuple[str, ...]
    revoked_on: dt.date | None = None
    revocation_source: str = ""

    @property
    def known(self) -> bool:
        """Whether the certificate itself is known (found in CCADB), not only its hash."""
        return self.ekus is not None

    @property
    def name(self) -> str:
        """A label unique within the list: subject CN and fingerprint prefix."""
        return f"{self.subject_cn or '(not in CCADB)'} [{self.sha256[:8]}]"

    @property
    def tls_capable(self) -> bool | None:
        """Whether it can issue TLS server certificates (serverAuth, or no EKU extension)."""
        if self.ekus is None:
            return None
        return not self.ekus or OID_SERVER_AUTH in self.ekus


def _text(name: str) -> str:
    return resources.files("sim").joinpath(f"{_DIR}/{name}").read_text(encoding="utf-8")


def _csv_name(row: Mapping[str, str], which: str) -> str:
    parts = (f"CN={row[which + '_cn']}" if row[which + "_cn"] else "",
             f"O={row[which + '_o']}" if row[which + "_o"] else "")  # fmt: skip
    return ",".join(p for p in parts if p)


def _record_names(record: CertRecord | None, row: Mapping[str, str]) -> tuple[str, str]:
    if record is None:
        return "", ""
    if record.ok:
        return record.subject, record.issuer
    # One listed certificate is refused by cryptography; its names come from the CSV.
    return _csv_name(row, "subject"), _csv_name(row, "issuer")


def _revocations() -> dict[str, tuple[dt.date, str]]:
    out = {}
    for row in csv.DictReader(_text("revocations.csv").splitlines()):
        out[row["subject_cn"]] = (
            dt.date.fromisoformat(row["revoked_on"]),
            f"{row['source']} ({row['note']})",
        )
    return out


@functools.cache
def affected_2020() -> tuple[AffectedIntermediate, ...]:
    """The 293 listed intermediates, in the shipped file's order."""
    records = {
        r.sha256: r
        for r in load_pem_bundle(_text("affected_intermediates.pem").encode(), "shipped")
    }
    reissues: dict[str, list[str]] = {}
    for row in csv.DictReader(_text("reissues.csv").splitlines()):
        reissues.setdefault(row["listed_sha256"].lower(), []).append(row["reissue_sha256"].lower())
    revocations = _revocations()
    out = []
    for row in csv.DictReader(_text("affected_intermediates.csv").splitlines()):
        sha = row["sha256_hex"].lower()
        record = records.get(sha)
        label = row["ca_owner_derived"] or UNIDENTIFIED
        subject, issuer = _record_names(record, row)
        revoked_on, revocation_source = revocations.get(row["subject_cn"] or "-", (None, ""))
        out.append(
            AffectedIntermediate(
                sha256=sha,
                ca=_CA_ALIASES.get(label, label),
                subject_cn=row["subject_cn"],
                subject=subject,
                issuer=issuer,
                # EKUs come from the DER (sim.loader reads them even where cryptography
                # refuses the certificate; the CSV's column is empty for that one).
                ekus=None if record is None else record.ekus,
                spki_sha256=None if record is None else record.spki_sha256,
                ski=None if record is None else record.ski,
                not_after=dt.date.fromisoformat(row["not_after"][:10])
                if row["not_after"]
                else None,
                reissues=tuple(sorted(reissues.get(sha, []))),
                revoked_on=revoked_on,
                revocation_source=revocation_source,
            )
        )
    return tuple(out)


def ca_labels_2020() -> tuple[str, ...]:
    """The CA labels of the list, sorted (the 14 organisations and ``UNIDENTIFIED``)."""
    return tuple(sorted({a.ca for a in affected_2020()}))
