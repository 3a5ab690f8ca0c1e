"""The vocabulary of revocation checking: what was revoked, and when a client stops trusting it.

:class:`RevocationEvent` is a revocation as the attacker and the client see it;
:class:`Protection` is the answer of one :class:`Mechanism` about it. The mechanisms' models
live in :mod:`sim.mechanisms`, what clients are exposed to in :mod:`sim.exposure`.

Conventions:

* Every time-to-protection function takes the :class:`RevocationEvent` (its ``revoked_at`` is a
  timezone-aware datetime) and ``last_published_at``, the timezone-aware time of the
  mechanism's last publication at or before the revocation: the CRL's thisUpdate, the OCSP
  response's or staple's thisUpdate, the push list's build, or for short-lived certificates
  the certificate's notBefore. Revoked right after a publication (``last_published_at ==
  revoked_at``) is the worst case.
* The answer is a :class:`Protection`: ``hours`` after the revocation until the client stops
  trusting, and ``coverage``, the share of such revocations the mechanism carries at all.
  "Never" is ``math.inf`` (:data:`NEVER_PROTECTS`), or a coverage of 0.
* The attacker holds the revoked certificate's key and serves it; ``blocks_responder`` adds
  an on-path attacker who blocks OCSP and CRL fetches. ``self_vouching`` is the July 2020
  case: the revoked intermediate carries id-kp-OCSPSigning, so under RFC 6960 4.2.2.2 its own
  key signs a valid "good" OCSP answer about itself. OCSP cannot stop it; only lists signed
  by someone else (a CRL from the issuer, OneCRL, CRLSets) or the key's destruction can.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from sim.errors import ParameterError
from sim.times import require_aware

__all__ = [
    "HOURS_PER_DAY",
    "LABELS",
    "NEVER_PROTECTS",
    "Mechanism",
    "MechanismConfig",
    "Protection",
    "Reason",
    "RevocationEvent",
    "Target",
    "check_fraction",
    "hours_between",
]

#: "Never protects": the hours of a :class:`Protection` that never comes.
NEVER_PROTECTS: float = math.inf
HOURS_PER_DAY = 24.0


class Mechanism(StrEnum):
    """The revocation mechanisms this module models (one configuration class each)."""

    CRL = "crl"
    OCSP_HARD_FAIL = "ocsp_hard_fail"
    OCSP_SOFT_FAIL = "ocsp_soft_fail"
    OCSP_STAPLING = "ocsp_stapling"
    CRLSET = "crlset"
    ONECRL = "onecrl"
    CRLITE = "crlite"
    SHORT_LIVED = "short_lived"


#: Human-readable names for tables and figures.
LABELS: dict[Mechanism, str] = {
    Mechanism.CRL: "CRL",
    Mechanism.OCSP_HARD_FAIL: "OCSP hard-fail",
    Mechanism.OCSP_SOFT_FAIL: "OCSP soft-fail",
    Mechanism.OCSP_STAPLING: "OCSP stapling",
    Mechanism.CRLSET: "Chrome CRLSets",
    Mechanism.ONECRL: "Firefox OneCRL",
    Mechanism.CRLITE: "Firefox CRLite",
    Mechanism.SHORT_LIVED: "Short-lived certificates",
}


class Target(StrEnum):
    """What was revoked: a leaf certificate or an intermediate CA certificate."""

    LEAF = "leaf"
    INTERMEDIATE = "intermediate"


class Reason(StrEnum):
    """CRLReason codes, RFC 5280 section 5.3.1 (``UNSPECIFIED`` also stands for "no code")."""

    UNSPECIFIED = "unspecified"
    KEY_COMPROMISE = "keyCompromise"
    CA_COMPROMISE = "cACompromise"
    AFFILIATION_CHANGED = "affiliationChanged"
    SUPERSEDED = "superseded"
    CESSATION_OF_OPERATION = "cessationOfOperation"
    CERTIFICATE_HOLD = "certificateHold"
    PRIVILEGE_WITHDRAWN = "privilegeWithdrawn"
    AA_COMPROMISE = "aACompromise"


def hours_between(start: dt.datetime, end: dt.datetime) -> float:
    """Hours from ``start`` to ``end`` (negative when ``end`` is earlier)."""
    return (end - start).total_seconds() / 3600.0


def check_fraction(name: str, value: float) -> None:
    """Refuse a ``value`` outside [0, 1], naming the parameter ``name``."""
    if not (isinstance(value, int | float) and 0.0 <= value <= 1.0):
        raise ParameterError(f"{name} must be in [0, 1], got {value!r}")


@dataclass(frozen=True)
class RevocationEvent:
    """A revocation event, as the attacker and the client see it.

    Attributes:
        revoked_at: When the CA revoked the certificate (timezone-aware).
        target: A leaf or an intermediate CA certificate.
        reason: The CRLReason code (RFC 5280 5.3.1); push lists may filter on it.
        blocks_responder: An on-path attacker blocks OCSP and CRL downloads.
        self_vouching: The revoked certificate's own key can sign a valid "good" OCSP answer
            about it (July 2020: an intermediate with id-kp-OCSPSigning, RFC 6960 4.2.2.2).
        key_destroyed_at: When that key was destroyed, if it was (timezone-aware); from then
            on no new forged answer can be signed.
    """

    revoked_at: dt.datetime
    target: Target = Target.LEAF
    reason: Reason = Reason.UNSPECIFIED
    blocks_responder: bool = False
    self_vouching: bool = False
    key_destroyed_at: dt.datetime | None = None

    def __post_init__(self) -> None:
        require_aware(self.revoked_at, "revoked_at")
        if self.key_destroyed_at is not None:
            require_aware(self.key_destroyed_at, "key_destroyed_at")
        if not isinstance(self.target, Target):
            raise ParameterError(f"target must be one of {[t.value for t in Target]}")
        if not isinstance(self.reason, Reason):
            raise ParameterError(f"reason must be one of {[r.value for r in Reason]}")


@dataclass(frozen=True)
class Protection:
    """When a client relying on one mechanism stops trusting a revoked certificate.

    Attributes:
        mechanism: The mechanism.
        hours: Hours after the revocation until the client rejects the certificate;
            :data:`NEVER_PROTECTS` (``math.inf``) if it never does.
        coverage: The share of such revocations the mechanism carries at all (0..1); the
            other ``1 - coverage`` are never seen by the client.
        why: One sentence saying why, for tables and lessons.
    """

    mechanism: Mechanism
    hours: float
    coverage: float
    why: str

    def __post_init__(self) -> None:
        if not (self.hours >= 0):  # also rejects NaN
            raise ParameterError(f"hours must be >= 0 or math.inf, got {self.hours!r}")
        check_fraction("coverage", self.coverage)

    @property
    def never(self) -> bool:
        """True when no client relying on this mechanism is ever protected."""
        return math.isinf(self.hours) or self.coverage == 0.0

    @property
    def days(self) -> float:
        """``hours`` in days (``math.inf`` when never)."""
        return self.hours / HOURS_PER_DAY

    def exposed(self, hours_since_revocation: float) -> float:
        """The share of clients relying on this mechanism that still trust the certificate.

        Args:
            hours_since_revocation: Elapsed hours; negative means before the revocation.

        Returns:
            1.0 before protection; ``1 - coverage`` from then on.
        """
        if self.never or hours_since_revocation < self.hours:
            return 1.0
        return 1.0 - self.coverage

    def protected_at(self, revoked_at: dt.datetime) -> dt.datetime | None:
        """The instant protection starts for covered revocations, or None for never."""
        require_aware(revoked_at, "revoked_at")
        if self.never:
            return None
        return revoked_at + dt.timedelta(hours=self.hours)


class MechanismConfig(Protocol):
    """What every mechanism configuration provides."""

    @property
    def mechanism(self) -> Mechanism:
        """Which mechanism this configures."""

    @property
    def bytes_per_day(self) -> float:
        """What a client downloads per day for this mechanism."""

    def coverage(self, target: Target) -> float:
        """The share of revocations of ``target`` certificates the mechanism carries."""

    def time_to_protection(
        self, revocation: RevocationEvent, *, last_published_at: dt.datetime
    ) -> Protection:
        """When a client relying on this mechanism stops trusting the revoked certificate."""
