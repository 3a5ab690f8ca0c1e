"""How clients learn of a revocation, and how long they keep trusting a revoked certificate.

Each mechanism is a small frozen configuration with its published parameters (shipped with
their sources in ``sim/data/mechanisms.json``) and answers one question: after a certificate
is revoked at ``revoked_at``, when does a client that relies on this mechanism stop trusting
it, and what does the client download per day to get there?

See :mod:`sim.protection` for the conventions every model follows (worst case: revoked
right after a publication; "never" is :data:`sim.protection.NEVER_PROTECTS`).

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
from dataclasses import dataclass
from importlib import resources
from typing import Any, ClassVar

from sim.errors import ParameterError
from sim.protection import (
    HOURS_PER_DAY,
    NEVER_PROTECTS,
    Mechanism,
    MechanismConfig,
    Protection,
    Reason,
    RevocationEvent,
    Target,
    check_fraction,
    hours_between,
)
from sim.rules import cite
from sim.times import require_aware

__all__ = [
    "MECHANISM_TYPES",
    "Crl",
    "CrlSet",
    "Crlite",
    "OcspHardFail",
    "OcspSoftFail",
    "OcspStapling",
    "OneCrl",
    "Parameter",
    "ShortLived",
    "default_mechanisms",
    "load_parameters",
]

_DATA_FILE = "data/mechanisms.json"


def _non_negative(name: str, value: float) -> None:
    if not (isinstance(value, int | float) and math.isfinite(value) and value >= 0):
        raise ParameterError(f"{name} must be a finite number >= 0, got {value!r}")


def _positive(name: str, value: float) -> None:
    if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
        raise ParameterError(f"{name} must be a finite number > 0, got {value!r}")


def _published(
    revocation: RevocationEvent, last_published_at: dt.datetime, window_hours: float, window: str
) -> float:
    """Hours from the last publication to the revocation, checked against its window."""
    require_aware(last_published_at, "last_published_at")
    age = hours_between(last_published_at, revocation.revoked_at)
    if not (0.0 <= age < window_hours):
        raise ParameterError(
            f"last_published_at must be at most revoked_at and less than {window} "
            f"({window_hours:g} h) before it, got {age:g} h before"
        )
    return age


def _forged_ocsp(
    mechanism: Mechanism, revocation: RevocationEvent, normal_hours: float, validity_hours: float
) -> Protection:
    """OCSP against a self-vouching certificate: only the key's destruction helps."""
    if revocation.key_destroyed_at is None:
        return Protection(
            mechanism,
            NEVER_PROTECTS,
            1.0,
            "the revoked certificate signs its own 'good' OCSP answer (RFC 6960 4.2.2.2)",
        )
    # A forgery signed just before the destruction is accepted until its nextUpdate, which
    # clients bound here by the BR 2.2.6 4.9.9 validity (an assumption: a forger may lie).
    after_destruction = (
        hours_between(revocation.revoked_at, revocation.key_destroyed_at) + validity_hours
    )
    return Protection(
        mechanism,
        max(normal_hours, after_destruction),
        1.0,
        "forged 'good' answers stop once the key is destroyed and the last one expires",
    )


@dataclass(frozen=True)
class Crl:
    """Certificate RevocationEvent Lists (RFC 5280 section 5) fetched and cached by the client.

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
        return self.crl_bytes * self.crls_per_client * HOURS_PER_DAY / self.next_update_hours

    def coverage(self, target: Target) -> float:
        """CRLs list every revocation of their issuer, leaves and intermediates alike."""
        return 1.0

    def time_to_protection(
        self, revocation: RevocationEvent, *, last_published_at: dt.datetime
    ) -> Protection:
        """Protection at the cached CRL's nextUpdate, unless a soft-fail client is blocked."""
        if revocation.target is Target.INTERMEDIATE:
            window, name = self.arl_next_update_hours, "arl_next_update_hours"
        else:
            window, name = self.next_update_hours, "next_update_hours"
        age = _published(revocation, last_published_at, window, name)
        if revocation.blocks_responder and self.soft_fail:
            return Protection(
                self.mechanism,
                NEVER_PROTECTS,
                1.0,
                "the attacker blocks the CRL; soft-fail accepts",
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
        self, revocation: RevocationEvent, *, last_published_at: dt.datetime
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
                self.mechanism,
                NEVER_PROTECTS,
                1.0,
                "the attacker blocks the responder; soft-fail accepts",
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
        self, revocation: RevocationEvent, *, last_published_at: dt.datetime
    ) -> Protection:
        """Protection when the replayed staple expires (``last_published_at``: its thisUpdate)."""
        age = _published(
            revocation, last_published_at, self.staple_validity_hours, "staple_validity_hours"
        )
        if revocation.target is Target.INTERMEDIATE:
            return Protection(
                self.mechanism, NEVER_PROTECTS, 0.0, "only the leaf's status is stapled"
            )
        normal = self.staple_validity_hours - age
        if revocation.self_vouching and self.accepts_ca_responder:
            return _forged_ocsp(self.mechanism, revocation, normal, self.staple_validity_hours)
        if revocation.blocks_responder and not self.must_staple:
            return Protection(
                self.mechanism,
                NEVER_PROTECTS,
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

    def _covered(self, revocation: RevocationEvent) -> float:
        return self.coverage(revocation.target)

    def time_to_protection(
        self, revocation: RevocationEvent, *, last_published_at: dt.datetime
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
                self.mechanism, NEVER_PROTECTS, 0.0, f"does not carry this {revocation.target}"
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
        check_fraction("leaf_coverage", self.leaf_coverage)
        check_fraction("intermediate_coverage", self.intermediate_coverage)
        if not all(isinstance(r, Reason) for r in self.reasons):
            raise ParameterError(f"reasons must be Reason members, got {sorted(self.reasons)!r}")

    def coverage(self, target: Target) -> float:
        """Partial for leaves, (assumed) complete for intermediates."""
        return self.leaf_coverage if target is Target.LEAF else self.intermediate_coverage

    def _covered(self, revocation: RevocationEvent) -> float:
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
        self, revocation: RevocationEvent, *, last_published_at: dt.datetime
    ) -> Protection:
        """Protection at the certificate's expiry, whatever the attacker does."""
        age = _published(revocation, last_published_at, self.lifetime_hours, "lifetime_hours")
        if revocation.target is Target.INTERMEDIATE:
            return Protection(
                self.mechanism, NEVER_PROTECTS, 0.0, "intermediates are not short-lived"
            )
        return Protection(self.mechanism, self.lifetime_hours - age, 1.0, "the certificate expires")


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
