"""Registry files in and out: our CSV, and entries made from PEM bundles and CCADB reports.

Our CSV has the columns of `EXPORT_COLUMNS` (``sha256``, ``incident`` and ``ca_label`` are
required). Reading is strict and atomic: the first broken row raises `RegistryImportError`
naming it, and nothing is returned. Which kind a file is, `sim.formats` decides.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace

from sim.errors import LoadError, RegistryImportError
from sim.formats import InputFormat, detect_format
from sim.loader import OID_SERVER_AUTH, CertRecord, load_bytes
from sim.registry.model import STATUSES, RegistryEntry, Status, remedy_for

__all__ = [
    "EXPORT_COLUMNS",
    "entries_from_certificates",
    "entries_from_csv",
    "entries_from_file",
    "entries_to_csv",
]

#: Columns of our CSV (export and import).
EXPORT_COLUMNS: tuple[str, ...] = (
    "sha256",
    "incident",
    "ca_label",
    "subject",
    "issuer",
    "spki_sha256",
    "ski",
    "status",
    "status_date",
    "status_source",
    "tls_capable",
    "not_after",
    "reissues",
    "remedy",
)

_HEX = frozenset("0123456789abcdef")


def _is_sha256(value: str) -> bool:
    return len(value) == 64 and set(value) <= _HEX


def _status(value: str, where: str = "") -> Status:
    try:
        return Status(value)
    except ValueError:
        prefix = f"{where}: " if where else ""
        raise RegistryImportError(
            f"{prefix}status must be one of {', '.join(STATUSES)}, got {value!r}"
        ) from None


def entries_to_csv(entries: Iterable[RegistryEntry]) -> str:
    """Our CSV format (the same columns `entries_from_csv` reads)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(EXPORT_COLUMNS)
    for e in entries:
        row = e.to_json()
        row["reissues"] = " ".join(e.reissues)
        writer.writerow(["" if row[c] is None else row[c] for c in EXPORT_COLUMNS])
    return buf.getvalue()


def entries_from_csv(text: str, *, source: str = "<csv>") -> list[RegistryEntry]:
    """Parse our CSV format strictly.

    Raises:
        RegistryImportError: a row is broken (the message names it); nothing is returned.
    """
    reader = csv.DictReader(io.StringIO(text, newline=""))
    missing = {"sha256", "incident", "ca_label"} - set(reader.fieldnames or ())
    if missing:
        raise RegistryImportError(
            f"{source}: not a registry CSV (missing column(s) {', '.join(sorted(missing))})"
        )
    out = []
    try:
        for row in reader:
            where = f"{source}: row {reader.line_num}"
            if None in row or any(v is None for v in row.values()):
                raise RegistryImportError(f"{where}: wrong number of cells")
            out.append(_entry_from_row(row, where, source))
    except csv.Error as exc:
        raise RegistryImportError(f"{source}: row {reader.line_num}: broken CSV ({exc})") from None
    if not out:
        raise RegistryImportError(f"{source}: no entries")
    return out


def entries_from_certificates(
    records: Sequence[CertRecord],
    *,
    incident: str,
    ca_label: str,
    status: str = Status.UNKNOWN,
    status_date: dt.date | None = None,
    status_source: str = "",
) -> list[RegistryEntry]:
    """Entries for real certificates (from a PEM bundle or a CCADB report).

    ``status_source`` is the evidence for ``status``; ``unknown`` needs none.

    Raises:
        RegistryImportError: a certificate could not be parsed (nothing is returned).
    """
    kind = _status(status)
    out = []
    for r in records:
        if not r.ok:
            raise RegistryImportError(f"{r.source}: the certificate cannot be parsed ({r.error})")
        assert r.sha256 is not None and r.not_after is not None
        entry = RegistryEntry(
            sha256=r.sha256,
            incident=incident,
            ca_label=ca_label,
            subject=r.subject,
            issuer=r.issuer,
            spki_sha256=r.spki_sha256,
            ski=r.ski,
            status=kind,
            status_date=status_date,
            status_source="" if kind is Status.UNKNOWN else status_source,
            tls_capable=(not r.has_eku_extension) or OID_SERVER_AUTH in r.ekus,
            not_after=r.not_after.date(),
        )
        out.append(replace(entry, remedy=remedy_for(entry)))
    if not out:
        raise RegistryImportError("no certificates to import")
    return out


