"""A scan result: what a target served and the verdict on it, and the summary of a whole scan.

The verdict is `sim.served.verdict_for_served`, the same function behind ``revlab check`` and
``GET /v1/hosts``, so a scanned chain gets the verdict ``POST /v1/chain`` gives it.
The scanner reads; this module judges and counts; ``revlab scan`` renders.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from sim.registry import Registry, RegistryEntry, VerdictKind
from sim.served import verdict_for_served
from tlsscan.scanner import ScanErrorKind, Served

__all__ = ["FIELDS", "Finding", "ScanResult", "ScanSummary", "judge"]

#: The fields of a result, in output order (JSONL keys, CSV columns).
FIELDS: tuple[str, ...] = (
    "host",
    "port",
    "address",
    "tls_version",
    "chain",
    "verdict",
    "reason",
    "error",
    "listed",
    "decided_by",
    "known_reissue",
    "remedy",
    "scanned_at",
)


@dataclass(frozen=True)
class ScanResult:
    """One target's result.

    Attributes:
        host: the normalised host.
        port: the port.
        address: the address that answered (None when none did).
        tls_version: the negotiated protocol, None on failure.
        chain: SHA-256 (hex) of each served certificate, leaf first.
        verdict: the API's verdict on the chain.
        reason: the verdict's one-line summary (for ``unknown``: why the chain is missing).
        error: why the chain could not be read (``dns``, ``refused``, ``timeout``, ``tls``,
            ``guard``), or None.
        listed: the registry entry that matched (its JSON), or None.
        decided_by: the certificate that decided the verdict: ``position``, ``sha256`` and
            ``subject``; None for ``clean`` and ``unknown``.
        known_reissue: whether the chain serves the CA's known clean re-issue (the fix).
        remedy: what to do: ``owner`` (the site owner) and ``visitor``, as the API says.
        scanned_at: when the scan of the target started (UTC).
    """

    host: str
    port: int
    address: str | None
    tls_version: str | None
    chain: tuple[str, ...]
    verdict: VerdictKind
    reason: str
    error: ScanErrorKind | None
    listed: dict[str, Any] | None
    decided_by: dict[str, Any] | None
    known_reissue: bool
    remedy: dict[str, str]
    scanned_at: dt.datetime

    @property
    def finding(self) -> bool:
        """Whether the target serves something to act on: affected (unless it is the known
        clean re-issue, which is the fix) or a dangerous responder."""
        if self.verdict is VerdictKind.AFFECTED_KEY:
            return not self.known_reissue
        return self.verdict in (VerdictKind.AFFECTED, VerdictKind.DANGEROUS_RESPONDER)

    def to_json(self) -> dict[str, Any]:
        """One JSONL line's object (keys in `FIELDS` order)."""
        return {
            "host": self.host,
            "port": self.port,
            "address": self.address,
            "tls_version": self.tls_version,
            "chain": list(self.chain),
            "verdict": self.verdict.value,
            "reason": self.reason,
            "error": None if self.error is None else self.error.value,
            "listed": self.listed,
            "decided_by": self.decided_by,
            "known_reissue": self.known_reissue,
            "remedy": dict(self.remedy),
            "scanned_at": self.scanned_at.isoformat(timespec="seconds"),
        }


@lru_cache(maxsize=1024)
def _entry_json(entry: RegistryEntry) -> dict[str, Any]:
    # Memoised: a scan of an estate meets the same few listed entries again and again, and
    # `RegistryEntry.to_json` (dataclasses.asdict) costs more than the rest of `judge`.
    return entry.to_json()


def _listed(entry: RegistryEntry | None) -> dict[str, Any] | None:
    if entry is None:
        return None
    cached = _entry_json(entry)
    return {**cached, "reissues": list(cached["reissues"])}  # each result owns its dict


def judge(served: Served, registry: Registry) -> ScanResult:
    """The result of a scanned target: its chain's verdict against ``registry``."""
    verdict = verdict_for_served(served.chain, served.detail, registry)
    decided_by = None
    if verdict.position is not None and 0 <= verdict.position < len(verdict.chain):
        record = verdict.chain[verdict.position]
        decided_by = {
            "position": verdict.position,
            "sha256": record.sha256,
            "subject": record.subject,
        }
    return ScanResult(
        host=served.host,
        port=served.port,
        address=served.address,
        tls_version=served.tls_version,
        chain=tuple(hashlib.sha256(der).hexdigest() for der in served.chain),
        verdict=verdict.kind,
        reason=verdict.summary,
        error=served.error,
        listed=_listed(verdict.entry),
        decided_by=decided_by,
        known_reissue=verdict.serves_known_reissue,
        remedy={"owner": verdict.remedy_owner, "visitor": verdict.remedy_visitor},
        scanned_at=served.scanned_at,
    )


@dataclass(frozen=True)
class Finding:
    """A certificate that targets serve and that needs acting on.

    Attributes:
        sha256: the certificate's SHA-256.
        verdict: ``affected``, ``affected_key`` or ``dangerous_responder``.
        ca: the CA (the list's label, or the certificate's subject for a responder).
        remedy: what the site owners must do.
        targets: how many targets serve it.
    """

    sha256: str
    verdict: VerdictKind
    ca: str
    remedy: str
    targets: int


@dataclass
class ScanSummary:
    """Counts over a scan, updated one result at a time (flat memory: per certificate found,
    not per target). The only mutable object here: it accumulates a stream."""

    targets: int = 0
    bad_lines: int = 0
    skipped: int = 0
    verdicts: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    _found: dict[tuple[str, str], list[Any]] = field(default_factory=dict)

    def add(self, result: ScanResult) -> None:
        """Count one result."""
        self.targets += 1
        self.verdicts[result.verdict.value] += 1
        if result.error is not None:
            self.errors[result.error.value] += 1
        if not result.finding or result.decided_by is None:
            return
        key = (result.decided_by["sha256"], result.verdict.value)
        slot = self._found.get(key)
        if slot is None:
            ca = (
                result.listed["ca_label"]
                if result.listed is not None
                else result.decided_by["subject"] or result.decided_by["sha256"]
            )
            self._found[key] = [ca, result.remedy["owner"], 1]
        else:
            slot[2] += 1

    @property
    def findings(self) -> list[Finding]:
        """Each certificate to act on, most-served first."""
        out = [
            Finding(sha, VerdictKind(kind), ca, remedy, count)
            for (sha, kind), (ca, remedy, count) in self._found.items()
        ]
        return sorted(out, key=lambda f: (-f.targets, f.sha256))

    @property
    def has_findings(self) -> bool:
        """Whether any target serves something affected or dangerous."""
        return bool(self._found)

    def to_json(self) -> dict[str, Any]:
        """The summary as JSON."""
        return {
            "targets": self.targets,
            "bad_lines": self.bad_lines,
            "skipped": self.skipped,
            "verdicts": dict(sorted(self.verdicts.items())),
            "errors": dict(sorted(self.errors.items())),
            "findings": [
                {"sha256": f.sha256, "verdict": f.verdict.value, "ca": f.ca,
                 "remedy": f.remedy, "targets": f.targets}
                for f in self.findings
            ],
        }
