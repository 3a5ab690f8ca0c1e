"""The verdict on a certificate chain against a registry (docs/design.md, "The verdicts").

The JSON shape of `Verdict.to_json` is the HTTP API's (``docs/api.md``).
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sim.loader import CertRecord
from sim.registry.lists import Registry
from sim.registry.model import RegistryEntry, Status

__all__ = ["Verdict", "VerdictKind", "match"]


class VerdictKind(enum.StrEnum):
    """The verdict on a chain (docs/design.md, "The verdicts")."""

    AFFECTED = "affected"
    AFFECTED_KEY = "affected_key"
    DANGEROUS_RESPONDER = "dangerous_responder"
    CLEAN = "clean"
    UNKNOWN = "unknown"


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

    @property
    def responder_position(self) -> int | None:
        """Where a ``dangerous_responder`` verdict's CA certificate sits in the chain."""
        return self.position if self.kind is VerdictKind.DANGEROUS_RESPONDER else None

    def to_json(self) -> dict[str, Any]:
        """The verdict as the API returns it (every field the extension's popup reads)."""
        return {
            "verdict": self.kind.value,
            "summary": self.summary,
            "reasons": list(self.reasons),
            "match": None
            if self.entry is None
            else {"position": self.position, "entry": self.entry.to_json()},
            "known_reissue": self.serves_known_reissue,
            "responder_position": self.responder_position,
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


def _status_sentence(entry: RegistryEntry) -> str:
    if entry.status == Status.UNKNOWN:
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
_VISITOR_REISSUE = (
    "Nothing to do: the site serves the CA's re-issued intermediate, which fixed the flaw."
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


def _key_verdict(
    i: int,
    c: CertRecord,
    entry: RegistryEntry,
    via: str,
    *,
    chain: tuple[CertRecord, ...],
    notes: tuple[str, ...],
) -> Verdict:
    """``affected_key``, worded for what is known: one honest text per case, never two."""
    listed = f"listed {entry.subject or entry.sha256} ({entry.ca_label})"
    if c.sha256 in entry.reissues:
        summary = (
            f"Serves the CA's known clean re-issue of a listed {entry.ca_label} intermediate: "
            "the fix."
        )
        reason = (
            "It is the CA's known clean re-issue of that intermediate (same name and key, "
            "no OCSPSigning): serving it is the fix."
        )
        owner = "Nothing: keep serving this re-issued intermediate."
        visitor = _VISITOR_REISSUE
    else:
        summary = (
            f"Same key as a listed {entry.ca_label} intermediate: it may be a clean re-issue "
            "or the old certificate."
        )
        reason = (
            "It is not a re-issue we know of: it may be a clean re-issue or the old "
            "certificate, and only the served chain tells, so check which intermediate your "
            "server sends."
        )
        owner = (
            "Nothing, if the served intermediate is the CA's re-issue without OCSPSigning; "
            "otherwise: " + entry.remedy
        )
        visitor = _VISITOR_KEY
    return Verdict(
        VerdictKind.AFFECTED_KEY,
        summary,
        (f"{_describe(c, i)} {via} {listed}.", reason, *notes),
        entry=entry,
        position=i,
        remedy_owner=owner,
        remedy_visitor=visitor,
        chain=chain,
    )


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
        return _key_verdict(*key_hit, chain=chain, notes=notes)
    for i, c in readable:
        if c.is_ca and c.has_ocsp_signing:
            return Verdict(
                VerdictKind.DANGEROUS_RESPONDER,
                "A CA certificate in the chain carries OCSPSigning: a dangerous responder.",
                (
                    f"{_describe(c, i)} is a CA certificate that asserts id-kp-OCSPSigning, so it "
                    "can sign OCSP answers for every certificate its issuer signed directly "
                    "(RFC 6960 §4.2.2.2; forbidden for TLS subordinate CAs by "
                    "BR 2.2.6 §7.1.2.10.6).",
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
