"""Lists of affected intermediates, and the verdict on a certificate chain.

The registry ships the real July 2020 list (``sim/data/incident-2020``): 293 SHA-256
fingerprints from hannob/badocspcert, 260 of them matched to CCADB with names and PEMs, and,
derived from the same CCADB snapshot, the clean re-issues (same subject and key, no
OCSPSigning) that 50 of those intermediates got. More lists can be imported (our CSV, a PEM
bundle, a CCADB report); an import either applies whole or raises and changes nothing.

`match` gives the verdicts of docs/design.md, strongest first:

- ``affected``: a certificate of the chain is on a list (exact SHA-256 of the DER).
- ``affected_key``: none is listed, but a certificate of the chain has the public key of a
  listed one (SPKI SHA-256), or the leaf was issued by such a key (authorityKeyIdentifier): it
  may be the clean re-issue or the old one, and only the served chain tells (QuoVadis, 2021).
- ``dangerous_responder``: no list match, but a CA certificate of the chain carries
  OCSPSigning: the generic rule that finds the next incident, not only the last one.
- ``clean``: none of the above. ``unknown``: the chain could not be read.

The JSON shapes of ``Registry.to_json`` and ``Verdict.to_json`` are the HTTP API's: the whole
contract between the backend and the browser extension is in ``docs/api.md`` (read it before
changing either).
"""

from __future__ import annotations

import csv
import datetime as dt
import enum
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from functools import lru_cache
from typing import Any

from sim.affected_2020 import affected_2020
from sim.errors import RegistryImportError
from sim.loader import CertRecord, LoadError, load_bytes, load_ccadb_csv, load_pem_bundle

__all__ = [
    "EXPORT_COLUMNS",
    "INCIDENT_2020",
    "STATUSES",
    "EntryStatus",
    "Incident",
    "Registry",
    "RegistryEntry",
    "RegistryImportError",
    "Verdict",
    "VerdictKind",
    "derive_reissues",
    "match",
    "shipped_registry",
]

class EntryStatus(enum.StrEnum):
    """What is known of a listed certificate's fate, stated only with evidence.

    Every status but ``UNKNOWN`` comes with ``status_source`` (where it is published, or who
    stated it on import) and, where known, ``status_date`` (when it took or takes effect).
    """

    TO_BE_REVOKED = "to_be_revoked"
    REVOKED = "revoked"
    DISTRUSTED = "distrusted"
    UNKNOWN = "unknown"


#: The statuses an entry can have, as strings (for parsers and the OpenAPI enum).
STATUSES: tuple[str, ...] = tuple(s.value for s in EntryStatus)


class VerdictKind(enum.StrEnum):
    """The verdict on a chain (docs/design.md)."""

    AFFECTED = "affected"
    AFFECTED_KEY = "affected_key"
    DANGEROUS_RESPONDER = "dangerous_responder"
    CLEAN = "clean"
    UNKNOWN = "unknown"


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
    # BR 4.9.1.2: a subordinate CA certificate is revoked within 7 days of such a finding.
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
        status: what is known of its fate (``UNKNOWN`` without evidence).
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
    status: EntryStatus = EntryStatus.UNKNOWN
    status_date: dt.date | None = None
    status_source: str = ""
    tls_capable: bool | None = None
    not_after: dt.date | None = None
    reissues: tuple[str, ...] = ()
    remedy: str = ""

    def to_json(self) -> dict[str, Any]:
        """The entry as JSON-ready values (dates as ISO strings)."""
        out = asdict(self)
        for key in ("status_date", "not_after"):
            out[key] = None if out[key] is None else out[key].isoformat()
        out["reissues"] = list(self.reissues)
        return out


@dataclass(frozen=True)
class Verdict:
    """The verdict on one chain.

    Attributes:
        kind: the verdict.
        summary: one line for a badge title or a terminal.
        reasons: why, one sentence each.
        entry: the registry entry that matched, if any.
        position: index in the chain (0 = leaf) of the certificate that decided it.
        remedy_owner: what the site owner must do.
        remedy_visitor: what a visitor can do.
        chain: the certificates as read.
    """

    kind: VerdictKind
    summary: str
    reasons: tuple[str, ...]
    entry: RegistryEntry | None = None
    position: int | None = None
    remedy_owner: str = ""
    remedy_visitor: str = ""
    chain: tuple[CertRecord, ...] = field(default=(), repr=False)

    @property
    def serves_known_reissue(self) -> bool:
        """Whether an ``affected_key`` chain serves the CA's known clean re-issue (the fix)."""
        if self.kind is not VerdictKind.AFFECTED_KEY or self.entry is None:
            return False
        if self.position is None or not 0 <= self.position < len(self.chain):
            return False
        return self.chain[self.position].sha256 in self.entry.reissues

    def to_json(self) -> dict[str, Any]:
        """The verdict as the API returns it."""
        return {
            "verdict": self.kind.value,
            "summary": self.summary,
            "reasons": list(self.reasons),
            "match": None
            if self.entry is None
            else {"position": self.position, "entry": self.entry.to_json()},
            "remedy": {"owner": self.remedy_owner, "visitor": self.remedy_visitor},
            "chain": [
                {
                    "position": i,
                    "sha256": c.sha256,
                    "spki_sha256": c.spki_sha256,
                    "subject": c.subject,
                    "issuer": c.issuer,
                    "error": c.error,
                }
                for i, c in enumerate(self.chain)
            ],
        }



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


