"""How clients learn of a revocation, and how long they keep trusting a revoked certificate.

Each mechanism is a small frozen configuration with its published parameters (shipped with
their sources in ``sim/data/mechanisms.json``) and answers one question: after a certificate
is revoked at ``revoked_at``, when does a client that relies on this mechanism stop trusting
it, and what does the client download per day to get there?

Conventions:

* Every time-to-protection function takes the :class:`Revocation` (its ``revoked_at`` is a
  timezone-aware datetime) and ``last_published_at``, the timezone-aware time of the
  mechanism's last publication at or before the revocation: the CRL's thisUpdate, the OCSP
  response's or staple's thisUpdate, the push list's build, or for short-lived certificates
  the certificate's notBefore. Revoked right after a publication (``last_published_at ==
  revoked_at``) is the worst case.
* The answer is a :class:`Protection`: ``hours`` after the revocation until the client stops
  trusting, and ``coverage``, the share of such revocations the mechanism carries at all.
  "Never" is ``math.inf`` (:data:`NEVER`), or a coverage of 0.
* The attacker holds the revoked certificate's key and serves it; ``blocks_responder`` adds
  an on-path attacker who blocks OCSP and CRL fetches. ``self_vouching`` is the July 2020
  case: the revoked intermediate carries id-kp-OCSPSigning, so under RFC 6960 4.2.2.2 its own
  key signs a valid "good" OCSP answer about itself. OCSP cannot stop it; only lists signed
  by someone else (a CRL from the issuer, OneCRL, CRLSets) or the key's destruction can.

Sources: RFC 5280 5.3.1 (reason codes), RFC 6960, RFC 6066 section 8 and RFC 7633
(stapling, must-staple), the CA/B Forum Baseline Requirements as cited through ``sim.rules``
(BR 2.2.6: CRL nextUpdate in 7.2, CRL publication in 4.9.7, OCSP validity in 4.9.9;
https://github.com/cabforum/servercert), https://www.chromium.org/Home/chromium-security/crlsets/,
https://blog.mozilla.org/security/2015/03/03/revoking-intermediate-certificates-introducing-onecrl/,
https://blog.mozilla.org/security/2020/01/09/crlite-part-1-all-web-pki-revocations-compressed/;
per-parameter sources in ``sim/data/mechanisms.json``.
"""

from __future__ import annotations

import abc
import datetime as dt
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources
from typing import Any, ClassVar, Protocol

import numpy as np
import pandas as pd

from sim.errors import ParameterError
from sim.rules import cite

__all__ = [
    "LABELS",
    "MECHANISM_TYPES",
    "NEVER",
    "ClientMix",
    "ClientProfile",
    "Crl",
    "CrlSet",
    "Crlite",
    "Mechanism",
    "MechanismConfig",
    "OcspHardFail",
    "OcspSoftFail",
    "OcspStapling",
    "OneCrl",
    "Parameter",
    "Protection",
    "Reason",
    "Revocation",
    "Scenario",
    "ShortLived",
    "Target",
    "browser_mix",
    "client_exposure",
    "default_mechanisms",
    "load_parameters",
    "mechanism_table",
    "scenario_revocation",
    "timeline_exposure",
    "worst_case_protections",
]

#: "Never protects": the hours of a :class:`Protection` that never comes.
NEVER: float = math.inf

_DATA_FILE = "data/mechanisms.json"
# Relative results do not depend on the instant: this fixed one only anchors worst cases.
_REFERENCE_TIME = dt.datetime(2020, 7, 1, tzinfo=dt.UTC)
_HOURS_PER_DAY = 24.0


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


def _aware(name: str, value: dt.datetime) -> dt.datetime:
    if not isinstance(value, dt.datetime):
        raise ParameterError(f"{name} must be a timezone-aware datetime, got {value!r}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ParameterError(
            f"{name} must be a timezone-aware datetime, got naive {value.isoformat()}"
        )
    return value


def _hours_between(start: dt.datetime, end: dt.datetime) -> float:
    return (end - start).total_seconds() / 3600.0


def _non_negative(name: str, value: float) -> None:
    if not (isinstance(value, int | float) and math.isfinite(value) and value >= 0):
        raise ParameterError(f"{name} must be a finite number >= 0, got {value!r}")


def _positive(name: str, value: float) -> None:
    if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
        raise ParameterError(f"{name} must be a finite number > 0, got {value!r}")


