"""The shipped list: the real July 2020 intermediates, and how their re-issues were found."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from functools import lru_cache

from sim.affected_2020 import affected_2020
from sim.loader import CertRecord
from sim.registry.lists import Registry
from sim.registry.model import INCIDENT_2020, RegistryEntry, Status, remedy_for

__all__ = ["derive_reissues", "shipped_registry"]


def derive_reissues(
    listed: Iterable[CertRecord], corpus: Iterable[CertRecord], listed_hashes: Iterable[str]
) -> dict[str, list[CertRecord]]:
    """Find the clean re-issues of listed intermediates in a corpus.

    A clean re-issue has the same subject and public key as a listed certificate, is not
    itself listed, and does not carry OCSPSigning. (This is how ``reissues.csv`` was made from
    the CCADB snapshot; a test re-derives it from the full corpus.)
    """
    hashes = set(listed_hashes)
    by_spki: dict[str | None, list[CertRecord]] = {}
    for record in corpus:
        if record.ok and record.sha256 not in hashes:
            by_spki.setdefault(record.spki_sha256, []).append(record)
    out: dict[str, list[CertRecord]] = {}
    for item in listed:
        if not item.ok or item.sha256 is None:
            continue
        found = {
            c.sha256: c
            for c in by_spki.get(item.spki_sha256, [])
            if c.subject == item.subject and not c.has_ocsp_signing
        }
        if found:
            out[item.sha256] = sorted(found.values(), key=lambda c: c.sha256 or "")
    return out


@lru_cache(maxsize=1)
def shipped_registry() -> Registry:
    """The real July 2020 list, as shipped (293 entries; 260 with names and keys).

    Read once by ``sim.affected_2020``, which the simulation's hierarchy uses too.
    """
    entries = []
    for a in affected_2020():
        entry = RegistryEntry(
            sha256=a.sha256,
            incident=INCIDENT_2020.id,
            ca_label=a.ca,
            subject=a.subject,
            issuer=a.issuer,
            spki_sha256=a.spki_sha256,
            ski=a.ski,
            # The public list gives no revocation dates: a status is stated only where the CA
            # published one (revocations.csv, with its source); otherwise it is unknown.
            status=Status.REVOKED if a.revoked_on else Status.UNKNOWN,
            status_date=a.revoked_on,
            status_source=a.revocation_source,
            tls_capable=a.tls_capable,
            not_after=a.not_after,
            reissues=a.reissues,
        )
        entries.append(replace(entry, remedy=remedy_for(entry)))
    return Registry(tuple(entries), {INCIDENT_2020.id: INCIDENT_2020})
