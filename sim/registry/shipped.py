"""The shipped list: the real July 2020 intermediates, and how their re-issues were found."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Mapping
from dataclasses import replace
from functools import lru_cache
from importlib import resources

from sim.loader import OID_SERVER_AUTH, CertRecord, load_pem_bundle
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


def _data_text(name: str) -> str:
    return resources.files("sim").joinpath(f"data/incident-2020/{name}").read_text("utf-8")


def _csv_name(row: Mapping[str, str], which: str) -> str:
    parts = [f"CN={row[which + '_cn']}" if row[which + "_cn"] else ""]
    parts.append(f"O={row[which + '_o']}" if row[which + "_o"] else "")
    return ",".join(p for p in parts if p)


@lru_cache(maxsize=1)
def shipped_registry() -> Registry:
    """The real July 2020 list, as shipped (293 entries; 260 with names and keys)."""
    records = {
        r.sha256: r
        for r in load_pem_bundle(_data_text("affected_intermediates.pem").encode(), "shipped")
    }
    reissues: dict[str, list[str]] = {}
    for row in csv.DictReader(io.StringIO(_data_text("reissues.csv"))):
        reissues.setdefault(row["listed_sha256"], []).append(row["reissue_sha256"])
    entries = []
    for row in csv.DictReader(io.StringIO(_data_text("affected_intermediates.csv"))):
        sha = row["sha256_hex"].lower()
        record = records.get(sha)
        ekus = [e for e in row["eku_oids"].split(";") if e]
        entry = RegistryEntry(
            sha256=sha,
            incident=INCIDENT_2020.id,
            ca_label=row["ca_owner_derived"] or "unidentified",
            # One listed certificate is refused by cryptography; its names come from the CSV.
            subject=record.subject if record and record.ok else _csv_name(row, "subject"),
            issuer=record.issuer if record and record.ok else _csv_name(row, "issuer"),
            spki_sha256=record.spki_sha256 if record else None,
            ski=record.ski if record else None,
            # The public list gives no per-certificate revocation dates; all had to be revoked
            # (BR 4.9.1.2), most were by early 2021 (see reference/incident-2020.md).
            status=Status.REVOKED,
            status_date=None,
            tls_capable=(not ekus or OID_SERVER_AUTH in ekus) if record else None,
            not_after=dt.date.fromisoformat(row["not_after"][:10]) if row["not_after"] else None,
            reissues=tuple(sorted(reissues.get(sha, []))),
        )
        entries.append(replace(entry, remedy=remedy_for(entry)))
    return Registry(tuple(entries), {INCIDENT_2020.id: INCIDENT_2020})