def _fraction(name: str, value: float) -> None:
    if not (isinstance(value, int | float) and 0.0 <= value <= 1.0):
        raise ParameterError(f"{name} must be in [0, 1], got {value!r}")


@dataclass(frozen=True)
class Revocation:
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
        _aware("revoked_at", self.revoked_at)
        if self.key_destroyed_at is not None:
            _aware("key_destroyed_at", self.key_destroyed_at)
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
            :data:`NEVER` (``math.inf``) if it never does.
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
        _fraction("coverage", self.coverage)

    @property
    def never(self) -> bool:
        """True when no client relying on this mechanism is ever protected."""
        return math.isinf(self.hours) or self.coverage == 0.0

    @property
    def days(self) -> float:
        """``hours`` in days (``math.inf`` when never)."""
        return self.hours / _HOURS_PER_DAY

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
        _aware("revoked_at", revoked_at)
        if self.never:
            return None
        return revoked_at + dt.timedelta(hours=self.hours)


def _published(
    revocation: Revocation, last_published_at: dt.datetime, window_hours: float, window: str
) -> float:
    """Hours from the last publication to the revocation, checked against its window."""
    _aware("last_published_at", last_published_at)
    age = _hours_between(last_published_at, revocation.revoked_at)
    if not (0.0 <= age < window_hours):
        raise ParameterError(
            f"last_published_at must be at most revoked_at and less than {window} "
            f"({window_hours:g} h) before it, got {age:g} h before"
        )
    return age


def _forged_ocsp(
    mechanism: Mechanism, revocation: Revocation, normal_hours: float, validity_hours: float
) -> Protection:
    """OCSP against a self-vouching certificate: only the key's destruction helps."""
    if revocation.key_destroyed_at is None:
        return Protection(
            mechanism,
            NEVER,
            1.0,
            "the revoked certificate signs its own 'good' OCSP answer (RFC 6960 4.2.2.2)",
        )
    # A forgery signed just before the destruction is accepted until its nextUpdate, which
    # clients bound here by the BR 2.2.6 4.9.9 validity (an assumption: a forger may lie).
    after_destruction = (
        _hours_between(revocation.revoked_at, revocation.key_destroyed_at) + validity_hours
    )
    return Protection(
        mechanism,
        max(normal_hours, after_destruction),
        1.0,
        "forged 'good' answers stop once the key is destroyed and the last one expires",
    )


@dataclass(frozen=True)
class Crl:
    """Certificate Revocation Lists (RFC 5280 section 5) fetched and cached by the client.

    A client caches a CRL until its nextUpdate; the worst client fetched the one published
    just before the revocation, so it learns of it at ``last_published_at + nextUpdate``.
    An intermediate appears on its issuer's CRL (an ARL, BR 2.2.6 7.2: up to 12 months). The
    CRL is signed by the issuer, so a self-vouching intermediate cannot forge it.

    Attributes:
        next_update_hours: Validity of a leaf CRL in caches (BR 2.2.6 7.2: at most 10 days).
        arl_next_update_hours: Validity of the CRL that lists intermediates (up to 12 months).
        crl_bytes: Size of one CRL download.
        crls_per_client: Distinct CRLs a client keeps fresh.
        soft_fail: Accept the certificate when no CRL can be fetched.
    """

    mechanism: ClassVar[Mechanism] = Mechanism.CRL
    next_update_hours: float = 240.0
    arl_next_update_hours: float = 8760.0
    crl_bytes: float = 51_000.0
    crls_per_client: float = 20.0
    soft_fail: bool = False

    def __post_init__(self) -> None:
        _positive("next_update_hours", self.next_update_hours)
        _positive("arl_next_update_hours", self.arl_next_update_hours)
        _non_negative("crl_bytes", self.crl_bytes)
        _non_negative("crls_per_client", self.crls_per_client)

    @property
    def bytes_per_day(self) -> float:
        """Each CRL re-downloaded once per nextUpdate interval."""
        return self.crl_bytes * self.crls_per_client * _HOURS_PER_DAY / self.next_update_hours

    def coverage(self, target: Target) -> float:
        """CRLs list every revocation of their issuer, leaves and intermediates alike."""
        return 1.0

    def time_to_protection(
        self, revocation: Revocation, *, last_published_at: dt.datetime
    ) -> Protection:
        """Protection at the cached CRL's nextUpdate, unless a soft-fail client is blocked."""
        if revocation.target is Target.INTERMEDIATE:
            window, name = self.arl_next_update_hours, "arl_next_update_hours"
        else:
            window, name = self.next_update_hours, "next_update_hours"
        age = _published(revocation, last_published_at, window, name)
        if revocation.blocks_responder and self.soft_fail:
            return Protection(
                self.mechanism, NEVER, 1.0, "the attacker blocks the CRL; soft-fail accepts"
            )
        return Protection(
            self.mechanism, window - age, 1.0, "the cached CRL expires at its nextUpdate"
        )


