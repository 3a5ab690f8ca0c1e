"""The audit's checks: one small function per finding code, registered in `CHECKS`.

Each check takes one `CertRecord` and yields the messages of its findings (usually none, at
most one; ``cert.nonconformant_encoding`` gives one per parser warning). The code, severity and
rule of a check are declared once, with the check; `sim.audit.CODES` is derived from `CHECKS`,
and the golden-file tests prove that each code is reported where it should be.

Which certificates count as "OCSP responder certificates" for the ``ocsp_responder.*`` family:
every certificate that asserts id-kp-OCSPSigning for ``missing_nocheck`` and ``nocheck_not_null``
(the rule in force in 2020 applied to the intermediates too); for ``is_ca`` only *dedicated*
responders, whose EKU is OCSPSigning alone, because a CA that merely chains the EKU among others
is already reported as ``ca.ocsp_signing_eku`` and must not be counted twice.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from sim.loader import OID_OCSP_SIGNING, OID_SERVER_AUTH, CertRecord
from sim.policy import tls_max_validity_rule
from sim.rules import cite

__all__ = [
    "CHECKS",
    "Check",
    "Finding",
    "Severity",
    "tls_validity_limit",
]


class Severity(enum.StrEnum):
    """How bad a finding is; MUST-level rules are ERROR (pkilint's convention).

    Severities compare by how bad they are (NOTICE < WARNING < ERROR < FATAL), not as strings.
    """

    NOTICE = "NOTICE"
    WARNING = "WARNING"
    ERROR = "ERROR"
    FATAL = "FATAL"

    @property
    def rank(self) -> int:
        """1 for NOTICE up to 4 for FATAL."""
        return _RANK[self]

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank < other.rank

    def __le__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank <= other.rank

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank > other.rank

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank >= other.rank


_RANK: dict[Severity, int] = {s: i for i, s in enumerate(Severity, start=1)}
#: The DER of NULL: BR 2.2.6 §7.1.2.8.6 wants exactly these bytes as the ocsp-nocheck value.
_NULL_DER = b"\x05\x00"


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


@dataclass(frozen=True)
class Check:
    """One check: its code, severity and rule, and the function that finds it.

    Attributes:
        code: the dotted code of its findings.
        severity: the severity of its findings.
        rule: the rule it implements, for the documentation table.
        find: yields one message per finding on a record.
    """

    code: str
    severity: Severity
    rule: str
    find: Callable[[CertRecord], Iterator[str]]

    def __call__(self, record: CertRecord) -> Iterator[Finding]:
        """The findings of this check on one record."""
        for message in self.find(record):
            yield Finding(self.code, self.severity, message)


def _unparseable(record: CertRecord) -> Iterator[str]:
    if not record.ok:
        yield f"The certificate cannot be parsed: {record.error}"


# For a refused certificate the loader still read EKU, basicConstraints and nocheck from the
# raw DER: a malformed name constraint does not make an OCSPSigning CA less dangerous. So the
# OCSP checks below run on refused certificates too.


def _ca_ocsp_signing(record: CertRecord) -> Iterator[str]:
    if record.has_ocsp_signing and record.is_ca:
        yield (
            "This CA certificate asserts id-kp-OCSPSigning, so it is an authorized OCSP "
            "responder for every certificate its issuer signed directly, its siblings "
            f"and itself ({cite('rfc6960.delegated_responder')}); a TLS subordinate CA "
            f"certificate must not carry it ({cite('br.tls_subca_eku')})."
        )


def _responder_is_ca(record: CertRecord) -> Iterator[str]:
    if record.is_ca and set(record.ekus) == {OID_OCSP_SIGNING}:
        yield (
            "A dedicated OCSP responder certificate must not be a CA certificate "
            f"({cite('br.responder_not_ca')}: basicConstraints cA must be false)."
        )


def _missing_nocheck(record: CertRecord) -> Iterator[str]:
    if record.has_ocsp_signing and record.nocheck is None:
        yield (
            "The certificate asserts id-kp-OCSPSigning but lacks id-pkix-ocsp-nocheck "
            f"({cite('br2020.responder_nocheck')}; today {cite('br.responder_nocheck')}), so "
            "nothing says how to check its own revocation."
        )


def _nocheck_not_null(record: CertRecord) -> Iterator[str]:
    value = record.nocheck
    if record.has_ocsp_signing and value is not None and value != _NULL_DER:
        yield (
            f"id-pkix-ocsp-nocheck must be encoded as NULL (05 00), found {value.hex(' ')} "
            f"({cite('br.responder_nocheck')})."
        )


#: The rule on TLS server certificate lifetime in force on a notBefore (section 6.3.2 of the BR
#: version then in force, each row citing its version), or None before
#: the first dated limit (2012-07-01): `sim.policy.tls_max_validity_rule`, the one place that
#: holds the schedule, under the audit's name.
tls_validity_limit = tls_max_validity_rule


def _is_tls_server_leaf(record: CertRecord) -> bool:
    if record.is_ca:
        return False
    if record.has_eku_extension:
        return OID_SERVER_AUTH in record.ekus
    # No EKU at all means "any purpose" (RFC 5280 4.2.1.12); count it when it names hosts.
    return bool(record.dns_names)


def _validity_exceeds_max(record: CertRecord) -> Iterator[str]:
    if not record.ok or not _is_tls_server_leaf(record):
        return
    not_before, not_after = record.not_before, record.not_after
    if not_before is None or not_after is None:
        return
    limit = tls_validity_limit(not_before)
    if limit is None:
        return
    days, rule = limit.max_days, limit.rule
    # BR 2.2.6 §1.6.1 "Validity Period": notBefore to notAfter inclusive, so add one second.
    lifetime = not_after - not_before + dt.timedelta(seconds=1)
    if lifetime > dt.timedelta(days=days):
        yield (
            f"This TLS server certificate is valid for "
            f"{lifetime / dt.timedelta(days=1):.1f} days; on its notBefore date "
            f"({not_before.date()}) the maximum was {days} days ({rule})."
        )


def _nonconformant_encoding(record: CertRecord) -> Iterator[str]:
    for note in record.parse_warnings:
        yield f"The parser accepted the certificate but warned: {note}."


#: Every check, in the order of the documentation table.
CHECKS: tuple[Check, ...] = (
    Check(
        "cert.unparseable",
        Severity.FATAL,
        "the parser refused the certificate or its extensions",
        _unparseable,
    ),
    Check(
        "cert.nonconformant_encoding",
        Severity.NOTICE,
        "parsed, but the parser warned (negative serial)",
        _nonconformant_encoding,
    ),
    Check(
        "ca.ocsp_signing_eku",
        Severity.ERROR,
        f"{cite('rfc6960.delegated_responder')}; {cite('br.tls_subca_eku')}",
        _ca_ocsp_signing,
    ),
    Check(
        "ocsp_responder.missing_nocheck",
        Severity.ERROR,
        f"{cite('br2020.responder_nocheck')} / {cite('br.responder_nocheck')}",
        _missing_nocheck,
    ),
    Check(
        "ocsp_responder.is_ca",
        Severity.ERROR,
        f"{cite('br.responder_not_ca')} (responder certificates are not CAs)",
        _responder_is_ca,
    ),
    Check(
        "ocsp_responder.nocheck_not_null",
        Severity.ERROR,
        f"{cite('br.responder_nocheck')} (value exactly 05 00)",
        _nocheck_not_null,
    ),
    Check(
        "tls.validity_exceeds_max",
        Severity.ERROR,
        "the maximum TLS lifetime in force on the notBefore date (sim.policy cites its BR version)",
        _validity_exceeds_max,
    ),
)
