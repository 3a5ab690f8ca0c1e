"""Certificate lifetime rules by issuance date, and issuance profiles.

Two kinds of data live here, both as plain values rather than code branches:

* the maximum lifetime of a publicly trusted TLS certificate by issuance date
  (``sim/data/calibration/tls_max_validity.csv``: section 6.3.2 of the Baseline Requirements,
  each row citing the BR version, e.g. BR 1.3.0 §6.3.2; CA/B Forum Ballot 193, Apple's
  398-day rule / Ballot SC31, Ballot SC081's 200 / 100 / 47-day steps;
  https://github.com/cabforum/servercert);
* issuance profiles: how long a certificate of a given kind lives and how many days before its
  expiry its owner renews it (ACME 90-day renewed at 60 days, Let's Encrypt's 6-day and 45-day
  profiles, manual 825 / 397 / 200-day certificates renewed near expiry, S/MIME and code signing).

A population model (``sim.population``) looks profiles up by name; nothing downstream branches
on a profile's identity.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources
from types import MappingProxyType

from sim.errors import ParameterError
from sim.times import require_aware

__all__ = [
    "KINDS",
    "PROFILES",
    "SEGMENTS",
    "LeafKind",
    "MaxValidityRule",
    "OwnerSegment",
    "Profile",
    "get_profile",
    "max_tls_validity_days",
    "max_validity_rules",
    "tls_max_validity_rule",
]


class LeafKind(StrEnum):
    """Kinds of leaf in a population. ``other``: client-auth, document-signing, time-stamping."""

    TLS = "tls"
    SMIME = "smime"
    CODE_SIGNING = "code_signing"
    OTHER = "other"


class OwnerSegment(StrEnum):
    """Owner segments: who renews, and how."""

    AUTOMATED = "automated"
    MANUAL = "manual"
    NEVER_RENEWS = "never-renews"


#: The kinds in array order (populations index arrays by position in this tuple).
KINDS: tuple[str, ...] = tuple(kind.value for kind in LeafKind)
#: The segments in array order.
SEGMENTS: tuple[str, ...] = tuple(segment.value for segment in OwnerSegment)

#: Before the first row of the data file (60 months from the BR's Effective Date, 2012-07-01)
#: there was no forum-wide limit; populations assume the same 60 months (an assumption; the
#: audit states no limit there: ``tls_max_validity_rule`` returns None).
_PRE_BR_MAX_DAYS = 1827


@dataclass(frozen=True)
class MaxValidityRule:
    """One row of the TLS maximum-validity schedule.

    Attributes:
        effective: First issuance instant the rule applies to (UTC).
        max_days: Maximum validity period in days.
        rule: The rule's name (ballot or BR section).
        source: Where the rule is published.
    """

    effective: dt.datetime
    max_days: int
    rule: str
    source: str


@functools.cache
def max_validity_rules() -> tuple[MaxValidityRule, ...]:
    """The TLS maximum-validity schedule shipped in ``sim/data/calibration/tls_max_validity.csv``.

    Returns:
        The rules, oldest first.
    """
    text = (
        resources.files("sim")
        .joinpath("data/calibration/tls_max_validity.csv")
        .read_text(encoding="utf-8")
    )
    rules = [
        MaxValidityRule(
            effective=dt.datetime.fromisoformat(row["effective_utc"]).replace(tzinfo=dt.UTC),
            max_days=int(row["max_validity_days"]),
            rule=row["rule"],
            source=row["source"],
        )
        for row in csv.DictReader(text.splitlines())
    ]
    return tuple(sorted(rules, key=lambda r: r.effective))


def tls_max_validity_rule(issued: dt.datetime) -> MaxValidityRule | None:
    """The TLS maximum-validity rule in force at ``issued``: the one place that answers it.

    The audit (``sim.audit``) and the populations (``max_tls_validity_days``) both ask here.

    Args:
        issued: Issuance instant (a certificate's notBefore), timezone-aware.

    Returns:
        The rule, or None before the first dated limit (the BR's Effective Date, 2012-07-01).

    Raises:
        ParameterError: ``issued`` is naive.
    """
    when = require_aware(issued, "issued")
    found = None
    for rule in max_validity_rules():
        if when >= rule.effective:
            found = rule
    return found


def max_tls_validity_days(issued: dt.datetime) -> int:
    """The maximum lifetime of a publicly trusted TLS certificate issued at ``issued``.

    Args:
        issued: Issuance instant, timezone-aware.

    Returns:
        The limit in days (``tls_max_validity_rule``; 60 months before 2012-07-01, assumed).

    Raises:
        ParameterError: ``issued`` is naive.
    """
    rule = tls_max_validity_rule(issued)
    return _PRE_BR_MAX_DAYS if rule is None else rule.max_days


@dataclass(frozen=True)
class Profile:
    """An issuance profile: a certificate kind, its lifetime and when its owner renews it.

    Attributes:
        name: Stable identifier, e.g. ``"acme-90"``.
        kind: One of ``KINDS``.
        lifetime_days: Validity period in days (may be fractional: 160 h is 6.67 days).
        renew_before_days: The owner renews this many days before expiry (0: at expiry).
        description: One line for people.
        source: Where the figures come from.
    """

    name: str
    kind: str
    lifetime_days: float
    renew_before_days: float
    description: str = ""
    source: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ParameterError(f"kind must be one of {', '.join(KINDS)}, got {self.kind!r}")
        if not (math.isfinite(self.lifetime_days) and self.lifetime_days > 0):
            raise ParameterError(
                f"lifetime_days must be a finite number > 0, got {self.lifetime_days!r}"
            )
        if not 0 <= self.renew_before_days < self.lifetime_days:
            raise ParameterError(
                f"renew_before_days must be in [0, lifetime_days={self.lifetime_days}), "
                f"got {self.renew_before_days!r}"
            )

    @property
    def renewal_period_days(self) -> float:
        """Days between two issuances for an owner who renews on schedule."""
        return self.lifetime_days - self.renew_before_days

    def lifetime_at(self, issued: dt.datetime) -> float:
        """The lifetime of a certificate of this profile issued at ``issued``.

        TLS lifetimes are capped by the maximum in force at issuance (each rule cites its BR
        version); other kinds
        keep the profile's lifetime.

        Args:
            issued: Issuance instant, timezone-aware.
        """
        if self.kind != LeafKind.TLS:
            require_aware(issued, "issued")
            return self.lifetime_days
        return float(min(self.lifetime_days, max_tls_validity_days(issued)))


_SIX_DAYS = 160 / 24  # Let's Encrypt "shortlived": 160 hours

_PROFILE_LIST: tuple[Profile, ...] = (
    Profile(
        "acme-90", LeafKind.TLS, 90, 30,
        "ACME 90-day certificate renewed at 60 days (Certbot: one third remaining)",
        "https://letsencrypt.org/2015/11/09/why-90-days/",
    ),
    Profile(
        "le-shortlived", LeafKind.TLS, _SIX_DAYS, _SIX_DAYS / 3,
        "Let's Encrypt 6-day (160 h) profile, GA 2026-01-15, renewed with one third left",
        "https://letsencrypt.org/2025/12/02/from-90-to-45",
    ),
    Profile(
        "le-45", LeafKind.TLS, 45, 15,
        "Let's Encrypt 45-day profile (opt-in 2026-05-13, default 2028-02-16)",
        "https://letsencrypt.org/2025/12/02/from-90-to-45",
    ),
    Profile(
        "manual-825", LeafKind.TLS, 825, 30,
        "manual 825-day certificate (2018-03..2020-08 maximum), renewed a month before expiry",
        "CA/B Forum Ballot 193",
    ),
    Profile(
        "manual-397", LeafKind.TLS, 397, 14,
        "manual 397-day certificate (2020-09..2026-03), renewed two weeks before expiry",
        "Ballot SC31; https://support.apple.com/en-us/HT211025",
    ),
    Profile(
        "manual-365", LeafKind.TLS, 365, 14,
        "manual one-year certificate (typical of 2014), renewed two weeks before expiry",
        "assumption: the common commercial product of the time",
    ),
    Profile(
        "manual-200", LeafKind.TLS, 200, 14,
        "manual 200-day certificate (SC081 step 1, since 2026-03-15)",
        "CA/B Forum Ballot SC081",
    ),
    Profile(
        "manual-100", LeafKind.TLS, 100, 10,
        "manual 100-day certificate (SC081 step 2, from 2027-03-15)",
        "CA/B Forum Ballot SC081",
    ),
    Profile(
        "manual-47", LeafKind.TLS, 47, 7,
        "47-day certificate (SC081 step 3, from 2029-03-15)",
        "CA/B Forum Ballot SC081",
    ),
    Profile(
        "smime-730", LeafKind.SMIME, 730, 30,
        "S/MIME two-year certificate (the S/MIME Baseline Requirements, section 6.3.2, allow "
        "up to 825 days)",
        "https://github.com/cabforum/smime",
    ),
    Profile(
        "code-signing-1095", LeafKind.CODE_SIGNING, 1095, 30,
        "code-signing three-year certificate (the Code Signing Baseline Requirements, section "
        "6.3.2: at most 39 months before 2026)",
        "https://github.com/cabforum/code-signing",
    ),
    Profile(
        "other-730", LeafKind.OTHER, 730, 30,
        "client-auth / document-signing / time-stamping leaf, two years (assumption)",
        "assumption: no forum-wide limit",
    ),
)  # fmt: skip

#: Every shipped profile by name.
PROFILES: Mapping[str, Profile] = MappingProxyType({p.name: p for p in _PROFILE_LIST})


def get_profile(name: str) -> Profile:
    """The shipped profile called ``name``.

    Raises:
        ParameterError: no such profile.
    """
    try:
        return PROFILES[name]
    except KeyError:
        raise ParameterError(
            f"profile must be one of {', '.join(PROFILES)}, got {name!r}"
        ) from None