@dataclass(frozen=True)
class _Ocsp:
    """Online OCSP checks (RFC 6960) with responses cached until their nextUpdate."""

    mechanism: ClassVar[Mechanism]
    hard_fail: ClassVar[bool]
    response_validity_hours: float = 240.0
    response_bytes: float = 1000.0
    lookups_per_day: float = 100.0
    accepts_ca_responder: bool = True

    def __post_init__(self) -> None:
        _positive("response_validity_hours", self.response_validity_hours)
        _non_negative("response_bytes", self.response_bytes)
        _non_negative("lookups_per_day", self.lookups_per_day)

    @property
    def bytes_per_day(self) -> float:
        """One response per site visited per day."""
        return self.response_bytes * self.lookups_per_day

    def coverage(self, target: Target) -> float:
        """The CA's responder answers for every certificate it issued."""
        return 1.0

    def time_to_protection(
        self, revocation: Revocation, *, last_published_at: dt.datetime
    ) -> Protection:
        """Protection when the cached "good" response expires, if the client can be told.

        ``last_published_at`` is the thisUpdate of the last "good" response before the
        revocation.
        """
        age = _published(
            revocation, last_published_at, self.response_validity_hours, "response_validity_hours"
        )
        normal = self.response_validity_hours - age
        if revocation.self_vouching and self.accepts_ca_responder:
            return _forged_ocsp(self.mechanism, revocation, normal, self.response_validity_hours)
        if revocation.blocks_responder and not self.hard_fail:
            return Protection(
                self.mechanism, NEVER, 1.0, "the attacker blocks the responder; soft-fail accepts"
            )
        return Protection(
            self.mechanism, normal, 1.0, "the cached 'good' response expires at its nextUpdate"
        )


@dataclass(frozen=True)
class OcspHardFail(_Ocsp):
    """OCSP that rejects the certificate when no valid response can be obtained."""

    mechanism: ClassVar[Mechanism] = Mechanism.OCSP_HARD_FAIL
    hard_fail: ClassVar[bool] = True


@dataclass(frozen=True)
class OcspSoftFail(_Ocsp):
    """OCSP that accepts the certificate when the responder cannot be reached."""

    mechanism: ClassVar[Mechanism] = Mechanism.OCSP_SOFT_FAIL
    hard_fail: ClassVar[bool] = False


