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

The 2020 hierarchy (``load_hierarchy_2020``) is the real list of 293 intermediates of the July
2020 "dangerous delegated responder" incident (hannob/badocspcert, matched to CCADB; shipped in
``sim/data/incident-2020/affected_intermediates.csv``). What kinds of leaf an intermediate can
issue comes from its EKUs (serverAuth 1.3.6.1.5.5.7.3.1 -> TLS, emailProtection
1.3.6.1.5.5.7.3.4 -> S/MIME, codeSigning 1.3.6.1.5.5.7.3.3 -> code signing, anything else ->
other; no EKU extension means any purpose, RFC 5280 section 4.2.1.12). The 33 listed
fingerprints that are not in CCADB have no known EKU and get no leaves unless a weight is given.
No public count of leaves per intermediate exists (incident-2020.md: "millions" is unsourced),
so leaf weights are a parameter: by default every identified intermediate weighs the same.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from importlib import resources
from types import MappingProxyType

import numpy as np
import numpy.typing as npt
import pandas as pd

from sim.errors import ParameterError
from sim.loader import load_pem_bundle
from sim.policy import KINDS, PROFILES, SEGMENTS, LeafKind, OwnerSegment, get_profile
from sim.times import require_aware

__all__ = [
    "DEFAULT_KIND_SHARES",
    "MIX_2020",
    "PRIMARY_KINDS",
    "Cells",
    "Intermediate",
    "IntermediateSet",
    "MixEntry",
    "Population",
    "PopulationMix",
    "PopulationMode",
    "as_generator",
    "kinds_by_ca",
    "load_hierarchy_2020",
    "make_population",
    "primary_kind",
    "single_intermediate_hierarchy",
]


class PopulationMode(StrEnum):
    """How a population is drawn: one draw per certificate, or expected counts per cell."""

    CERTIFICATES = "certificates"
    COHORT = "cohort"

_EKU_KIND = {
    "1.3.6.1.5.5.7.3.1": LeafKind.TLS,
    "1.3.6.1.5.5.7.3.4": LeafKind.SMIME,
    "1.3.6.1.5.5.7.3.3": LeafKind.CODE_SIGNING,
}

#: ``ca_owner_derived`` labels merged into the 14 CA organisations of the incident README
#: (DigiCert Global Root G3's one intermediate is DigiCert's).
_CA_ALIASES = {"DigiCert (Baltimore CyberTrust Root)": "DigiCert"}

#: Label for the listed fingerprints that are not in CCADB.
UNIDENTIFIED = "unidentified"

#: How leaves of an intermediate that can issue several kinds split between them (assumption:
#: no public figure; TLS dominates the public WebPKI).
DEFAULT_KIND_SHARES: Mapping[str, float] = MappingProxyType(
    {LeafKind.TLS: 0.6, LeafKind.SMIME: 0.25, LeafKind.CODE_SIGNING: 0.05, LeafKind.OTHER: 0.10}
)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Intermediate:
    """An intermediate CA certificate of a hierarchy spec.

    Attributes:
        id: Stable identifier (the SHA-256 fingerprint, lower-case hex, for real ones).
        name: Human label, unique within the hierarchy (subject CN and fingerprint prefix).
        ca: The CA organisation.
        kinds: Leaf kinds it can issue (from its EKUs); empty if unknown.
    """

    id: str
    name: str
    ca: str
    kinds: tuple[str, ...]

    @property
    def tls_capable(self) -> bool:
        """Whether it can issue TLS server certificates."""
        return LeafKind.TLS in self.kinds


@dataclass(frozen=True)
class IntermediateSet:
    """A set of intermediates grouped by CA organisation (not `sim.pki.Hierarchy`: no certificates).

    Attributes:
        name: The spec's name.
        intermediates: The intermediates, in a stable order.
    """

    name: str
    intermediates: tuple[Intermediate, ...]

    def __post_init__(self) -> None:
        if not self.intermediates:
            raise ParameterError("intermediates must hold at least 1 intermediate, got 0")
        ids = [i.id for i in self.intermediates]
        if len(set(ids)) != len(ids):
            raise ParameterError("intermediates must have unique ids")

    @property
    def cas(self) -> tuple[str, ...]:
        """CA organisations, sorted."""
        return tuple(sorted({i.ca for i in self.intermediates}))

    def ids_of(self, names: tuple[str, ...] | list[str], *, parameter: str) -> tuple[str, ...]:
        """Intermediate ids selected by CA names, intermediate ids or intermediate names.

        Args:
            names: CA names, intermediate ids or names.
            parameter: The caller's parameter name, for the error message.

        Raises:
            ParameterError: a name matches nothing.
        """
        selected: list[str] = []
        for key in names:
            hits = [i.id for i in self.intermediates if key in (i.ca, i.id, i.name)]
            if not hits:
                raise ParameterError(
                    f"{parameter}: unknown CA or intermediate {key!r}; "
                    f"known CAs: {', '.join(self.cas)}"
                )
            selected.extend(h for h in hits if h not in selected)
        return tuple(selected)