def _remedy(entry: RegistryEntry) -> str:
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


@dataclass(frozen=True)
class Registry:
    """An immutable set of entries with lookups by certificate, key and key identifier.

    Attributes:
        entries: the entries, in order.
        incidents: the incidents they belong to, by id.
    """

    entries: tuple[RegistryEntry, ...]
    incidents: Mapping[str, Incident] = field(default_factory=dict)
    by_sha256: Mapping[str, RegistryEntry] = field(init=False, repr=False, compare=False)
    by_spki: Mapping[str, RegistryEntry] = field(init=False, repr=False, compare=False)
    by_ski: Mapping[str, RegistryEntry] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_sha256", {e.sha256: e for e in self.entries})
        object.__setattr__(
            self, "by_spki", {e.spki_sha256: e for e in self.entries if e.spki_sha256}
        )
        object.__setattr__(self, "by_ski", {e.ski: e for e in self.entries if e.ski})

    def __len__(self) -> int:
        return len(self.entries)

    def get(self, sha256: str) -> RegistryEntry | None:
        """The entry for a fingerprint (hex, any case, colons allowed), or None."""
        return self.by_sha256.get(sha256.replace(":", "").strip().lower())

    def merged(self, new: Iterable[RegistryEntry], incident: Incident | None = None) -> Registry:
        """A new registry with ``new`` added; an entry with a known fingerprint replaces it."""
        by_hash = dict(self.by_sha256)
        for entry in new:
            by_hash[entry.sha256] = entry
        incidents = dict(self.incidents)
        if incident is not None:
            incidents.setdefault(incident.id, incident)
        return Registry(tuple(by_hash.values()), incidents)

    def to_csv(self) -> str:
        """Our CSV format (the same columns `from_csv` reads)."""
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(EXPORT_COLUMNS)
        for e in self.entries:
            row = e.to_json()
            row["reissues"] = " ".join(e.reissues)
            writer.writerow(["" if row[c] is None else row[c] for c in EXPORT_COLUMNS])
        return buf.getvalue()

    def to_json(self) -> dict[str, Any]:
        """The registry as JSON-ready values (entries and incidents)."""
        return {
            "incidents": {
                i.id: {
                    "title": i.title,
                    "disclosed": i.disclosed.isoformat() if i.disclosed else None,
                    "deadline": i.deadline.isoformat() if i.deadline else None,
                    "lesson": i.lesson,
                    "sources": list(i.sources),
                }
                for i in self.incidents.values()
            },
            "entries": [e.to_json() for e in self.entries],
        }

    @staticmethod
    def from_csv(text: str, *, source: str = "<csv>") -> list[RegistryEntry]:
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
            raise RegistryImportError(
                f"{source}: row {reader.line_num}: broken CSV ({exc})"
            ) from None
        if not out:
            raise RegistryImportError(f"{source}: no entries")
        return out

    @staticmethod
    def from_certificates(
        records: Sequence[CertRecord],
        *,
        incident: str,
        ca_label: str,
        status: str = EntryStatus.UNKNOWN,
        status_date: dt.date | None = None,
        status_source: str = "",
    ) -> list[RegistryEntry]:
        """Entries for real certificates (from a PEM bundle or a CCADB report).

        ``status_source`` is the evidence for ``status``; ``unknown`` needs none.

        Raises:
            RegistryImportError: a certificate could not be parsed (nothing is returned).
        """
        if status not in STATUSES:
            raise RegistryImportError(
                f"status must be one of {', '.join(STATUSES)}, got {status!r}"
            )
        out = []
        for r in records:
            if not r.ok:
                raise RegistryImportError(
                    f"{r.source}: the certificate cannot be parsed ({r.error})"
                )
            assert r.sha256 is not None and r.not_after is not None
            entry = RegistryEntry(
                sha256=r.sha256,
                incident=incident,
                ca_label=ca_label,
                subject=r.subject,
                issuer=r.issuer,
                spki_sha256=r.spki_sha256,
                ski=r.ski,
                status=EntryStatus(status),
                status_date=status_date,
                status_source="" if status == EntryStatus.UNKNOWN else status_source,
                tls_capable=(not r.has_eku_extension) or "1.3.6.1.5.5.7.3.1" in r.ekus,
                not_after=r.not_after.date(),
            )
            out.append(replace(entry, remedy=_remedy(entry)))
        if not out:
            raise RegistryImportError("no certificates to import")
        return out

    def imported(
        self,
        data: bytes,
        *,
        source: str,
        incident: str = "imported",
        ca_label: str = "",
        status: str = EntryStatus.UNKNOWN,
        status_date: dt.date | None = None,
    ) -> Registry:
        """A new registry with the entries of a file added (our CSV, PEM bundle, CCADB CSV).

        The import is atomic: any broken row or certificate raises and nothing is added.

        Raises:
            RegistryImportError: the file or a row is broken; the message names it.
        """
        head = data[:200].lstrip(b"\xef\xbb\xbf \t\r\n")
        try:
            if head.startswith(b"SHA-256 Fingerprint"):
                records = load_ccadb_csv(data, source)
            elif b"-----BEGIN" in data:
                records = load_pem_bundle(data, source)
            elif head.startswith(b"sha256,") or b",incident," in data.split(b"\n", 1)[0]:
                text = data.decode("utf-8-sig")
                return self.merged(self.from_csv(text, source=source))
            else:
                records = load_bytes(data, source)
        except (LoadError, UnicodeDecodeError) as exc:
            raise RegistryImportError(str(exc)) from None
        if not ca_label:
            raise RegistryImportError("a CA label is needed to import certificates")
        entries = self.from_certificates(
            records, incident=incident, ca_label=ca_label, status=status, status_date=status_date,
            status_source=f"stated by the importer of {source}",
        )  # fmt: skip
        return self.merged(entries)


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
    status = (row.get("status") or EntryStatus.UNKNOWN).strip()
    if status not in STATUSES:
        raise RegistryImportError(f"{where}: status must be one of {', '.join(STATUSES)}")
    evidence = (row.get("status_source") or "").strip()
    if status != EntryStatus.UNKNOWN and not evidence:
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
        status=EntryStatus(status),
        status_date=_parse_date(row.get("status_date") or "", where, "status_date"),
        status_source=evidence if status != EntryStatus.UNKNOWN else "",
        tls_capable=None if not tls else tls == "true",
        not_after=_parse_date(row.get("not_after") or "", where, "not_after"),
        reissues=reissues,
        remedy=row.get("remedy") or "",
    )
    return entry if entry.remedy else replace(entry, remedy=_remedy(entry))


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
            status=EntryStatus.REVOKED if a.revoked_on else EntryStatus.UNKNOWN,
            status_date=a.revoked_on,
            status_source=a.revocation_source,
            tls_capable=a.tls_capable,
            not_after=a.not_after,
            reissues=a.reissues,
        )
        entries.append(replace(entry, remedy=_remedy(entry)))
    return Registry(tuple(entries), {INCIDENT_2020.id: INCIDENT_2020})


