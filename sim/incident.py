"""Mass-revocation scenarios and their daily timelines.

A scenario says which intermediates are affected, when the incident is disclosed (day 0), when
each affected intermediate is revoked, and how owners respond per segment. Simulating it on a
population gives a :class:`Timeline`.

Timeline shape (stable; ``sim.mechanisms`` builds on it):

* ``Timeline.overall``: a DataFrame indexed by ``day`` (int, 0 = disclosure, one row per day up
  to ``days - 1``) with float columns ``STATES``, counts of certificates under affected
  intermediates at the instant ``start + day``:

  - ``affected``: still served, still valid, its intermediate not yet revoked;
  - ``replaced``: the owner replaced it (response to the incident or scheduled renewal) before
    it expired;
  - ``expired``: it expired before being replaced (natural attrition);
  - ``broken``: still served and valid, but its intermediate is revoked.

  The four columns sum to ``Timeline.total`` every day; "still served" is
  ``affected + broken``.
* ``Timeline.by(level)`` with level ``"ca"``, ``"intermediate"`` or ``"kind"``: the same
  columns with a ``(day, level)`` MultiIndex.
* ``Timeline.revocation_days``: a Series indexed by intermediate name (as in ``by``) giving the
  day each affected intermediate is revoked (``inf``: not within the scenario).

Owner response: each owner acts after a delay drawn from a log-normal distribution (median,
sigma) or never (``never_fraction``); an owner who renews on schedule replaces the certificate at
its scheduled renewal if that comes first. From disclosure on, CAs issue from clean
intermediates, so any replacement leaves the affected set. Automated clients with ACME Renewal
Information (ARI, RFC 9773) are told to renew by the CA and do so within hours.

Deadlines: BR 1.7.0 §4.9.1.2 (unchanged in BR 2.2.6) requires a subordinate CA certificate to
be revoked within 7 days; in
2020 CAs took about 6-9 months instead (GlobalSign's DV SSL ICA revoked on day 204; JPRS's
reissue deadline on day 214, its G3 intermediates revoked on day 257; see ``docs/sources.md``
and the sources in ``sim/data/calibration/mass_revocation_events.csv``).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
import numpy.typing as npt
import pandas as pd

from sim.errors import ParameterError
from sim.intermediates import IntermediateSet, load_hierarchy_2020
from sim.policy import KINDS, SEGMENTS, OwnerSegment
from sim.population import (
    MIX_2020,
    Population,
    PopulationMix,
    PopulationMode,
    as_generator,
    make_population,
)
from sim.times import require_aware

__all__ = [
    "ARI_RESPONSE",
    "BR_SUBCA_REVOCATION_DAYS",
    "BYTES_PER_CERTIFICATE",
    "DEFAULT_RESPONSES_2020",
    "DISCLOSURE_2020",
    "JPRS_G3_REVOKED_DAY",
    "JPRS_REISSUE_DEADLINE_DAY",
    "JPRS_SOURCE",
    "LEVELS",
    "MAX_DAYS",
    "STAGED_SCHEDULE_2020",
    "STATES",
    "OwnerResponse",
    "Scenario",
    "Timeline",
    "max_certificates",
    "ocsp_eku_2020",
    "simulate",
]

FloatArray = npt.NDArray[np.float64]

#: Timeline columns, in order.
STATES: tuple[str, ...] = ("affected", "replaced", "expired", "broken")

#: Group levels of ``Timeline.by``.
LEVELS: tuple[str, ...] = ("ca", "intermediate", "kind")

#: BR 1.7.0 §4.9.1.2: revoke a subordinate CA certificate within 7 days.
BR_SUBCA_REVOCATION_DAYS = 7

#: Longest timeline a scenario may ask for (ten years).
MAX_DAYS = 3650

#: Peak bytes ``simulate(mode="certificates")`` allocates per certificate: the population's
#: cell and age, then a dozen per-certificate float32/int64 arrays of event days. Measured with
#: tracemalloc at about 78 for every shipped scenario; tests/sim/test_incident.py holds it.
BYTES_PER_CERTIFICATE = 80
#: What the same run allocates whatever ``n`` is (cells, per-cell curves, the frames): about
#: 25 MB for the largest shipped scenario, rounded up.
_FIXED_BYTES = 64 * 2**20


def max_certificates(available_bytes: int) -> int:
    """The largest ``n`` a per-certificate :func:`simulate` can hold in ``available_bytes``.

    Cohort mode has no such limit: its cost does not grow with ``n``.

    Args:
        available_bytes: memory the caller may use (the caller measures it: sim reads no
            machine state).

    Returns:
        The largest ``n``, 0 when not even the fixed part fits.
    """
    return max(0, (int(available_bytes) - _FIXED_BYTES) // BYTES_PER_CERTIFICATE)


def _normal_cdf(x: npt.ArrayLike) -> FloatArray:
    """Standard normal CDF (Abramowitz & Stegun 7.1.26, |error| < 1.5e-7), vectorised."""
    z = np.asarray(x, dtype=np.float64) / math.sqrt(2.0)
    a = np.abs(z)
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027
                + t * 1.061405429))))  # fmt: skip
    with np.errstate(over="ignore", under="ignore"):
        erf = 1.0 - poly * np.exp(-a * a)
    result: FloatArray = 0.5 * (1.0 + np.sign(z) * erf)
    return result


@dataclass(frozen=True)
class OwnerResponse:
    """How long owners of one segment take to replace an affected certificate.

    Attributes:
        median_days: Median delay of those who act, > 0.
        sigma: Log-normal shape (standard deviation of the log delay), > 0.
        never_fraction: Fraction who never act, in [0, 1].
    """

    median_days: float
    sigma: float = 1.0
    never_fraction: float = 0.0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.median_days) and self.median_days > 0):
            raise ParameterError(
                f"median_days must be a finite number > 0, got {self.median_days!r}"
            )
        if not (math.isfinite(self.sigma) and 0 < self.sigma <= 10):
            raise ParameterError(f"sigma must be in (0, 10], got {self.sigma!r}")
        if not (math.isfinite(self.never_fraction) and 0 <= self.never_fraction <= 1):
            raise ParameterError(f"never_fraction must be in [0, 1], got {self.never_fraction!r}")

    def cdf(self, days: npt.ArrayLike) -> FloatArray:
        """Fraction of owners who have acted within ``days`` of disclosure."""
        d = np.asarray(days, dtype=np.float64)
        with np.errstate(divide="ignore"):
            z = (np.log(np.maximum(d, 0.0)) - math.log(self.median_days)) / self.sigma
        out: FloatArray = (1.0 - self.never_fraction) * _normal_cdf(z)
        return out

    def partial_mean(self, days: npt.ArrayLike) -> FloatArray:
        """E[delay; delay <= days] (the log-normal partial expectation), never-actors excluded."""
        d = np.asarray(days, dtype=np.float64)
        mu, s = math.log(self.median_days), self.sigma
        with np.errstate(divide="ignore"):
            z = (np.log(np.maximum(d, 0.0)) - mu - s * s) / s
        out: FloatArray = (1.0 - self.never_fraction) * math.exp(mu + s * s / 2) * _normal_cdf(z)
        return out


# Owners who never act.
_NEVER_ACTS = OwnerResponse(median_days=1.0, sigma=1.0, never_fraction=1.0)

#: Automated clients told to renew through ACME ARI (RFC 9773): within hours (median 6 h).
ARI_RESPONSE = OwnerResponse(median_days=0.25, sigma=0.75, never_fraction=0.0)

#: Defaults for 2020-era owners, from ``sim.calibration.fit`` on the real events (a test keeps
#: them in step): automated from Let's Encrypt 2020, manual from DigiCert 2024.
DEFAULT_RESPONSES_2020: Mapping[str, OwnerResponse] = MappingProxyType(
    {
        OwnerSegment.AUTOMATED: OwnerResponse(median_days=4.76, sigma=1.0, never_fraction=0.0),
        OwnerSegment.MANUAL: OwnerResponse(median_days=16.4, sigma=1.0, never_fraction=0.01),
        OwnerSegment.NEVER_RENEWS: _NEVER_ACTS,
    }
)


@dataclass(frozen=True)
class Scenario:
    """A mass revocation.

    Attributes:
        name: Identifier, e.g. ``"ocsp-eku-2020"``.
        description: One line for people.
        disclosure: Day 0, timezone-aware.
        hierarchy: The hierarchy the population is drawn from.
        revocation_days: Affected intermediate id -> revocation day (``math.inf``: not revoked).
        responses: Owner response per segment (every segment of ``SEGMENTS``).
        mix: Population mix.
        leaf_weights: Relative leaf counts (see ``sim.population.make_population``).
        deadlines: Named day markers for figures, e.g. the BR 7-day deadline.
        days: Timeline length in days, 1..3650.
        ari: Whether automated clients use ACME ARI.
    """

    name: str
    description: str
    disclosure: dt.datetime
    hierarchy: IntermediateSet
    revocation_days: Mapping[str, float]
    responses: Mapping[str, OwnerResponse] = field(
        default_factory=lambda: dict(DEFAULT_RESPONSES_2020)
    )
    mix: PopulationMix = MIX_2020
    leaf_weights: Mapping[str, float] | None = None
    deadlines: Mapping[str, float] = field(default_factory=dict)
    days: int = 365
    ari: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "disclosure", require_aware(self.disclosure, "disclosure"))
        if isinstance(self.days, bool) or not isinstance(self.days, int):
            raise ParameterError(f"days must be an integer in [1, {MAX_DAYS}], got {self.days!r}")
        if not 1 <= self.days <= MAX_DAYS:
            raise ParameterError(f"days must be in [1, {MAX_DAYS}], got {self.days}")
        if not self.revocation_days:
            raise ParameterError("revocation_days must name at least 1 affected intermediate")
        known = {i.id for i in self.hierarchy.intermediates}
        for key, day in self.revocation_days.items():
            if key not in known:
                raise ParameterError(f"revocation_days: unknown intermediate id {key!r}")
            if math.isnan(day) or day < 0:
                raise ParameterError(f"revocation_days[{key!r}] must be >= 0 or inf, got {day!r}")
        missing = [s for s in SEGMENTS if s not in self.responses]
        if missing:
            raise ParameterError(
                f"responses must cover every segment; missing {', '.join(missing)}"
            )

    def effective_responses(self) -> dict[str, OwnerResponse]:
        """Responses per segment with ARI applied to automated owners."""
        out = dict(self.responses)
        if self.ari:
            out[OwnerSegment.AUTOMATED] = ARI_RESPONSE
        return out


@dataclass(frozen=True, eq=False)
class Timeline:
    """The daily timeline of a simulated scenario (see the module docstring for its shape).

    Attributes:
        scenario: The scenario's name.
        start: Day 0 (the disclosure), UTC.
        days: Number of days.
        total: Certificates under affected intermediates.
        mode: ``"certificates"`` or ``"cohort"``.
        overall: DataFrame indexed by ``day`` with columns ``STATES``.
        revocation_days: Series: affected intermediate name -> revocation day.
        deadlines: Named day markers.
        leaves_by_intermediate: Series: every populated intermediate's name -> its leaves
            (affected or not), for hierarchy figures.
        ca_by_intermediate: Intermediate name -> CA, for every intermediate of the hierarchy.
    """

    scenario: str
    start: dt.datetime
    days: int
    total: float
    mode: str
    overall: pd.DataFrame
    revocation_days: pd.Series
    deadlines: Mapping[str, float]
    leaves_by_intermediate: pd.Series
    ca_by_intermediate: Mapping[str, str]
    _cube: FloatArray = field(repr=False)
    _groups: Mapping[str, tuple[npt.NDArray[np.int64], tuple[str, ...]]] = field(repr=False)

    @property
    def dates(self) -> pd.DatetimeIndex:
        """The instant of each day (UTC)."""
        return pd.date_range(pd.Timestamp(self.start), periods=self.days, freq="D")

    def fractions(self) -> pd.DataFrame:
        """``overall`` divided by ``total``."""
        return _state_fractions(self.overall)

    def by(self, level: str) -> pd.DataFrame:
        """Counts per group: MultiIndex ``(day, level)``, columns ``STATES``.

        Args:
            level: ``"ca"``, ``"intermediate"`` or ``"kind"``.

        Raises:
            ParameterError: unknown level.
        """
        if level not in self._groups:
            raise ParameterError(f"level must be one of {', '.join(LEVELS)}, got {level!r}")
        group, labels = self._groups[level]
        g = len(labels)
        sums = np.zeros((len(STATES), g, self.days))
        for k in range(len(STATES)):
            np.add.at(sums[k], group, self._cube[k])
        index = pd.MultiIndex.from_product(
            [pd.RangeIndex(self.days, name="day"), pd.Index(labels, name=level)]
        )
        data = {s: sums[k].T.reshape(-1) for k, s in enumerate(STATES)}
        return pd.DataFrame(data, index=index)


def _state_fractions(counts: pd.DataFrame) -> pd.DataFrame:
    """Each row of a STATES table divided by its row total (0 where the total is 0)."""
    total = counts[list(STATES)].sum(axis=1)
    return counts[list(STATES)].div(total.where(total > 0, 1.0), axis=0)


def _cohort_curves(
    pop: Population, cells: npt.NDArray[np.int64], responses: list[OwnerResponse], days: int
) -> tuple[FloatArray, FloatArray]:
    """Exact per-cell fractions replaced / expired by each integer day (cohort mode)."""
    c = pop.cells
    d = np.arange(days, dtype=np.float64)
    rep = np.empty((len(cells), days))
    exp = np.empty((len(cells), days))
    keys: dict[tuple[float, float, bool, int], tuple[FloatArray, FloatArray]] = {}
    for row, k in enumerate(cells):
        key = (float(c.lifetime_days[k]), float(c.span_days[k]), bool(c.renews[k]),
               int(c.segment[k]))  # fmt: skip
        if key not in keys:
            life, span, renews, seg = key
            resp = responses[seg]
            if renews:
                # t_end = min(delay, U(0, span]); renewal always precedes expiry.
                fu = np.minimum(d / span, 1.0)
                keys[key] = (1.0 - (1.0 - fu) * (1.0 - resp.cdf(d)), np.zeros(days))
            else:
                # expiry ~ U(0, life]; replaced iff delay <= expiry.
                dd = np.minimum(d, life)
                f, pm = resp.cdf(dd), resp.partial_mean(dd)
                keys[key] = (f - pm / life, (dd - (dd * f - pm)) / life)
        rep[row], exp[row] = keys[key]
    return rep, exp


def _certificate_counts(
    pop: Population,
    affected_cell: npt.NDArray[np.bool_],
    rev_cell: FloatArray,
    responses: list[OwnerResponse],
    days: int,
    rng: np.random.Generator,
) -> FloatArray:
    """Per-cell daily counts (4, C_affected, days) from per-certificate event days."""
    assert pop.cell is not None and pop.age_days is not None
    c = pop.cells
    remap = np.cumsum(affected_cell) - 1  # cell -> row among affected cells
    n_rows = int(affected_cell.sum())
    if affected_cell.all():
        cell, age = pop.cell, pop.age_days
    else:
        keep = affected_cell[pop.cell]
        cell, age = pop.cell[keep], pop.age_days[keep]
    m = len(cell)
    f32 = np.float32
    expire = c.lifetime_days.astype(f32)[cell] - age
    renew = np.where(c.renews[cell], c.span_days.astype(f32)[cell] - age, f32(np.inf))
    seg = c.segment[cell]
    log_med = np.array([math.log(r.median_days) for r in responses], dtype=f32)[seg]
    sig = np.array([r.sigma for r in responses], dtype=f32)[seg]
    never = np.array([r.never_fraction for r in responses], dtype=f32)[seg]
    delay = rng.standard_normal(m, dtype=f32)
    delay *= sig
    delay += log_med
    with np.errstate(over="ignore"):
        np.exp(delay, out=delay)
    delay[rng.random(m, dtype=f32) < never] = np.inf
    t_rep = np.minimum(delay, renew, out=delay)
    replaced = t_rep <= expire
    t_end = np.where(replaced, t_rep, expire)
    horizon = days  # index ``days`` collects "not within the timeline"
    e_end = np.minimum(np.ceil(t_end), horizon).astype(np.int64)
    rev_clean = np.nan_to_num(rev_cell, nan=np.inf)
    rev = np.minimum(np.ceil(rev_clean), horizon).astype(np.int64)[cell]
    row = remap[cell].astype(np.int64) * (horizon + 1)
    size = n_rows * (horizon + 1)

    def counts(index: npt.NDArray[np.int64]) -> FloatArray:
        b = np.bincount(index, minlength=size).reshape(n_rows, horizon + 1)
        out: FloatArray = np.cumsum(b, axis=1)[:, :days].astype(np.float64)
        return out

    rep = counts(row + np.where(replaced, e_end, horizon))
    exp = counts(row + np.where(replaced, horizon, e_end))
    breaks = rev < e_end
    brk = counts(row + np.where(breaks, rev, horizon)) - counts(
        row + np.where(breaks, e_end, horizon)
    )
    total = np.bincount(remap[cell], minlength=n_rows).astype(np.float64)[:, None]
    return np.stack([total - rep - exp - brk, rep, exp, brk])


def simulate(
    scenario: Scenario,
    *,
    n: int,
    seed: np.random.Generator | int,
    mode: PopulationMode | str = PopulationMode.CERTIFICATES,
) -> Timeline:
    """Simulate ``scenario`` on a population of ``n`` certificates.

    Args:
        scenario: The scenario.
        n: Certificates in the whole population (affected and not), >= 1.
        seed: Generator or integer seed: the same inputs give the same timeline.
        mode: ``"certificates"`` draws every certificate (per-certificate event days, counted
            with ``np.bincount``/``cumsum``: memory grows with ``n``, never with ``n * days``);
            ``"cohort"`` computes expected counts in closed form for any ``n`` (1e9 included).

    Returns:
        The timeline.

    Raises:
        ParameterError: bad ``n``, ``mode`` or ``seed``.
    """
    rng = as_generator(seed)
    pop = make_population(
        n, at=scenario.disclosure, seed=rng, hierarchy=scenario.hierarchy, mix=scenario.mix,
        leaf_weights=scenario.leaf_weights, mode=mode,
    )  # fmt: skip
    hier = scenario.hierarchy
    inters = hier.intermediates
    rev_by_inter = np.array([scenario.revocation_days.get(i.id, np.nan) for i in inters])
    c = pop.cells
    affected_cell = ~np.isnan(rev_by_inter[c.intermediate])
    if not affected_cell.any():
        raise ParameterError(
            "revocation_days: no affected intermediate has leaves in the population "
            "(check leaf_weights and the intermediates' kinds)"
        )
    rev_cell = rev_by_inter[c.intermediate]
    resp_map = scenario.effective_responses()
    responses = [resp_map[s] for s in SEGMENTS]
    rows = np.flatnonzero(affected_cell)
    days = scenario.days
    if pop.is_cohort:
        rep, exp = _cohort_curves(pop, rows, responses, days)
        count = (pop.n * c.probability[rows])[:, None]
        rev_mask = np.arange(days)[None, :] >= rev_cell[rows][:, None]
        alive = count * (1.0 - rep - exp)
        cube = np.stack([alive * ~rev_mask, count * rep, count * exp, alive * rev_mask])
    else:
        cube = _certificate_counts(pop, affected_cell, rev_cell, responses, days, rng)

    overall = pd.DataFrame(
        cube.sum(axis=1).T, columns=list(STATES), index=pd.RangeIndex(days, name="day")
    )
    cas = hier.cas
    used_inter = np.unique(c.intermediate[rows])
    inter_pos = {int(k): j for j, k in enumerate(used_inter)}
    groups = {
        "ca": (np.array([cas.index(inters[int(k)].ca) for k in c.intermediate[rows]]), cas),
        "intermediate": (
            np.array([inter_pos[int(k)] for k in c.intermediate[rows]]),
            tuple(inters[int(k)].name for k in used_inter),
        ),
        "kind": (c.kind[rows].astype(np.int64), KINDS),
    }
    revocation = pd.Series(
        {i.name: float(scenario.revocation_days[i.id]) for i in inters
         if i.id in scenario.revocation_days},
        name="revocation_day", dtype=np.float64,
    )  # fmt: skip
    revocation.index.name = "intermediate"
    per_cell = pop.cell_counts()
    leaves = np.zeros(len(inters))
    np.add.at(leaves, c.intermediate, per_cell)
    leaves_series = pd.Series(
        {i.name: leaves[k] for k, i in enumerate(inters) if leaves[k] > 0}, name="leaves"
    )
    return Timeline(
        scenario=scenario.name, start=scenario.disclosure, days=days,
        total=float(cube[:, :, 0].sum()), mode=mode, overall=overall,
        revocation_days=revocation, deadlines=dict(scenario.deadlines),
        leaves_by_intermediate=leaves_series,
        ca_by_intermediate={i.name: i.ca for i in inters}, _cube=cube, _groups=groups,
    )  # fmt: skip


#: 2020-07-01, the day the issue was raised on mozilla.dev.security.policy.
DISCLOSURE_2020 = dt.datetime(2020, 7, 1, tzinfo=dt.UTC)

#: JPRS (under SECOM's root): re-issue deadline 2021-01-31 and revocation of the G3
#: intermediates 2021-03-15, in days after ``DISCLOSURE_2020`` (JPRS's notice, updated 2021-03-18).
JPRS_REISSUE_DEADLINE_DAY = 214
JPRS_G3_REVOKED_DAY = 257
JPRS_SOURCE = "https://jprs.jp/pubcert/info/notice/20200805-certificate-reissue.html"

#: The staged schedule of 2020, as data: (CA, subject substring, day, source). First match wins.
#: Each published date belongs to one named intermediate (GlobalSign's DV SSL ICA, QuoVadis's
#: Global SSL ICA G2/G3, JPRS's G3 intermediates); a row with an empty substring extrapolates
#: that date to every other listed intermediate of the CA, which is an assumption, and so is the
#: last row's day 200 for CAs without a published date.
STAGED_SCHEDULE_2020: tuple[tuple[str, str, float, str], ...] = (
    ("GlobalSign", "AATL", 183, "GlobalSign: AATL ICA revoked 2020-12-31"),
    ("GlobalSign", "PersonalSign", 238, "GlobalSign: PersonalSign ICA revoked 2021-02-24"),
    ("GlobalSign", "", 204, "GlobalSign: DV SSL ICA revoked 2021-01-21, extrapolated to its "
     "other intermediates "
     "(https://support.globalsign.com/ssl/general-ssl/ica-revocations-and-remediation-steps)"),
    ("QuoVadis (DigiCert group)", "", 197, "QuoVadis Global SSL ICA G2/G3 revoked 2021-01-14, "
     "extrapolated to its other intermediates "
     "(https://bugzilla.mozilla.org/show_bug.cgi?id=1649938)"),
    # JPRS's reissue deadline was 2021-01-31 (day 214); the G3 intermediates were revoked
    # later, on 2021-03-15 (day 257): the revocation day, not the deadline, ends the chains.
    ("SECOM Trust Systems", "", JPRS_G3_REVOKED_DAY, "JPRS G3 intermediates revoked 2021-03-15 "
     "(reissue deadline 2021-01-31), extrapolated to SECOM's other intermediates "
     f"({JPRS_SOURCE})"),
    ("", "", 200, "assumption: 'migrations ran about 6-7 months' (docs/sources.md)"),
)  # fmt: skip


def _staged_day(ca: str, name: str) -> float:
    for rule_ca, part, day, _source in STAGED_SCHEDULE_2020:
        if rule_ca in ("", ca) and part in name:
            return day
    raise AssertionError("the schedule's last row matches everything")  # pragma: no cover


def ocsp_eku_2020(
    *,
    schedule: str = "staged",
    cas: tuple[str, ...] | None = None,
    ari: bool = False,
    days: int = 365,
) -> Scenario:
    """The July 2020 delegated-responder incident on the real 293-intermediate hierarchy.

    Args:
        schedule: ``"staged"`` (the months-long schedule CAs used, ``STAGED_SCHEDULE_2020``)
            or ``"br"`` (every intermediate revoked on day 7, BR 1.7.0 §4.9.1.2).
        cas: Restrict the affected set to these CA names (or intermediate ids/names); the
            other intermediates stay in the hierarchy, unaffected.
        ari: Whether automated clients use ACME ARI.
        days: Timeline length.

    Raises:
        ParameterError: unknown schedule or CA name.
    """
    if schedule not in ("staged", "br"):
        raise ParameterError(f"schedule must be 'staged' or 'br', got {schedule!r}")
    hier = load_hierarchy_2020()
    ids = set(hier.ids_of(list(cas), parameter="cas")) if cas else None
    revocation = {
        i.id: float(BR_SUBCA_REVOCATION_DAYS) if schedule == "br" else _staged_day(i.ca, i.name)
        for i in hier.intermediates
        if ids is None or i.id in ids
    }
    return Scenario(
        name="ocsp-eku-2020",
        description="July 2020: 293 intermediates carrying id-kp-OCSPSigning must be revoked "
        f"({'BR 7-day deadline' if schedule == 'br' else 'staged schedule CAs used'})",
        disclosure=DISCLOSURE_2020,
        hierarchy=hier,
        revocation_days=revocation,
        deadlines={"BR 1.7.0 §4.9.1.2: 7 days": BR_SUBCA_REVOCATION_DAYS,
                   "GlobalSign DV ICA revoked": 204,
                   "JPRS reissue deadline": JPRS_REISSUE_DEADLINE_DAY,
                   "JPRS G3 revoked": JPRS_G3_REVOKED_DAY},
        days=days,
        ari=ari,
    )  # fmt: skip