@dataclass(frozen=True)
class OcspStapling:
    """OCSP stapling (RFC 6066 section 8): the server sends the response in the handshake.

    An attacker serving the revoked certificate staples the last "good" response it got,
    valid until its nextUpdate (at most 10 days, BR 2.2.6 4.9.9). Without must-staple (RFC 7633)
    it then strips the staple, and a client falling back to soft-fail OCSP is lost when the
    responder is blocked. Only the leaf's status is stapled (RFC 6961 multi-stapling is not
    deployed), so a revoked intermediate is not covered.

    Attributes:
        staple_validity_hours: Validity of a staple (BR 2.2.6 4.9.9: at most 10 days).
        staple_bytes: Size of one staple.
        handshakes_per_day: Handshakes per day that carry one.
        must_staple: The certificate carries the TLS Feature must-staple extension.
        accepts_ca_responder: The client accepts CA certificates as OCSP responders.
    """

    mechanism: ClassVar[Mechanism] = Mechanism.OCSP_STAPLING
    staple_validity_hours: float = 240.0
    staple_bytes: float = 1000.0
    handshakes_per_day: float = 100.0
    must_staple: bool = False
    accepts_ca_responder: bool = True

    def __post_init__(self) -> None:
        _positive("staple_validity_hours", self.staple_validity_hours)
        _non_negative("staple_bytes", self.staple_bytes)
        _non_negative("handshakes_per_day", self.handshakes_per_day)

    @property
    def bytes_per_day(self) -> float:
        """Staples received inside TLS handshakes."""
        return self.staple_bytes * self.handshakes_per_day

    def coverage(self, target: Target) -> float:
        """Leaves only: the staple carries the leaf's status."""
        return 1.0 if target is Target.LEAF else 0.0

    def time_to_protection(
        self, revocation: Revocation, *, last_published_at: dt.datetime
    ) -> Protection:
        """Protection when the replayed staple expires (``last_published_at``: its thisUpdate)."""
        age = _published(
            revocation, last_published_at, self.staple_validity_hours, "staple_validity_hours"
        )
        if revocation.target is Target.INTERMEDIATE:
            return Protection(self.mechanism, NEVER, 0.0, "only the leaf's status is stapled")
        normal = self.staple_validity_hours - age
        if revocation.self_vouching and self.accepts_ca_responder:
            return _forged_ocsp(self.mechanism, revocation, normal, self.staple_validity_hours)
        if revocation.blocks_responder and not self.must_staple:
            return Protection(
                self.mechanism,
                NEVER,
                1.0,
                "no must-staple: the attacker strips the staple and blocks the responder",
            )
        return Protection(
            self.mechanism, normal, 1.0, "the replayed 'good' staple expires at its nextUpdate"
        )


def _next_push_hours(
    age: float, publish_interval: float, ingest_delay: float, client_delay: float
) -> float:
    """Hours from the revocation to the first push that carries it, plus the client's delay.

    Pushes happen at ``last_published_at + k * publish_interval`` (k >= 1); the first one to
    carry the revocation is at least ``ingest_delay`` after it.
    """
    periods = max(1, math.ceil((age + ingest_delay) / publish_interval - 1e-9))
    return periods * publish_interval - age + client_delay


@dataclass(frozen=True)
class _PushList(abc.ABC):
    """A list the browser vendor builds and pushes to its clients, signed by the vendor."""

    mechanism: ClassVar[Mechanism]
    publish_interval_hours: float
    ingest_delay_hours: float
    client_delay_hours: float
    bytes_per_day: float

    def __post_init__(self) -> None:
        _positive("publish_interval_hours", self.publish_interval_hours)
        _non_negative("ingest_delay_hours", self.ingest_delay_hours)
        _non_negative("client_delay_hours", self.client_delay_hours)
        _non_negative("bytes_per_day", self.bytes_per_day)

    @abc.abstractmethod
    def coverage(self, target: Target) -> float:
        """The share of revocations of ``target`` certificates the list carries, in [0, 1]."""

    def _covered(self, revocation: Revocation) -> float:
        return self.coverage(revocation.target)

    def time_to_protection(
        self, revocation: Revocation, *, last_published_at: dt.datetime
    ) -> Protection:
        """Protection at the first push after the list ingests the revocation.

        ``last_published_at`` is the last push before the revocation. Neither blocking the
        responder nor a self-vouching key changes anything: the list is signed by the vendor.
        """
        age = _published(
            revocation, last_published_at, self.publish_interval_hours, "publish_interval_hours"
        )
        coverage = self._covered(revocation)
        if coverage == 0.0:
            return Protection(
                self.mechanism, NEVER, 0.0, f"does not carry this {revocation.target}"
            )
        hours = _next_push_hours(
            age, self.publish_interval_hours, self.ingest_delay_hours, self.client_delay_hours
        )
        return Protection(self.mechanism, hours, coverage, "the next push carries the revocation")


