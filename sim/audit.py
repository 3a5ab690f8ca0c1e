"""What is dangerous about a certificate: findings with stable dotted codes.

Each check is a small function of one `CertRecord` (plus, for sibling exposure, the set of
records it is audited with). A finding names its rule, so a person can look it up:

| code | severity | rule |
|---|---|---|
| ``cert.unparseable`` | FATAL | the parser refused the certificate or its extensions |
| ``cert.nonconformant_encoding`` | NOTICE | parsed, but the parser warned (negative serial) |
| ``ca.ocsp_signing_eku`` | ERROR | RFC 6960 4.2.2.2; BR 7.1.2.10.6 |
| ``ocsp_responder.missing_nocheck`` | ERROR | BR 4.9.9 (v1.7.0) / 7.1.2.8.6 |
| ``ocsp_responder.is_ca`` | ERROR | BR 7.1.2.8 (responder certificates are not CAs) |
| ``ocsp_responder.nocheck_not_null`` | ERROR | BR 7.1.2.8.6 (value exactly ``05 00``) |
| ``tls.validity_exceeds_max`` | ERROR | BR 6.3.2 as in force on the notBefore date |

Which certificates count as "OCSP responder certificates" for the ``ocsp_responder.*`` family:
every certificate that asserts id-kp-OCSPSigning for ``missing_nocheck`` and ``nocheck_not_null``
(the rule in force in 2020 applied to the intermediates too); for ``is_ca`` only *dedicated*
responders, whose EKU is OCSPSigning alone, because a CA that merely chains the EKU among others
is already reported as ``ca.ocsp_signing_eku`` and must not be counted twice.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sim.errors import ParameterError
from sim.loader import OID_OCSP_SIGNING, OID_SERVER_AUTH, CertRecord
from sim.policy import tls_max_validity_rule

__all__ = [
    "CODES",
    "AuditResult",
    "Finding",
    "Severity",
    "SiblingExposure",
    "audit",
    "audit_all",
    "max_tls_validity_days",
    "sibling_exposure",
]


class Severity(enum.IntEnum):
    """How bad a finding is; MUST-level rules are ERROR (pkilint's convention)."""

    NOTICE = 1
    WARNING = 2
    ERROR = 3
    FATAL = 4


@dataclass(frozen=True)
class Finding:
    """One thing wrong with one certificate.

    Attributes:
        code: stable dotted code, e.g. ``ca.ocsp_signing_eku``.
        severity: FATAL, ERROR, WARNING or NOTICE.
        message: a sentence a person understands, citing the rule.
    """

    code: str
    severity: Severity
    message: str


#: Every code this module can report, with its severity.
CODES: dict[str, Severity] = {
    "cert.unparseable": Severity.FATAL,
    "cert.nonconformant_encoding": Severity.NOTICE,
    "ca.ocsp_signing_eku": Severity.ERROR,
    "ocsp_responder.missing_nocheck": Severity.ERROR,
    "ocsp_responder.is_ca": Severity.ERROR,
    "ocsp_responder.nocheck_not_null": Severity.ERROR,
    "tls.validity_exceeds_max": Severity.ERROR,
}

_NOCHECK_NULL = b"\x05\x00"


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


def max_tls_validity_days(not_before: dt.datetime) -> tuple[int, str] | None:
    """The maximum TLS server certificate lifetime in force on ``not_before``, with its rule.

    Asks ``sim.policy.tls_max_validity_rule``, the one place that holds the schedule.

    Returns None before the first dated limit (2012-07-01 in the shipped table).

    Raises:
        ParameterError: ``not_before`` is naive.
    """
    if not_before.tzinfo is None:
        raise ParameterError("not_before must be timezone-aware")
    rule = tls_max_validity_rule(not_before)
    return None if rule is None else (rule.max_days, rule.rule)


def _is_tls_server_leaf(record: CertRecord) -> bool:
    if record.is_ca:
        return False
    if record.has_eku_extension:
        return OID_SERVER_AUTH in record.ekus
    # No EKU at all means "any purpose" (RFC 5280 4.2.1.12); count it when it names hosts.
    return bool(record.dns_names)


def _nocheck_not_null(value: bytes) -> Finding:
    return Finding(
        "ocsp_responder.nocheck_not_null",
        Severity.ERROR,
        f"id-pkix-ocsp-nocheck must be encoded as NULL (05 00), found {value.hex(' ')} "
        "(BR 7.1.2.8.6).",
    )


def _check(record: CertRecord) -> list[Finding]:
    out: list[Finding] = []
    if not record.ok:
        out.append(
            Finding(
                "cert.unparseable",
                Severity.FATAL,
                f"The certificate cannot be parsed: {record.error}",
            )
        )
    # For a refused certificate the loader still read EKU, basicConstraints and nocheck from
    # the raw DER: a malformed name constraint does not make an OCSPSigning CA less dangerous.
    if record.has_ocsp_signing:
        if record.is_ca:
            out.append(
                Finding(
                    "ca.ocsp_signing_eku",
                    Severity.ERROR,
                    "This CA certificate asserts id-kp-OCSPSigning, so it is an authorized OCSP "
                    "responder for every certificate its issuer signed directly, its siblings "
                    "and itself (RFC 6960 4.2.2.2); CA certificates must not carry it "
                    "(BR 7.1.2.10.6).",
                )
            )
            if set(record.ekus) == {OID_OCSP_SIGNING}:
                out.append(
                    Finding(
                        "ocsp_responder.is_ca",
                        Severity.ERROR,
                        "A dedicated OCSP responder certificate must not be a CA certificate "
                        "(BR 7.1.2.8: basicConstraints cA must be false).",
                    )
                )
        if record.nocheck is None:
            out.append(
                Finding(
                    "ocsp_responder.missing_nocheck",
                    Severity.ERROR,
                    "The certificate asserts id-kp-OCSPSigning but lacks id-pkix-ocsp-nocheck "
                    "(BR 4.9.9; BR 7.1.2.8.6), so nothing says how to check its own revocation.",
                )
            )
        elif record.nocheck != _NOCHECK_NULL:
            out.append(_nocheck_not_null(record.nocheck))
    if (
        record.ok
        and _is_tls_server_leaf(record)
        and record.not_before is not None
        and record.not_after is not None
    ):
        limit = max_tls_validity_days(record.not_before)
        if limit is not None:
            days, rule = limit
            # BR 1.6.1 "validity period": notBefore to notAfter inclusive, so add one second.
            lifetime = record.not_after - record.not_before + dt.timedelta(seconds=1)
            if lifetime > dt.timedelta(days=days):
                out.append(
                    Finding(
                        "tls.validity_exceeds_max",
                        Severity.ERROR,
                        f"This TLS server certificate is valid for "
                        f"{lifetime / dt.timedelta(days=1):.1f} days; on its notBefore date "
                        f"({record.not_before.date()}) the maximum was "
                        f"{days} days ({rule}).",
                    )
                )
    for note in record.parse_warnings:
        out.append(
            Finding(
                "cert.nonconformant_encoding",
                Severity.NOTICE,
                f"The parser accepted the certificate but warned: {note}.",
            )
        )
    return out


def audit(record: CertRecord) -> AuditResult:
    """Audit one certificate."""
    findings = sorted(_check(record), key=lambda f: (-f.severity, f.code))
    return AuditResult(record, tuple(findings))


def audit_all(records: Iterable[CertRecord]) -> list[AuditResult]:
    """Audit every certificate, in order."""
    return [audit(r) for r in records]


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
