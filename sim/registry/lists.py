"""`Registry`: an immutable list of affected certificates, indexed for matching chains."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sim.errors import ParameterError
from sim.loader import CertRecord
from sim.registry.exchange import (
    entries_from_certificates,
    entries_from_csv,
    entries_from_file,
    entries_to_csv,
)
from sim.registry.model import Incident, RegistryEntry, Status

__all__ = ["MIN_PREFIX", "Registry"]

#: The shortest fingerprint prefix `Registry.find` accepts: 8 hex digits are 32 bits, so a
#: prefix this long is unique in any list of affected certificates a person would keep.
MIN_PREFIX = 8
_HEX = frozenset("0123456789abcdef")


def _normalise(sha256: str) -> str:
    return sha256.replace(":", "").strip().lower()


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
        return self.by_sha256.get(_normalise(sha256))

    def find(self, prefix: str) -> RegistryEntry:
        """The one entry whose fingerprint starts with ``prefix`` (hex, any case, colons allowed).

        Raises:
            ParameterError: the prefix is not hex, shorter than `MIN_PREFIX` digits, matches
                no entry, or matches several (the message names them).
        """
        key = _normalise(prefix)
        if not key or not set(key) <= _HEX or len(key) > 64:
            raise ParameterError(f"{prefix!r} is not a SHA-256 fingerprint or a prefix of one")
        if len(key) < MIN_PREFIX:
            raise ParameterError(
                f"{prefix!r} is too short: give at least {MIN_PREFIX} hex digits of the SHA-256"
            )
        found = [e for sha, e in self.by_sha256.items() if sha.startswith(key)]
        if not found:
            raise ParameterError(f"{prefix} is not in the registry")
        if len(found) > 1:
            names = ", ".join(e.sha256[:16] for e in found[:5])
            raise ParameterError(
                f"{prefix} is ambiguous: {len(found)} entries start with it ({names}"
                f"{', ...' if len(found) > 5 else ''}); give more digits"
            )
        return found[0]

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
        return entries_to_csv(self.entries)

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
        """Parse our CSV format strictly (`sim.registry.exchange.entries_from_csv`).

        Raises:
            RegistryImportError: a row is broken (the message names it); nothing is returned.
        """
        return entries_from_csv(text, source=source)

    @staticmethod
    def from_certificates(
        records: Sequence[CertRecord],
        *,
        incident: str,
        ca_label: str,
        status: str = Status.UNKNOWN,
        status_date: dt.date | None = None,
        status_source: str = "",
    ) -> list[RegistryEntry]:
        """Entries for real certificates (`sim.registry.exchange.entries_from_certificates`).

        ``status_source`` is the evidence for ``status``; ``unknown`` needs none.

        Raises:
            RegistryImportError: a certificate could not be parsed (nothing is returned).
        """
        return entries_from_certificates(
            records, incident=incident, ca_label=ca_label, status=status, status_date=status_date,
            status_source=status_source,
        )  # fmt: skip

    def imported(
        self,
        data: bytes,
        *,
        source: str,
        incident: str = "imported",
        ca_label: str = "",
        status: str = Status.UNKNOWN,
        status_date: dt.date | None = None,
    ) -> Registry:
        """A new registry with the entries of a file added (our CSV, PEM bundle, CCADB CSV).

        The import is atomic: any broken row or certificate raises and nothing is added.

        Raises:
            RegistryImportError: the file or a row is broken; the message names it.
        """
        entries = entries_from_file(
            data,
            source=source,
            incident=incident,
            ca_label=ca_label,
            status=status,
            status_date=status_date,
        )
        return self.merged(entries)