@dataclass(frozen=True)
class CrlSet(_PushList):
    """Chrome CRLSets: a pushed subset of the revocations on crawled CRLs.

    The current Chromium page: the primary means by which Chrome quickly blocks certificates
    in emergencies; as a secondary function, some non-emergency revocations of intermediates
    and leaves from CRLs disclosed to CCADB (and, for intermediates, found via CT); a subset
    only; no online checks unless enterprise policy enables them. Leaf coverage is partial
    (0.35 % in Liu et al., IMC 2015). ``reasons`` admits every reason by default (the page
    names no filter); pass a subset to model the older page's reason-code filter. Sources:
    https://www.chromium.org/Home/chromium-security/crlsets/ and ``mechanisms.json``.
    """

    mechanism: ClassVar[Mechanism] = Mechanism.CRLSET
    publish_interval_hours: float = 6.0
    ingest_delay_hours: float = 24.0
    client_delay_hours: float = 0.0
    bytes_per_day: float = 250_000.0
    reasons: frozenset[Reason] = frozenset(Reason)
    leaf_coverage: float = 0.0035
    intermediate_coverage: float = 1.0

    def __post_init__(self) -> None:
        super().__post_init__()
        _fraction("leaf_coverage", self.leaf_coverage)
        _fraction("intermediate_coverage", self.intermediate_coverage)
        if not all(isinstance(r, Reason) for r in self.reasons):
            raise ParameterError(f"reasons must be Reason members, got {sorted(self.reasons)!r}")

    def coverage(self, target: Target) -> float:
        """Partial for leaves, (assumed) complete for intermediates."""
        return self.leaf_coverage if target is Target.LEAF else self.intermediate_coverage

    def _covered(self, revocation: Revocation) -> float:
        if revocation.reason not in self.reasons:
            return 0.0
        return self.coverage(revocation.target)


@dataclass(frozen=True)
class OneCrl(_PushList):
    """Firefox OneCRL (since Firefox 37): revoked intermediates only, pushed by Mozilla."""

    mechanism: ClassVar[Mechanism] = Mechanism.ONECRL
    publish_interval_hours: float = 24.0
    ingest_delay_hours: float = 168.0
    client_delay_hours: float = 0.0
    bytes_per_day: float = 30.0

    def coverage(self, target: Target) -> float:
        """Intermediates only."""
        return 1.0 if target is Target.INTERMEDIATE else 0.0


@dataclass(frozen=True)
class Crlite(_PushList):
    """Firefox CRLite: every WebPKI leaf revocation, compressed, pushed every 12 hours.

    Intermediates are left to OneCRL, so CRLite alone does not cover them.
    """

    mechanism: ClassVar[Mechanism] = Mechanism.CRLITE
    publish_interval_hours: float = 12.0
    ingest_delay_hours: float = 24.0
    client_delay_hours: float = 0.0
    bytes_per_day: float = 300_000.0

    def coverage(self, target: Target) -> float:
        """Complete for leaves; intermediates are OneCRL's job."""
        return 1.0 if target is Target.LEAF else 0.0


@dataclass(frozen=True)
class ShortLived:
    """Short-lived certificates: no revocation at all, the certificate simply expires.

    ``last_published_at`` is the certificate's notBefore; protection comes at its notAfter.
    Intermediates are not short-lived, so they are not covered.

    Attributes:
        lifetime_hours: The certificate's lifetime (Let's Encrypt "shortlived": 160 h).
    """

    mechanism: ClassVar[Mechanism] = Mechanism.SHORT_LIVED
    lifetime_hours: float = 160.0

    def __post_init__(self) -> None:
        _positive("lifetime_hours", self.lifetime_hours)

    @property
    def bytes_per_day(self) -> float:
        """Nothing: no revocation data is ever downloaded."""
        return 0.0

    def coverage(self, target: Target) -> float:
        """Leaves only."""
        return 1.0 if target is Target.LEAF else 0.0

    def time_to_protection(
        self, revocation: Revocation, *, last_published_at: dt.datetime
    ) -> Protection:
        """Protection at the certificate's expiry, whatever the attacker does."""
        age = _published(revocation, last_published_at, self.lifetime_hours, "lifetime_hours")
        if revocation.target is Target.INTERMEDIATE:
            return Protection(self.mechanism, NEVER, 0.0, "intermediates are not short-lived")
        return Protection(self.mechanism, self.lifetime_hours - age, 1.0, "the certificate expires")


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
        self, revocation: Revocation, *, last_published_at: dt.datetime
    ) -> Protection:
        """When a client relying on this mechanism stops trusting the revoked certificate."""


#: The configuration class of every mechanism (a test proves none is missing).
MECHANISM_TYPES: dict[Mechanism, type[MechanismConfig]] = {
    Mechanism.CRL: Crl,
    Mechanism.OCSP_HARD_FAIL: OcspHardFail,
    Mechanism.OCSP_SOFT_FAIL: OcspSoftFail,
    Mechanism.OCSP_STAPLING: OcspStapling,
    Mechanism.CRLSET: CrlSet,
    Mechanism.ONECRL: OneCrl,
    Mechanism.CRLITE: Crlite,
    Mechanism.SHORT_LIVED: ShortLived,
}