def _status_sentence(entry: RegistryEntry) -> str:
    if entry.status == EntryStatus.UNKNOWN:
        return "Status: unknown (no published revocation date for this certificate)."
    when = f" since {entry.status_date}" if entry.status_date else ""
    source = f" (source: {entry.status_source})" if entry.status_source else ""
    return f"Status: {entry.status}{when}{source}."


def _describe(record: CertRecord, position: int) -> str:
    role = "the leaf" if position == 0 else f"certificate #{position}"
    return f"{role} ({record.subject or record.sha256})"


_VISITOR_AFFECTED = (
    "This site's certificate chain runs through an intermediate that had to be revoked. "
    "Your connection may still work today, but it can break at any moment, and revocation may "
    "not protect you from forged answers. Tell the site owner; avoid entering sensitive data "
    "until the chain is fixed."
)
_VISITOR_KEY = (
    "The site's chain uses the public key of a listed intermediate. It may be the CA's clean "
    "re-issue (then all is well) or the old certificate. Nothing to do for you; the site owner "
    "can confirm."
)
_VISITOR_RESPONDER = (
    "A CA certificate in this chain can sign OCSP answers for its siblings (the 2020 flaw). "
    "This does not break the site for you today; it is a risk the CA must fix."
)


def _key_match(
    readable: Sequence[tuple[int, CertRecord]], registry: Registry
) -> tuple[int, CertRecord, RegistryEntry, str] | None:
    # First a certificate with a listed key (a re-issue), then one issued by a listed key
    # (its authorityKeyIdentifier names a listed subjectKeyIdentifier, RFC 5280 4.2.1.1).
    for i, c in readable:
        entry = registry.by_spki.get(c.spki_sha256 or "")
        if entry is not None:
            return i, c, entry, "has the same public key as"
    for i, c in readable:
        entry = registry.by_ski.get(c.aki or "")
        if entry is not None:
            return i, c, entry, "was issued by the key of"
    return None


