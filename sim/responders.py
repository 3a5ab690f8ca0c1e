"""Today's exposure: valid CA certificates that carry id-kp-OCSPSigning (``revlab responders``).

The 2020 tools check a frozen list. The danger is generic: a CA certificate with the
OCSPSigning EKU is an authorized responder for every certificate its issuer signed (RFC 6960
4.2.2.2), so whoever holds its key can answer "good" for a revoked sibling. This module finds
such certificates in a CCADB ``AllCertificatePEMsCSVFormat`` report as of a given ``now``.

Honest limits, stated wherever the results are shown: that report carries no revocation status,
so "valid" here means "inside its validity period", not "not revoked"; and a sibling count is
counted within the report given (CCADB discloses CA certificates, not the end-entity
certificates under the same issuer).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.x509.oid import NameOID

from sim.audit import sibling_exposure
from sim.der import DerError, certificate_validity
from sim.errors import ParameterError
from sim.loader import CertRecord

__all__ = ["DangerousResponder", "by_issuer_organization", "dangerous_responders"]


@dataclass(frozen=True)
class DangerousResponder:
    """A CA certificate, valid at ``now``, that carries id-kp-OCSPSigning.

    Attributes:
        sha256: lower-case hex SHA-256 of the certificate.
        subject: RFC 4514 subject ("" when `cryptography` refuses the certificate).
        issuer: RFC 4514 issuer ("" when refused).
        issuer_organization: the issuer's O= (the report names no CA owner; this stands in).
        not_before: start of validity (UTC).
        not_after: end of validity (UTC).
        on_2020_list: whether its fingerprint is on the July 2020 list.
        siblings: how many other certificates of the report share its issuer key (None when
            the certificate could not be parsed far enough to tell its issuer key).
        error: why `cryptography` refused the certificate (its EKU, cA flag and validity were
            then read from the raw DER); None for a parsed certificate.
        source: where in the report it was found.
    """

    sha256: str
    subject: str
    issuer: str
    issuer_organization: str
    not_before: dt.datetime
    not_after: dt.datetime
    on_2020_list: bool
    siblings: int | None
    error: str | None
    source: str

    def to_json(self) -> dict[str, Any]:
        """A JSON object: every attribute, times in ISO 8601."""
        return {
            "sha256": self.sha256,
            "subject": self.subject,
            "issuer": self.issuer,
            "issuer_organization": self.issuer_organization,
            "not_before": self.not_before.isoformat(),
            "not_after": self.not_after.isoformat(),
            "on_2020_list": self.on_2020_list,
            "siblings": self.siblings,
            "error": self.error,
            "source": self.source,
        }


def _organization(record: CertRecord) -> str:
    # The issuer's O=, or its CN where it has no O= (a few roots name only themselves).
    if record.certificate is None:
        return ""
    for oid in (NameOID.ORGANIZATION_NAME, NameOID.COMMON_NAME):
        values = record.certificate.issuer.get_attributes_for_oid(oid)
        if values:
            return str(values[0].value)
    return ""


def _validity(record: CertRecord) -> tuple[dt.datetime, dt.datetime] | None:
    if record.not_before is not None and record.not_after is not None:
        return record.not_before, record.not_after
    if record.der is None:
        return None
    try:
        return certificate_validity(record.der)
    except DerError:
        return None


def dangerous_responders(
    records: Sequence[CertRecord], *, now: dt.datetime, listed: Collection[str]
) -> list[DangerousResponder]:
    """Every CA certificate in ``records`` valid at ``now`` that carries OCSPSigning.

    Certificates `cryptography` refuses are judged on what the raw DER says (EKU, cA,
    validity), never dropped; a certificate whose validity cannot be read at all is kept too,
    since nothing shows it expired.

    Args:
        records: a loaded report (duplicates are counted once).
        now: the moment of the question (timezone-aware).
        listed: SHA-256 fingerprints of the July 2020 list.

    Returns:
        The responders, most siblings first, then by subject.

    Raises:
        ParameterError: ``now`` is naive.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ParameterError(f"now must be timezone-aware, got {now.isoformat()}")
    siblings = {e.responder.sha256: len(e.covered) for e in sibling_exposure(records)}
    out: dict[str, DangerousResponder] = {}
    for r in records:
        if r.sha256 is None or r.sha256 in out or not (r.is_ca and r.has_ocsp_signing):
            continue
        validity = _validity(r)
        if validity is not None and not validity[0] <= now <= validity[1]:
            continue
        nb, na = validity or (dt.datetime.min.replace(tzinfo=dt.UTC),
                              dt.datetime.max.replace(tzinfo=dt.UTC))  # fmt: skip
        out[r.sha256] = DangerousResponder(
            sha256=r.sha256,
            subject=r.subject,
            issuer=r.issuer,
            issuer_organization=_organization(r),
            not_before=nb,
            not_after=na,
            on_2020_list=r.sha256 in listed,
            # A self-signed root is nobody's sibling: sibling_exposure leaves it out.
            siblings=siblings.get(r.sha256, 0) if r.ok else None,
            error=r.error,
            source=r.source,
        )
    return sorted(out.values(), key=lambda d: (-(d.siblings or 0), d.subject, d.sha256))


def by_issuer_organization(
    responders: Iterable[DangerousResponder],
) -> list[tuple[str, int, int]]:
    """(issuer organisation, responders, of which not on the 2020 list), most first."""
    total: Counter[str] = Counter()
    new: Counter[str] = Counter()
    for r in responders:
        name = r.issuer_organization or "(unreadable issuer)"
        total[name] += 1
        new[name] += not r.on_2020_list
    return sorted(((k, total[k], new[k]) for k in total), key=lambda t: (-t[1], t[0]))