def _kinds_from_ekus(oids: Sequence[str] | None) -> tuple[str, ...]:
    if oids is None:  # not in CCADB: only the fingerprint is known
        return ()
    if not oids:  # no EKU extension: any purpose (RFC 5280 4.2.1.12)
        return KINDS
    kinds = {_EKU_KIND.get(o, LeafKind.OTHER) for o in oids if o != "1.3.6.1.5.5.7.3.9"}
    kinds = kinds or {LeafKind.OTHER}
    return tuple(k for k in KINDS if k in kinds)


@functools.cache
def load_hierarchy_2020() -> IntermediateSet:
    """The real 2020 hierarchy: 293 intermediates of 14 CA organisations (plus unidentified).

    Built at load time from ``sim/data/incident-2020/affected_intermediates.csv``
    (https://github.com/hannob/badocspcert, matched to CCADB's AllCertificatePEMsCSVFormat,
    snapshot 2026-08-21). ``ca_owner_derived`` is a label derived from the issuer name.
    """
    text = (
        resources.files("sim")
        .joinpath("data/incident-2020/affected_intermediates.csv")
        .read_text(encoding="utf-8")
    )
    # EKUs come from the certificates themselves: the CSV's column is empty for one listed
    # certificate whose name constraints its extractor could not parse ("Bayerische
    # SSL-CA-2014-01"); sim.loader reads the EKU from the raw DER even then.
    pem = resources.files("sim").joinpath("data/incident-2020/affected_intermediates.pem")
    ekus = {r.sha256: r.ekus for r in load_pem_bundle(pem.read_bytes(), "shipped")}
    out = []
    for row in csv.DictReader(text.splitlines()):
        ca = row["ca_owner_derived"] or UNIDENTIFIED
        ca = _CA_ALIASES.get(ca, ca)
        fp = row["sha256_hex"].lower()
        label = row["subject_cn"] or "(not in CCADB)"
        out.append(
            Intermediate(fp, f"{label} [{fp[:8]}]", ca, _kinds_from_ekus(ekus.get(fp)))
        )
    return IntermediateSet("incident-2020", tuple(out))


def single_intermediate_hierarchy(
    name: str, ca: str, kinds: tuple[str, ...] = (LeafKind.TLS,)
) -> IntermediateSet:
    """A one-intermediate hierarchy, for events where only one population matters."""
    return IntermediateSet(name, (Intermediate(name, name, ca, kinds),))


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


#: The columns of :func:`kinds_by_ca`: what an intermediate is mainly for.
PRIMARY_KINDS: tuple[str, ...] = ("tls", "smime", "other", "unknown")


def primary_kind(intermediate: Intermediate) -> str:
    """One label per intermediate for counting: ``tls`` if it can issue TLS server
    certificates, else ``smime`` if it can issue S/MIME, else ``other`` (code signing, client
    authentication, document signing...), or ``unknown`` when its EKUs are not known (not in
    CCADB).

    Args:
        intermediate: The intermediate.

    Returns:
        One of :data:`PRIMARY_KINDS`.
    """
    if not intermediate.kinds:
        return "unknown"
    if "tls" in intermediate.kinds:
        return "tls"
    if "smime" in intermediate.kinds:
        return "smime"
    return "other"


def kinds_by_ca(hierarchy: IntermediateSet) -> pd.DataFrame:
    """Intermediates counted per CA and :func:`primary_kind`, largest CA first.

    Args:
        hierarchy: E.g. :func:`load_hierarchy_2020`.

    Returns:
        DataFrame indexed by ``ca`` with integer columns :data:`PRIMARY_KINDS` and ``total``,
        sorted by ``total`` (descending, then CA name).
    """
    counts: dict[str, dict[str, int]] = {}
    for inter in hierarchy.intermediates:
        row = counts.setdefault(inter.ca, dict.fromkeys(PRIMARY_KINDS, 0))
        row[primary_kind(inter)] += 1
    frame = pd.DataFrame.from_dict(counts, orient="index", columns=list(PRIMARY_KINDS))
    frame = frame.astype(np.int64)
    frame["total"] = frame.sum(axis=1)
    frame.index.name = "ca"
    frame = frame.reset_index().sort_values(["total", "ca"], ascending=[False, True])
    return frame.set_index("ca")