def match(chain: Sequence[CertRecord], registry: Registry) -> Verdict:
    """The verdict on a chain (leaf first) against a registry.

    Args:
        chain: the certificates as served, leaf first; unparseable records are allowed.
        registry: the affected list.
    """
    chain = tuple(chain)
    # A refused certificate still has a fingerprint (of its DER) and raw facts: use them.
    readable = [(i, c) for i, c in enumerate(chain) if c.sha256]
    notes = tuple(
        f"{_describe(c, i)} could not be parsed: {c.error}" for i, c in enumerate(chain) if not c.ok
    )
    if not readable:
        reason = (
            "the chain is empty" if not chain else "no certificate of the chain could be parsed"
        )
        return Verdict(VerdictKind.UNKNOWN, f"Unknown: {reason}.", (reason, *notes), chain=chain)
    for i, c in readable:
        entry = registry.by_sha256.get(c.sha256 or "")
        if entry is not None:
            incident = registry.incidents.get(entry.incident)
            title = incident.title if incident else entry.incident
            return Verdict(
                VerdictKind.AFFECTED,
                f"Affected: {entry.ca_label} intermediate {c.subject or entry.subject} is on the "
                f"{entry.incident} list.",
                (
                    f"{_describe(c, i)} has SHA-256 {c.sha256}, listed for {title}.",
                    _status_sentence(entry),
                    *notes,
                ),
                entry=entry,
                position=i,
                remedy_owner=entry.remedy,
                remedy_visitor=_VISITOR_AFFECTED,
                chain=chain,
            )
    if not any(c.ok for c in chain):
        # Fingerprints were checked above; with nothing parsed, nothing else can be said.
        reason = "no certificate of the chain could be parsed, and none is listed"
        return Verdict(VerdictKind.UNKNOWN, f"Unknown: {reason}.", (reason, *notes), chain=chain)
    key_hit = _key_match(readable, registry)
    if key_hit is not None:
        i, c, entry, via = key_hit
        known_clean = c.sha256 in entry.reissues
        reasons = [
            f"{_describe(c, i)} {via} listed {entry.subject or entry.sha256} ({entry.ca_label})."
        ]
        if known_clean:
            reasons.append(
                "It is the CA's known clean re-issue of that intermediate (same name and key, "
                "no OCSPSigning): serving it is the fix."
            )
        else:
            reasons.append(
                "It may be the CA's clean re-issue or the old certificate: only the served "
                "chain tells, so check which intermediate your server sends."
            )
        return Verdict(
            VerdictKind.AFFECTED_KEY,
            f"Same key as a listed {entry.ca_label} intermediate: possibly its clean re-issue.",
            (*reasons, *notes),
            entry=entry,
            position=i,
            remedy_owner=(
                "Nothing, if the served intermediate is the CA's re-issue without OCSPSigning; "
                "otherwise: " + entry.remedy
            ),
            remedy_visitor=_VISITOR_KEY,
            chain=chain,
        )
    for i, c in readable:
        if c.is_ca and c.has_ocsp_signing:
            return Verdict(
                VerdictKind.DANGEROUS_RESPONDER,
                "A CA certificate in the chain carries OCSPSigning: a dangerous responder.",
                (
                    f"{_describe(c, i)} is a CA certificate that asserts id-kp-OCSPSigning, so it "
                    "can sign OCSP answers for every certificate its issuer signed directly "
                    "(RFC 6960 4.2.2.2; forbidden by BR 7.1.2.10.6).",
                    *notes,
                ),
                position=i,
                remedy_owner=(
                    "Ask the CA for a re-issued intermediate without OCSPSigning and serve it; "
                    "the CA should revoke the old one and destroy or re-key as its policy requires."
                ),
                remedy_visitor=_VISITOR_RESPONDER,
                chain=chain,
            )
    return Verdict(
        VerdictKind.CLEAN,
        "Clean: no certificate of the chain is on an affected list or is a dangerous responder.",
        (f"{len(readable)} certificate(s) checked against {len(registry)} listed.", *notes),
        chain=chain,
    )
