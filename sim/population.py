"""Vectorised certificate populations in steady state at a date.

A population is N leaf certificates, each with an owner segment (automated / manual /
never-renews), an issuance profile (``sim.policy.PROFILES``), a CA and intermediate taken from a
hierarchy spec, a kind (TLS / S/MIME / code signing / other) and a notBefore / notAfter.

The population is described by a table of *cells*: one row per combination of intermediate,
kind, segment and profile, with its probability. A certificate is a cell index plus an age, so
ten million certificates cost two arrays, and the aggregate ("cohort") mode uses the same
cells with expected counts instead of draws.

Steady state: an owner who renews on schedule replaces a certificate every
``lifetime - renew_before`` days, so the age of the certificate served today is uniform on
that period; a never-renewing owner's certificate is uniform over its whole lifetime.

The intermediates come from :mod:`sim.intermediates` (the real 2020 list by default).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

import numpy as np
import numpy.typing as npt
import pandas as pd

from sim.errors import ParameterError
from sim.intermediates import IntermediateSet, load_hierarchy_2020
from sim.policy import KINDS, PROFILES, SEGMENTS, LeafKind, OwnerSegment, get_profile
from sim.times import require_aware

__all__ = [
    "DEFAULT_KIND_SHARES",
    "MIX_2020",
    "Cells",
    "MixEntry",
    "Population",
    "PopulationMix",
    "PopulationMode",
    "as_generator",
    "make_population",
]


class PopulationMode(StrEnum):
    """How a population is drawn: one draw per certificate, or expected counts per cell."""

    CERTIFICATES = "certificates"
    COHORT = "cohort"



#: How leaves of an intermediate that can issue several kinds split between them (assumption:
#: no public figure; TLS dominates the public WebPKI).
DEFAULT_KIND_SHARES: Mapping[str, float] = MappingProxyType(
    {LeafKind.TLS: 0.6, LeafKind.SMIME: 0.25, LeafKind.CODE_SIGNING: 0.05, LeafKind.OTHER: 0.10}
)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class MixEntry:
    """A share of the certificates of one kind: an owner segment using one profile.

    Attributes:
        kind: One of ``sim.policy.KINDS``.
        segment: One of ``sim.policy.SEGMENTS``.
        profile: A name in ``sim.policy.PROFILES`` whose kind is ``kind``.
        share: Fraction of the kind's certificates, in [0, 1].
    """

    kind: str
    segment: str
    profile: str
    share: float

    def __post_init__(self) -> None:
        if self.segment not in SEGMENTS:
            raise ParameterError(
                f"segment must be one of {', '.join(SEGMENTS)}, got {self.segment!r}"
            )
        prof = get_profile(self.profile)
        if prof.kind != self.kind:
            raise ParameterError(
                f"profile {self.profile!r} is for kind {prof.kind!r}, not kind {self.kind!r}"
            )
        if not (math.isfinite(self.share) and 0.0 <= self.share <= 1.0):
            raise ParameterError(f"share must be in [0, 1], got {self.share!r}")


@dataclass(frozen=True)
class PopulationMix:
    """Which segments and profiles make up each kind; shares of a kind sum to 1.

    Attributes:
        name: The mix's name.
        entries: The entries.
    """

    name: str
    entries: tuple[MixEntry, ...]

    def __post_init__(self) -> None:
        for kind in {e.kind for e in self.entries}:
            total = sum(e.share for e in self.entries if e.kind == kind)
            if abs(total - 1.0) > 1e-9:
                raise ParameterError(f"shares of kind {kind!r} must sum to 1, got {total:.6g}")

    def with_segment_shares(self, kind: str, shares: Mapping[str, float]) -> PopulationMix:
        """A copy where the entries of ``kind`` take the given per-segment shares."""
        entries = tuple(
            MixEntry(e.kind, e.segment, e.profile, shares.get(e.segment, e.share))
            if e.kind == kind
            else e
            for e in self.entries
        )
        return PopulationMix(self.name, entries)


def _mix(name: str, tls: tuple[tuple[str, str, float], ...]) -> PopulationMix:
    non_tls = tuple(
        MixEntry(kind, seg, prof, share)
        for kind, prof in ((LeafKind.SMIME, "smime-730"),
                           (LeafKind.CODE_SIGNING, "code-signing-1095"),
                           (LeafKind.OTHER, "other-730"))
        for seg, share in ((OwnerSegment.MANUAL, 0.9), (OwnerSegment.NEVER_RENEWS, 0.1))
    )  # fmt: skip
    return PopulationMix(name, tuple(MixEntry(LeafKind.TLS, s, p, x) for s, p, x in tls) + non_tls)


#: The 2020 WebPKI under commercial CAs (assumption, no public split): few automated (ACME)
#: owners, most manual on 825-day certificates, some who never renew.
MIX_2020 = _mix(
    "2020",
    ((OwnerSegment.AUTOMATED, "acme-90", 0.10), (OwnerSegment.MANUAL, "manual-825", 0.85),
     (OwnerSegment.NEVER_RENEWS, "manual-825", 0.05)),
)  # fmt: skip

@dataclass(frozen=True, eq=False)
class Cells:
    """The population's cells: one per (intermediate, kind, segment, profile) combination.

    Attributes:
        intermediate: Index into the hierarchy's intermediates, per cell.
        kind: Index into ``KINDS``.
        segment: Index into ``SEGMENTS``.
        profile: Index into ``tuple(PROFILES)``.
        probability: Probability that a certificate falls in the cell; sums to 1.
        lifetime_days: Lifetime of the cell's certificates (TLS capped at the population date).
        span_days: Length of the steady-state age distribution: renewal period, or the
            lifetime for never-renewing owners.
        renews: Whether owners renew on schedule.
    """

    intermediate: IntArray
    kind: IntArray
    segment: IntArray
    profile: IntArray
    probability: FloatArray
    lifetime_days: FloatArray
    span_days: FloatArray
    renews: npt.NDArray[np.bool_]

    def __len__(self) -> int:
        return len(self.probability)


@dataclass(frozen=True, eq=False)
class Population:
    """N certificates in steady state at ``at``.

    In per-certificate mode ``cell`` and ``age_days`` hold one entry per certificate; in
    cohort mode they are ``None`` and counts are ``n * cells.probability``.

    Attributes:
        at: The population date (UTC).
        n: Number of certificates.
        hierarchy: The hierarchy spec.
        mix: The segment and profile mix.
        cells: The cell table.
        cell: Cell index per certificate (per-certificate mode).
        age_days: Age in days per certificate at ``at`` (per-certificate mode).
    """

    at: dt.datetime
    n: int
    hierarchy: IntermediateSet
    mix: PopulationMix
    cells: Cells
    cell: npt.NDArray[np.int32] | None = field(default=None, repr=False)
    age_days: npt.NDArray[np.float32] | None = field(default=None, repr=False)

    @property
    def is_cohort(self) -> bool:
        """Whether this population holds expected counts rather than certificates."""
        return self.cell is None

    def cell_counts(self) -> FloatArray:
        """Certificates per cell (expected counts in cohort mode)."""
        if self.cell is None:
            return self.n * self.cells.probability
        return np.bincount(self.cell, minlength=len(self.cells)).astype(np.float64)

    def frame(self) -> pd.DataFrame:
        """One row per certificate: segment, profile, ca, intermediate, kind, not_before, not_after.

        Meant for small populations (lessons, tests); per-certificate mode only.

        Raises:
            ParameterError: the population is in cohort mode.
        """
        if self.cell is None or self.age_days is None:
            raise ParameterError("mode must be 'certificates' to list certificates, got a cohort")
        c = self.cells
        idx = self.cell
        inter = self.hierarchy.intermediates
        profiles = tuple(PROFILES)
        age = self.age_days.astype(np.float64)
        start = pd.Timestamp(self.at)
        not_before = start - pd.to_timedelta(age, unit="D")
        return pd.DataFrame(
            {
                "segment": pd.Categorical.from_codes(c.segment[idx], pd.Index(SEGMENTS)),
                "profile": pd.Categorical.from_codes(c.profile[idx], pd.Index(profiles)),
                "ca": [inter[i].ca for i in c.intermediate[idx]],
                "intermediate": [inter[i].name for i in c.intermediate[idx]],
                "kind": pd.Categorical.from_codes(c.kind[idx], pd.Index(KINDS)),
                "not_before": not_before,
                "not_after": not_before + pd.to_timedelta(c.lifetime_days[idx], unit="D"),
            }
        )


def as_generator(seed: np.random.Generator | int) -> np.random.Generator:
    """A ``numpy.random.Generator`` from a generator or an integer seed >= 0.

    Raises:
        ParameterError: ``seed`` is neither.
    """
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool) and seed >= 0:
        return np.random.default_rng(int(seed))
    raise ParameterError(f"seed must be a numpy.random.Generator or an int >= 0, got {seed!r}")


def _intermediate_weights(
    hierarchy: IntermediateSet, leaf_weights: Mapping[str, float] | None
) -> FloatArray:
    weights = np.array([1.0 if i.kinds else 0.0 for i in hierarchy.intermediates])
    for key, value in (leaf_weights or {}).items():
        if not (math.isfinite(value) and value >= 0):
            raise ParameterError(
                f"leaf_weights[{key!r}] must be a finite number >= 0, got {value!r}"
            )
        ids = hierarchy.ids_of([key], parameter="leaf_weights")
        for k, inter in enumerate(hierarchy.intermediates):
            if inter.id in ids:
                weights[k] = value
    if weights.sum() <= 0:
        raise ParameterError("leaf_weights must leave at least one intermediate with weight > 0")
    return weights


def _build_cells(
    at: dt.datetime,
    hierarchy: IntermediateSet,
    mix: PopulationMix,
    weights: FloatArray,
    kind_shares: Mapping[str, float],
) -> Cells:
    for kind, share in kind_shares.items():
        if kind not in KINDS:
            raise ParameterError(
                f"kind_shares: kind must be one of {', '.join(KINDS)}, got {kind!r}"
            )
        if not (math.isfinite(share) and 0 <= share <= 1):
            raise ParameterError(f"kind_shares[{kind!r}] must be in [0, 1], got {share!r}")
    profiles = tuple(PROFILES)
    rows: list[tuple[int, int, int, int, float, float, float, bool]] = []
    total_w = weights.sum()
    lifetimes = {name: prof.lifetime_at(at) for name, prof in PROFILES.items()}
    for i, inter in enumerate(hierarchy.intermediates):
        if weights[i] <= 0:
            continue
        kinds = [k for k in inter.kinds if kind_shares.get(k, 0.0) > 0]
        if not kinds:
            kinds = list(inter.kinds)
            ks = {k: 1.0 for k in kinds}
        else:
            ks = {k: kind_shares[k] for k in kinds}
        norm = sum(ks.values())
        for kind in kinds:
            entries = [e for e in mix.entries if e.kind == kind]
            if not entries:
                raise ParameterError(f"mix {mix.name!r} has no entries for kind {kind!r}")
            for e in entries:
                p = weights[i] / total_w * ks[kind] / norm * e.share
                if p <= 0:
                    continue
                prof = PROFILES[e.profile]
                life = lifetimes[e.profile]
                renews = e.segment != OwnerSegment.NEVER_RENEWS
                # When the BR cap shortens a profile, keep its renewal margin proportional.
                before = prof.renew_before_days * life / prof.lifetime_days
                span = life - before if renews else life
                rows.append((i, KINDS.index(kind), SEGMENTS.index(e.segment),
                             profiles.index(e.profile), p, life, span, renews))  # fmt: skip
    cols = list(zip(*rows, strict=True))
    prob = np.array(cols[4], dtype=np.float64)
    return Cells(
        intermediate=np.array(cols[0], dtype=np.int64),
        kind=np.array(cols[1], dtype=np.int64),
        segment=np.array(cols[2], dtype=np.int64),
        profile=np.array(cols[3], dtype=np.int64),
        probability=prob / prob.sum(),
        lifetime_days=np.array(cols[5], dtype=np.float64),
        span_days=np.array(cols[6], dtype=np.float64),
        renews=np.array(cols[7], dtype=np.bool_),
    )


def make_population(
    n: int,
    *,
    at: dt.datetime,
    seed: np.random.Generator | int,
    hierarchy: IntermediateSet | None = None,
    mix: PopulationMix = MIX_2020,
    leaf_weights: Mapping[str, float] | None = None,
    kind_shares: Mapping[str, float] = DEFAULT_KIND_SHARES,
    mode: PopulationMode | str = "certificates",
) -> Population:
    """Draw a population of ``n`` certificates in steady state at ``at``.

    Args:
        n: Number of certificates, >= 1.
        at: The population date, timezone-aware.
        seed: Generator or integer seed; the same seed gives the same population.
        hierarchy: The hierarchy spec (default: the real 2020 one).
        mix: Segments and profiles per kind.
        leaf_weights: Relative leaf count per CA name or intermediate (id or name); others
            weigh 1. No public per-intermediate count exists, so this is a parameter.
        kind_shares: How leaves of a multi-purpose intermediate split between kinds.
        mode: ``"certificates"`` (one draw per certificate) or ``"cohort"`` (expected counts,
            any ``n``, cost independent of ``n``).

    Returns:
        The population.

    Raises:
        ParameterError: ``n`` < 1, naive ``at``, unknown CA names, weights or shares out of range.
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ParameterError(f"n must be an integer >= 1, got {n!r}")
    try:
        mode = PopulationMode(mode)
    except ValueError:
        raise ParameterError(
            f"mode must be one of {', '.join(PopulationMode)}, got {mode!r}"
        ) from None
    at = require_aware(at, "at")
    hier = hierarchy if hierarchy is not None else load_hierarchy_2020()
    weights = _intermediate_weights(hier, leaf_weights)
    cells = _build_cells(at, hier, mix, weights, kind_shares)
    if mode is PopulationMode.COHORT:
        return Population(at, int(n), hier, mix, cells)
    rng = as_generator(seed)
    cell = rng.choice(len(cells), size=int(n), p=cells.probability).astype(np.int32)
    age = rng.random(int(n), dtype=np.float32)
    age *= cells.span_days.astype(np.float32)[cell]
    return Population(at, int(n), hier, mix, cells, cell, age)