@dataclass(frozen=True)
class Parameter:
    """One published parameter of a mechanism, with its source.

    Attributes:
        mechanism: The mechanism it configures.
        name: The configuration field it sets.
        value: Its value (a number, a bool, or a list of reason codes).
        unit: Its unit.
        source: Where it comes from ("estimate" when no primary source states it), led by
            the versioned citation of each rule it rests on (``sim.rules.cite``).
        rules: The ids of those rules in ``sim.rules.RULES``.
    """

    mechanism: Mechanism
    name: str
    value: Any
    unit: str
    source: str
    rules: tuple[str, ...] = ()


def load_parameters() -> tuple[Parameter, ...]:
    """Read the shipped parameters and their sources from ``sim/data/mechanisms.json``."""
    text = resources.files("sim").joinpath(_DATA_FILE).read_text("utf-8")
    raw = json.loads(text)["mechanisms"]
    out = []
    for key, params in raw.items():
        for name, entry in params.items():
            rules = tuple(entry.get("rules", ()))
            cited = "; ".join(cite(r) for r in rules)
            source = f"{cited}: {entry['source']}" if cited else entry["source"]
            value, unit = entry["value"], entry["unit"]
            out.append(Parameter(Mechanism(key), name, value, unit, source, rules))
    return tuple(out)


def default_mechanisms() -> dict[Mechanism, MechanismConfig]:
    """Every mechanism configured with its shipped, sourced parameters."""
    values: dict[Mechanism, dict[str, Any]] = {m: {} for m in Mechanism}
    for param in load_parameters():
        value = param.value
        if param.name == "reasons":
            value = frozenset(Reason(code) for code in value)
        values[param.mechanism][param.name] = value
    return {m: MECHANISM_TYPES[m](**values[m]) for m in Mechanism}


class Scenario(StrEnum):
    """The standard revocations of the mechanism table."""

    LEAF = "leaf"
    LEAF_BLOCKED = "leaf_blocked"
    INTERMEDIATE_2020 = "intermediate_2020"


def scenario_revocation(scenario: Scenario, revoked_at: dt.datetime) -> Revocation:
    """The :class:`Revocation` of a standard scenario.

    Args:
        scenario: ``leaf``: a leaf revoked for key compromise, its key in the attacker's hands;
            ``leaf_blocked``: the same, and the attacker blocks OCSP/CRL downloads;
            ``intermediate_2020``: an intermediate with id-kp-OCSPSigning revoked, its key
            able to sign "good" OCSP answers about itself, and not destroyed.
        revoked_at: The revocation time (timezone-aware).

    Returns:
        The revocation.
    """
    scenario = Scenario(scenario)
    if scenario is Scenario.INTERMEDIATE_2020:
        return Revocation(revoked_at, Target.INTERMEDIATE, Reason.UNSPECIFIED, self_vouching=True)
    return Revocation(
        revoked_at,
        Target.LEAF,
        Reason.KEY_COMPROMISE,
        blocks_responder=scenario is Scenario.LEAF_BLOCKED,
    )


def worst_case_protections(
    revocation: Revocation, mechanisms: Mapping[Mechanism, MechanismConfig] | None = None
) -> dict[Mechanism, Protection]:
    """Each mechanism's protection when the revocation comes right after its publication.

    Args:
        revocation: The revocation.
        mechanisms: Configurations; :func:`default_mechanisms` when None.

    Returns:
        The protection per mechanism, in the mapping's order.
    """
    configs = default_mechanisms() if mechanisms is None else mechanisms
    return {
        m: config.time_to_protection(revocation, last_published_at=revocation.revoked_at)
        for m, config in configs.items()
    }


