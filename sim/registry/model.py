"""The registry's data: incidents, statuses and the entries of affected certificates."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import asdict, dataclass
from typing import Any

__all__ = [
    "INCIDENT_2020",
    "STATUSES",
    "Incident",
    "RegistryEntry",
    "Status",
    "remedy_for",
]


class Status(enum.StrEnum):
    """What is known of an affected certificate's fate (docs/design.md), stated only with evidence.

    Every status but ``UNKNOWN`` comes with ``status_source`` (where it is published, or who
    stated it on import) and, where known, ``status_date`` (when it took or takes effect).
    """

    TO_BE_REVOKED = "to_be_revoked"
    REVOKED = "revoked"
    DISTRUSTED = "distrusted"
    UNKNOWN = "unknown"


#: The status values, for option choices and schemas.
STATUSES: tuple[str, ...] = tuple(s.value for s in Status)


@dataclass(frozen=True)
class Incident:
    """A mass-revocation incident that a list of entries belongs to.

    Attributes:
        id: short stable id, e.g. ``ocsp-eku-2020``.
        title: one line for people.
        disclosed: when it became public.
        deadline: when the affected certificates had to be revoked.
        lesson: the notebook that explains it.
        sources: where the facts come from.
    """

    id: str
    title: str
    disclosed: dt.date | None
    deadline: dt.date | None
    lesson: str
    sources: tuple[str, ...] = ()


#: The July 2020 dangerous delegated responder incident.
INCIDENT_2020 = Incident(
    id="ocsp-eku-2020",
    title="Intermediates with the OCSPSigning EKU (dangerous delegated responders), July 2020",
    disclosed=dt.date(2020, 7, 1),
    # BR 1.7.0 §4.9.1.2: a subordinate CA certificate is revoked within 7 days of such a finding.
    deadline=dt.date(2020, 7, 8),
    lesson="notebooks/02_ocsp_delegated_responder.ipynb",
    sources=(
        "https://github.com/hannob/badocspcert",
        "https://bugzilla.mozilla.org/show_bug.cgi?id=1649938",
        "https://www.rfc-editor.org/rfc/rfc6960#section-4.2.2.2",
    ),
)


@dataclass(frozen=True)
class RegistryEntry:
    """One affected certificate.

    Attributes:
        sha256: lower-case hex SHA-256 of the certificate's DER.
        incident: the incident id.
        ca_label: the CA organisation, as a label (derived, not CCADB's "CA Owner").
        subject: RFC 4514 subject, empty when only the hash is known.
        issuer: RFC 4514 issuer, empty when only the hash is known.
        spki_sha256: SHA-256 of the SubjectPublicKeyInfo, None when the PEM is unknown.
        ski: subjectKeyIdentifier (hex): leaves issued by this key name it as their AKI.
        status: what is known of its fate (`Status`; ``UNKNOWN`` without evidence).
        status_date: when the status took or takes effect, None when not known.
        status_source: the evidence for the status ("" for ``UNKNOWN``).
        tls_capable: whether it can issue TLS server certificates (serverAuth or no EKU).
        not_after: the certificate's own expiry.
        reissues: SHA-256 of clean re-issues (same subject and key, no OCSPSigning).
        remedy: what the site owner must do.
    """

    sha256: str
    incident: str
    ca_label: str
    subject: str = ""
    issuer: str = ""
    spki_sha256: str | None = None
    ski: str | None = None
    status: Status = Status.UNKNOWN
    status_date: dt.date | None = None
    status_source: str = ""
    tls_capable: bool | None = None
    not_after: dt.date | None = None
    reissues: tuple[str, ...] = ()
    remedy: str = ""

    def to_json(self) -> dict[str, Any]:
        """The entry as JSON-ready values (dates as ISO strings)."""
        out = asdict(self)
        out["status"] = str(self.status)
        for key in ("status_date", "not_after"):
            out[key] = None if out[key] is None else out[key].isoformat()
        out["reissues"] = list(self.reissues)
        return out


def remedy_for(entry: RegistryEntry) -> str:
    """What a site owner must do about a chain through ``entry``: swap or reissue."""
    if entry.reissues:
        return (
            "Serve the CA's re-issued intermediate (same name and key, without OCSPSigning; "
            f"SHA-256 {entry.reissues[0][:16]}...) instead of this one: leaves issued under "
            "this key stay valid. Check the chain your server sends after the change."
        )
    return (
        "Reissue the certificate under a new intermediate of the CA and serve the new chain; "
        "the old intermediate is revoked and its key must be destroyed, so nothing under it "
        "can be rescued."
    )