def entries_from_file(
    data: bytes,
    *,
    source: str,
    incident: str = "imported",
    ca_label: str = "",
    status: str = Status.UNKNOWN,
    status_date: dt.date | None = None,
) -> list[RegistryEntry]:
    """The entries of a file: our CSV, a PEM bundle, a DER certificate or a CCADB report.

    ``incident``, ``ca_label``, ``status`` and ``status_date`` apply to certificates; our CSV
    carries its own. A status other than ``unknown`` given here is recorded as stated by the
    importer of ``source``.

    Raises:
        RegistryImportError: the file or a row is broken; the message names it.
    """
    try:
        kind = detect_format(data, source)
        if kind is InputFormat.REGISTRY_CSV:
            return entries_from_csv(data.decode("utf-8-sig"), source=source)
        records = load_bytes(data, source)
    except (LoadError, UnicodeDecodeError) as exc:
        raise RegistryImportError(str(exc)) from None
    if not ca_label:
        raise RegistryImportError("a CA label is needed to import certificates")
    return entries_from_certificates(
        records, incident=incident, ca_label=ca_label, status=status, status_date=status_date,
        status_source=f"stated by the importer of {source}",
    )  # fmt: skip


def _parse_date(value: str, where: str, column: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        raise RegistryImportError(
            f"{where}: {column} {value!r} is not a date (YYYY-MM-DD)"
        ) from None


def _entry_from_row(row: Mapping[str, str], where: str, source: str) -> RegistryEntry:
    sha = row["sha256"].replace(":", "").strip().lower()
    if not _is_sha256(sha):
        raise RegistryImportError(f"{where}: sha256 {row['sha256']!r} is not 64 hex digits")
    spki = (row.get("spki_sha256") or "").strip().lower() or None
    if spki is not None and not _is_sha256(spki):
        raise RegistryImportError(f"{where}: spki_sha256 {spki!r} is not 64 hex digits")
    status = _status((row.get("status") or Status.UNKNOWN).strip(), where)
    evidence = (row.get("status_source") or "").strip()
    if status is not Status.UNKNOWN and not evidence:
        evidence = f"stated by the importer of {source}"
    if not row["incident"].strip() or not row["ca_label"].strip():
        raise RegistryImportError(f"{where}: incident and ca_label are required")
    tls = (row.get("tls_capable") or "").strip().lower()
    if tls not in ("", "true", "false"):
        raise RegistryImportError(f"{where}: tls_capable must be true, false or empty")
    reissues = tuple((row.get("reissues") or "").split())
    if not all(_is_sha256(r) for r in reissues):
        raise RegistryImportError(
            f"{where}: reissues must be SHA-256 hex values separated by spaces"
        )
    entry = RegistryEntry(
        sha256=sha,
        incident=row["incident"].strip(),
        ca_label=row["ca_label"].strip(),
        subject=row.get("subject") or "",
        issuer=row.get("issuer") or "",
        spki_sha256=spki,
        ski=(row.get("ski") or "").strip().lower() or None,
        status=status,
        status_date=_parse_date(row.get("status_date") or "", where, "status_date"),
        status_source=evidence if status is not Status.UNKNOWN else "",
        tls_capable=None if not tls else tls == "true",
        not_after=_parse_date(row.get("not_after") or "", where, "not_after"),
        reissues=reissues,
        remedy=row.get("remedy") or "",
    )
    return entry if entry.remedy else replace(entry, remedy=remedy_for(entry))