def mechanism_table(
    mechanisms: Mapping[Mechanism, MechanismConfig] | None = None,
) -> pd.DataFrame:
    """The table of mechanisms: worst-case time to protection and bandwidth.

    Args:
        mechanisms: Configurations; :func:`default_mechanisms` when None.

    Returns:
        One row per mechanism (index: the mechanism's value) with columns ``label``,
        ``days_<scenario>`` and ``covered_<scenario>`` for each :class:`Scenario` (days are
        ``inf`` for never; covered is the coverage), ``coverage_leaf``,
        ``coverage_intermediate`` and ``bytes_per_day``.
    """
    configs = default_mechanisms() if mechanisms is None else dict(mechanisms)
    rows: dict[str, dict[str, Any]] = {m.value: {"label": LABELS[m]} for m in configs}
    for scenario in Scenario:
        revocation = scenario_revocation(scenario, _REFERENCE_TIME)
        for m, protection in worst_case_protections(revocation, configs).items():
            never = protection.never
            rows[m.value][f"days_{scenario.value}"] = NEVER if never else protection.days
            rows[m.value][f"covered_{scenario.value}"] = protection.coverage
    for m, config in configs.items():
        rows[m.value]["coverage_leaf"] = config.coverage(Target.LEAF)
        rows[m.value]["coverage_intermediate"] = config.coverage(Target.INTERMEDIATE)
        rows[m.value]["bytes_per_day"] = float(config.bytes_per_day)
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "mechanism"
    return table


@dataclass(frozen=True)
class ClientProfile:
    """A kind of TLS client and the mechanisms it relies on.

    Attributes:
        name: A short name (a column name of :func:`client_exposure`).
        share: Its share of all clients (0..1).
        mechanisms: The mechanisms it uses; any one that protects suffices. Empty: the
            client never checks revocation (curl by default, many mobile apps).
    """

    name: str
    share: float
    mechanisms: tuple[Mechanism, ...] = ()

    def __post_init__(self) -> None:
        if not self.name or not self.name.isidentifier():
            raise ParameterError(f"name must be a non-empty identifier, got {self.name!r}")
        _fraction(f"share of {self.name}", self.share)
        for m in self.mechanisms:
            if not isinstance(m, Mechanism):
                raise ParameterError(
                    f"mechanisms of {self.name} must be Mechanism members, got {m!r}"
                )


@dataclass(frozen=True)
class ClientMix:
    """A population of clients: profiles whose shares sum to 1.

    Attributes:
        profiles: The client profiles, names unique.
    """

    profiles: tuple[ClientProfile, ...]

    def __post_init__(self) -> None:
        if not self.profiles:
            raise ParameterError("profiles must name at least one client profile")
        names = [p.name for p in self.profiles]
        if len(set(names)) != len(names):
            raise ParameterError(f"profile names must be unique, got {names}")
        total = math.fsum(p.share for p in self.profiles)
        if not math.isclose(total, 1.0, abs_tol=1e-9):
            raise ParameterError(f"profile shares must sum to 1, got {total:g}")


def browser_mix(*, chrome: float = 0.6, firefox: float = 0.1, other: float = 0.3) -> ClientMix:
    """The lessons' client mix: Chrome, Firefox, and clients that never check.

    Chrome relies on CRLSets (no online checks by default); desktop Firefox on OneCRL for
    intermediates and CRLite for leaves (OCSP off since Firefox 142); "other" (curl, most
    mobile apps and libraries) checks nothing. The default shares are illustrative, not
    measured: move them in the lessons.

    Args:
        chrome: Share of Chrome (and Chromium-based) clients, 0..1.
        firefox: Share of desktop Firefox clients, 0..1.
        other: Share of clients that never check, 0..1.

    Returns:
        The mix (shares must sum to 1).
    """
    return ClientMix(
        (
            ClientProfile("chrome", chrome, (Mechanism.CRLSET,)),
            ClientProfile("firefox", firefox, (Mechanism.ONECRL, Mechanism.CRLITE)),
            ClientProfile("other", other, ()),
        )
    )


