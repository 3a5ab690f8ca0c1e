"""What is dangerous about a certificate: findings with stable dotted codes.

The checks live in `sim.audit_checks`, one small function per code; this module runs them
and groups certificates by issuer key for the sibling exposure. A finding names its rule (cited
through `sim.rules.cite`, with the BR version), so a person can look it up:

| code | severity | rule |
|---|---|---|
| ``cert.unparseable`` | FATAL | the parser refused the certificate or its extensions |
| ``cert.nonconformant_encoding`` | NOTICE | parsed, but the parser warned (negative serial) |
| ``ca.ocsp_signing_eku`` | ERROR | RFC 6960 §4.2.2.2; BR 2.2.6 §7.1.2.10.6 (TLS subordinate CAs) |
| ``ocsp_responder.missing_nocheck`` | ERROR | BR 1.7.0 §4.9.9 / BR 2.2.6 §7.1.2.8.6 |
| ``ocsp_responder.is_ca`` | ERROR | BR 2.2.6 §7.1.2.8.4 (responder certificates are not CAs) |
| ``ocsp_responder.nocheck_not_null`` | ERROR | BR 2.2.6 §7.1.2.8.6 (value exactly ``05 00``) |
| ``tls.validity_exceeds_max`` | ERROR | the maximum TLS lifetime in force on the notBefore date |
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sim.audit_checks import CHECKS, Finding, Severity, tls_validity_limit
from sim.loader import CertRecord

__all__ = [
    "CODES",
    "AuditResult",
    "Finding",
    "Severity",
    "SiblingExposure",
    "audit",
    "sibling_exposure",
    "tls_validity_limit",
]

#: Every code the audit can report, with its severity (derived from the checks).
CODES: dict[str, Severity] = {check.code: check.severity for check in CHECKS}


@dataclass(frozen=True)
class AuditResult:
    """The findings for one certificate.

    Attributes:
        record: the certificate as loaded.
        findings: what is wrong with it, most severe first.
    """

    record: CertRecord
    findings: tuple[Finding, ...]

    @property
    def worst(self) -> Severity | None:
        """The most severe finding's severity, None when there is none."""
        return max((f.severity for f in self.findings), default=None)

    @property
    def codes(self) -> frozenset[str]:
        """The codes of the findings."""
        return frozenset(f.code for f in self.findings)


@dataclass(frozen=True)
class SiblingExposure:
    """The blast radius of one dangerous responder.

    A CA certificate with OCSPSigning is an authorized responder for every certificate its
    issuer's key signed directly (RFC 6960 4.2.2.2): its siblings and itself.

    Attributes:
        responder: the CA certificate that carries OCSPSigning.
        issuer_key: how the shared issuer key was identified (``aki:<hex>`` or ``name:<dn>``).
        covered: the other certificates of the set it can vouch for, itself excluded.
    """

    responder: CertRecord
    issuer_key: str
    covered: tuple[CertRecord, ...]


def audit(record: CertRecord) -> AuditResult:
    """Audit one certificate: every check's findings, most severe first."""
    findings = [finding for check in CHECKS for finding in check(record)]
    findings.sort(key=lambda f: (-f.severity.rank, f.code))
    return AuditResult(record, tuple(findings))


def _issuer_key(record: CertRecord) -> str:
    # The authorityKeyIdentifier names the issuer's key (RFC 5280 4.2.1.1); without one, fall
    # back to the issuer's name, which is all a relying party has.
    return f"aki:{record.aki}" if record.aki else f"name:{record.issuer}"


def sibling_exposure(records: Sequence[CertRecord]) -> list[SiblingExposure]:
    """For each CA certificate with OCSPSigning, the other certificates it can vouch for.

    Certificates are grouped by the key that issued them; self-signed roots are not counted
    as siblings of the intermediates they issued.
    """
    groups: dict[str, list[CertRecord]] = defaultdict(list)
    seen: set[str] = set()
    for r in records:
        if not r.ok or r.sha256 in seen:
            continue
        assert r.sha256 is not None
        seen.add(r.sha256)
        if r.aki and r.ski and r.aki == r.ski:
            continue  # self-signed: a root is nobody's sibling
        groups[_issuer_key(r)].append(r)
    out = []
    for key, members in groups.items():
        for r in members:
            if r.is_ca and r.has_ocsp_signing:
                covered = tuple(m for m in members if m.sha256 != r.sha256)
                out.append(SiblingExposure(r, key, covered))
    out.sort(key=lambda e: (-len(e.covered), e.responder.subject))
    return out