def client_exposure(
    served: Sequence[float] | np.ndarray[Any, Any] | pd.Series[Any],
    *,
    revocation_day: int,
    protections: Mapping[Mechanism, Protection],
    mix: ClientMix,
) -> pd.DataFrame:
    """The share of clients still trusting a revoked certificate, day by day.

    Plain inputs, so any timeline fits: ``served`` is, per day, the number of certificates
    still served that the revocation should stop (served under a revoked intermediate, or
    revoked but not yet replaced). The revocation happens at the start of
    ``revocation_day``; day ``d`` is evaluated at its start, ``(d - revocation_day) * 24``
    hours later. A client is protected once any of its mechanisms protects; partial
    coverages combine as independent chances.

    Args:
        served: Per-day counts (a Series keeps its index), each >= 0.
        revocation_day: Position of the revocation day in ``served``.
        protections: One :class:`Protection` per mechanism the mix uses (e.g. from
            :func:`worst_case_protections`).
        mix: The client mix.

    Returns:
        A DataFrame with ``served``, one ``exposed_<profile>`` column per profile (share of
        those clients still trusting), ``exposed_all`` (the mix-weighted share) and
        ``accepted`` (``served * exposed_all``: certificates a random client still accepts).
        Exposure is NaN before the revocation day.
    """
    counts = np.asarray(served, dtype=float)
    if counts.ndim != 1 or counts.size == 0:
        raise ParameterError("served must be a non-empty one-dimensional sequence of counts")
    if not np.all(np.isfinite(counts)) or np.any(counts < 0):
        raise ParameterError("served must hold finite counts >= 0")
    if not (isinstance(revocation_day, int | np.integer) and 0 <= revocation_day < counts.size):
        raise ParameterError(f"revocation_day must be an integer in [0, {counts.size - 1}]")
    missing = sorted(
        {m.value for p in mix.profiles for m in p.mechanisms} - {m.value for m in protections}
    )
    if missing:
        raise ParameterError(
            f"protections must include every mechanism of the mix; missing {missing}"
        )
    index = (
        served.index if isinstance(served, pd.Series) else pd.RangeIndex(counts.size, name="day")
    )
    elapsed = (np.arange(counts.size) - int(revocation_day)) * _HOURS_PER_DAY
    frame = pd.DataFrame({"served": counts}, index=index)
    total = np.zeros(counts.size)
    for profile in mix.profiles:
        exposed = np.ones(counts.size)
        for m in profile.mechanisms:
            exposed *= np.array([protections[m].exposed(float(h)) for h in elapsed])
        exposed[elapsed < 0] = np.nan
        frame[f"exposed_{profile.name}"] = exposed
        total += profile.share * exposed
    frame["exposed_all"] = total
    frame["accepted"] = counts * total
    return frame


class _TimelineLike(Protocol):
    """What :func:`timeline_exposure` needs of a ``sim.incident.Timeline``."""

    @property
    def revocation_days(self) -> pd.Series[Any]:
        """Affected intermediate name -> revocation day (``inf``: not revoked)."""

    def by(self, level: str) -> pd.DataFrame:
        """Counts per ``(day, level)`` with columns ``affected`` and ``broken`` among others."""


def timeline_exposure(
    timeline: _TimelineLike,
    intermediate: str,
    *,
    mix: ClientMix,
    mechanisms: Mapping[Mechanism, MechanismConfig] | None = None,
    self_vouching: bool = True,
) -> pd.DataFrame:
    """:func:`client_exposure` for one revoked intermediate of a ``sim.incident`` timeline.

    The certificates the revocation should stop are those still served under the
    intermediate (``affected + broken`` of ``timeline.by("intermediate")``); it is revoked at
    the start of ``floor(timeline.revocation_days[intermediate])``, in the worst case for
    every mechanism (right after its publication).

    Args:
        timeline: A ``sim.incident.Timeline`` (or anything with ``by`` and ``revocation_days``).
        intermediate: The intermediate's name, as in ``timeline.revocation_days``.
        mix: The client mix.
        mechanisms: Configurations; :func:`default_mechanisms` when None.
        self_vouching: The intermediate can sign "good" OCSP answers about itself (2020).

    Returns:
        The DataFrame of :func:`client_exposure`, indexed by the timeline's days.

    Raises:
        ParameterError: unknown intermediate, or one not revoked within the timeline.
    """
    days = timeline.revocation_days
    if intermediate not in days.index:
        raise ParameterError(f"intermediate must be one of the timeline's, got {intermediate!r}")
    by = timeline.by("intermediate").xs(intermediate, level="intermediate")
    served = by["affected"] + by["broken"]
    day = float(days[intermediate])
    if not (math.isfinite(day) and 0 <= day < len(served)):
        raise ParameterError(
            f"intermediate {intermediate!r} is not revoked within the timeline (day {day:g})"
        )
    revocation = Revocation(_REFERENCE_TIME, Target.INTERMEDIATE, self_vouching=self_vouching)
    return client_exposure(
        served,
        revocation_day=math.floor(day),
        protections=worst_case_protections(revocation, mechanisms),
        mix=mix,
    )
