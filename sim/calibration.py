"""Real mass-revocation events, and owner-response parameters fitted to them.

The observations are ``sim/data/calibration/mass_revocation_events.csv`` (each row names its
source). Each row's metric means something different, so each is modelled for what it is:

* ``reissued``, ``replaced_and_revoked``, ``replaced_on_public_hosts``: the fraction replaced by
  the observed day. Fitted: the median owner delay of the event's segment.
* ``sites_still_on_old_certificates``: one minus the fraction replaced. Fitted as above. (No
  shipped row uses it since the Symantec 2018 row was dropped: its 1.1 % had no cited
  denominator.)
* ``revoked`` (Heartbleed): owners revoked only some of the certificates they replaced (Zhang
  et al., IMC 2014): the fraction replaced (from the same event's ``reissued`` row) times a
  fitted revoke-on-replace share.
* ``intermediate_revoked`` (GlobalSign DV, JPRS G3, 2020): schedule facts, not owner
  behaviour. They are inputs of the 2020 schedule, reproduced by the scenario's revocation
  schedule (the fraction of the population whose intermediate is revoked by that day); nothing
  is fitted and they check nothing. A CA's re-issue deadline (column ``reissue_deadline_days``,
  JPRS: day 214) is a labelled marker, not the revocation day (JPRS revoked G3 on day 257).

Values written with ``~`` (e.g. ``~400`` days) are parsed as their number and flagged
``approximate``. Owner delays are log-normal with a fixed shape (``SIGMA``) and a fixed
never-acting share per segment; only the median is fitted, by bisection, against the same
closed-form cohort model the simulator uses (``sim.incident.simulate(mode=PopulationMode.COHORT)``).
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import math
import re
from dataclasses import dataclass, replace
from importlib import resources
from types import MappingProxyType

import numpy as np

from sim.errors import ParameterError
from sim.incident import (
    DEFAULT_RESPONSES_2020,
    OwnerResponse,
    Scenario,
    simulate,
)
from sim.intermediates import IntermediateSet, load_hierarchy_2020, single_intermediate_hierarchy
from sim.policy import LeafKind, OwnerSegment
from sim.population import MIX_2020, MixEntry, PopulationMix, PopulationMode

__all__ = [
    "FITTED_METRICS",
    "SCHEDULE_METRICS",
    "SIGMA",
    "EventFit",
    "Observation",
    "event_scenario",
    "event_scenario_names",
    "fit",
    "fit_all",
    "model_curve",
    "observations",
]

#: Log-normal shape of owner delays used in every fit.
SIGMA = 1.0

#: Metrics fitted as owner behaviour (replaced fraction, or its complement).
FITTED_METRICS: tuple[str, ...] = (
    "reissued", "replaced_and_revoked", "replaced_on_public_hosts",
    "sites_still_on_old_certificates", "revoked",
)  # fmt: skip

#: Metrics that are facts of the revocation schedule, not of owner behaviour.
SCHEDULE_METRICS: tuple[str, ...] = ("intermediate_revoked", "reissue_deadline")


@dataclass(frozen=True)
class Observation:
    """One row of ``mass_revocation_events.csv``.

    Attributes:
        event: Event id, e.g. ``"heartbleed_2014"``.
        start: Day 0 of the event (UTC).
        population: What the fraction is of.
        population_size: Its size, if published.
        deadline_days: Revocation deadline in days (``None``: no mandate).
        deadline_text: The deadline as written (e.g. ``"1 (extended to 5 for some)"``).
        observed_day: Day of the observation.
        approximate: Whether the day was written with ``~``.
        metric: What was observed.
        observed_fraction: The observed fraction, in [0, 1].
        replacement_style: Who replaced how, as written.
        source: Where the figure comes from.
        reissue_deadline_days: The CA's deadline for owners to re-issue, in days, if it set one
            apart from the revocation (a marker only).
    """

    event: str
    start: dt.datetime
    population: str
    population_size: int | None
    deadline_days: float | None
    deadline_text: str
    observed_day: float
    approximate: bool
    metric: str
    observed_fraction: float
    replacement_style: str
    source: str
    reissue_deadline_days: float | None = None

    @property
    def is_schedule_fact(self) -> bool:
        """Whether the row states a schedule fact rather than owner behaviour."""
        return self.metric in SCHEDULE_METRICS


_NUMBER = re.compile(r"^\s*(~?)\s*(\d+(?:\.\d+)?)")


def _leading_number(text: str, column: str) -> tuple[float | None, bool]:
    if text.strip().lower() in ("", "none"):
        return None, False
    match = _NUMBER.match(text)
    if match is None:
        raise ParameterError(f"{column}: expected a number of days, got {text!r}")
    return float(match.group(2)), match.group(1) == "~"


@functools.cache
def observations() -> tuple[Observation, ...]:
    """The shipped calibration rows, parsed honestly (``~`` kept as ``approximate``)."""
    text = (
        resources.files("sim")
        .joinpath("data/calibration/mass_revocation_events.csv")
        .read_text(encoding="utf-8")
    )
    out = []
    for row in csv.DictReader(text.splitlines()):
        day, approx = _leading_number(row["observed_day"], "observed_day")
        deadline, _ = _leading_number(row["deadline_days"], "deadline_days")
        reissue_by, _ = _leading_number(row["reissue_deadline_days"], "reissue_deadline_days")
        if day is None:
            raise ParameterError(f"observed_day: missing for event {row['event']!r}")
        fraction = float(row["observed_fraction"])
        if not 0 <= fraction <= 1:
            raise ParameterError(f"observed_fraction must be in [0, 1], got {fraction}")
        size = row["population_size"].strip()
        out.append(
            Observation(
                event=row["event"],
                start=dt.datetime.fromisoformat(row["start_utc"]).replace(tzinfo=dt.UTC),
                population=row["population"],
                population_size=int(size) if size else None,
                deadline_days=deadline,
                deadline_text=row["deadline_days"],
                observed_day=day,
                approximate=approx,
                metric=row["observed_metric"],
                observed_fraction=fraction,
                replacement_style=row["replacement_style"],
                source=row["source"],
                reissue_deadline_days=reissue_by,
            )
        )
    return tuple(out)


@dataclass(frozen=True)
class _EventModel:
    segment: str  # the owner segment whose response the event measures
    profile: str  # the TLS profile of its certificates
    never_fraction: float
    ca: str
    subjects: tuple[str, ...] = ()  # real 2020 intermediates (subject CN prefixes), if any


#: How each event's population is modelled (data; the assumptions say why).
_EVENT_MODELS = MappingProxyType(
    {
        # 2014: one-year certificates were the common commercial product (assumption).
        "heartbleed_2014": _EventModel(OwnerSegment.MANUAL, "manual-365", 0.01, "various CAs"),
        "letsencrypt_caa_2020": _EventModel(
            OwnerSegment.AUTOMATED, "acme-90", 0.0, "Let's Encrypt"
        ),
        "digicert_dcv_2024": _EventModel(OwnerSegment.MANUAL, "manual-397", 0.01, "DigiCert"),
        "ocsp_eku_2020_globalsign_dv": _EventModel(
            OwnerSegment.MANUAL, "manual-825", 0.01, "GlobalSign",
            ("GlobalSign RSA DV SSL CA 2018", "GlobalSign HV RSA DV SSL CA 2018",
             "GlobalSign HV ECC DV SSL CA 2018")),
        "ocsp_eku_2020_jprs": _EventModel(
            OwnerSegment.MANUAL, "manual-825", 0.01, "SECOM Trust Systems",
            ("JPRS Domain Validation Authority - G3",
             "JPRS Organization Validation Authority - G3")),
    }
)  # fmt: skip


def _scenario_name(event: str) -> str:
    return event.replace("_", "-")


def event_scenario_names() -> tuple[str, ...]:
    """One scenario name per calibration event (``heartbleed_2014`` -> ``heartbleed-2014``)."""
    return tuple(dict.fromkeys(_scenario_name(o.event) for o in observations()))


def _event_rows(event: str) -> tuple[Observation, ...]:
    rows = tuple(o for o in observations() if o.event == event)
    if not rows:
        known = ", ".join(dict.fromkeys(o.event for o in observations()))
        raise ParameterError(f"event must be one of {known}, got {event!r}")
    return rows


def _hierarchy(event: str, model: _EventModel, ca: str) -> IntermediateSet:
    if not model.subjects:
        return single_intermediate_hierarchy(event, ca)
    full = load_hierarchy_2020()
    picked = tuple(
        i for i in full.intermediates if any(i.name.startswith(s + " [") for s in model.subjects)
    )
    return IntermediateSet(event, picked)


def _base_scenario(event: str, median_days: float | None) -> Scenario:
    rows = _event_rows(event)
    first = rows[0]
    model = _EVENT_MODELS[event]
    mix = PopulationMix(
        event,
        (
            MixEntry(LeafKind.TLS, model.segment, model.profile, 1.0),
            *(e for e in MIX_2020.entries if e.kind != LeafKind.TLS),
        ),
    )
    hier = _hierarchy(event, model, model.ca)
    deadline = math.inf if first.deadline_days is None else first.deadline_days
    responses = dict(DEFAULT_RESPONSES_2020)
    if median_days is not None:
        responses[model.segment] = OwnerResponse(median_days, SIGMA, model.never_fraction)
    markers = {}
    if first.deadline_days is not None:
        what = "revoked" if first.metric == "intermediate_revoked" else "deadline"
        markers[f"{what}: day {first.deadline_text}"] = deadline
    if first.reissue_deadline_days is not None:
        markers[f"reissue deadline: day {first.reissue_deadline_days:g}"] = (
            first.reissue_deadline_days
        )
    return Scenario(
        name=_scenario_name(event),
        description=f"{first.population} ({first.replacement_style})",
        disclosure=first.start,
        hierarchy=hier,
        revocation_days=dict.fromkeys((i.id for i in hier.intermediates), deadline),
        responses=responses,
        mix=mix,
        deadlines=markers,
        days=max(365, math.ceil(max(r.observed_day for r in rows)) + 30),
    )


def _modelled(scenario: Scenario, obs: Observation, revoke_share: float) -> float:
    timeline = simulate(scenario, n=1_000_000, seed=0, mode=PopulationMode.COHORT)
    day = math.ceil(obs.observed_day)
    frac = timeline.fractions()
    if obs.metric in SCHEDULE_METRICS:
        # Fraction of the population whose intermediate is revoked (deadline passed) by then.
        counts = timeline.leaves_by_intermediate
        rev = timeline.revocation_days.reindex(counts.index)
        return float(counts[rev <= obs.observed_day].sum() / counts.sum())
    replaced = float(frac["replaced"].iloc[day])
    if obs.metric == "sites_still_on_old_certificates":
        return 1.0 - replaced
    if obs.metric == "revoked":
        return replaced * revoke_share
    return replaced


@dataclass(frozen=True)
class EventFit:
    """The fit of one observation.

    Attributes:
        observation: The observed row.
        kind: ``"fitted"`` (owner behaviour) or ``"schedule"`` (a schedule fact).
        segment: The owner segment whose response was fitted.
        median_days: Fitted median owner delay (``None`` for schedule facts).
        sigma: Log-normal shape used.
        never_fraction: Never-acting share used.
        revoke_share: Fitted share of replacers who revoke (``revoked`` rows), else ``None``.
        modelled_fraction: What the fitted model gives at the observed day.
        scenario: The event's scenario with the fitted response.
    """

    observation: Observation
    kind: str
    segment: str
    median_days: float | None
    sigma: float
    never_fraction: float
    revoke_share: float | None
    modelled_fraction: float
    scenario: Scenario

    @property
    def error(self) -> float:
        """Modelled minus observed fraction."""
        return self.modelled_fraction - self.observation.observed_fraction


def _bisect(f: object, target: float, lo: float, hi: float, *, increasing: bool) -> float:
    func = f
    assert callable(func)
    for _ in range(60):
        mid = math.sqrt(lo * hi)
        above = func(mid) > target
        if above == increasing:
            hi = mid
        else:
            lo = mid
    return math.sqrt(lo * hi)


def fit(event: str, metric: str | None = None) -> EventFit:
    """Fit the owner response that reproduces an event's observed fraction at its day.

    Args:
        event: Event id (``observations()[k].event``).
        metric: Which of the event's rows (default: its first).

    Returns:
        The fit; for schedule facts, the schedule's value and no parameter.

    Raises:
        ParameterError: unknown event or metric, or no parameter in range reproduces the row.
    """
    rows = _event_rows(event)
    picked = [r for r in rows if metric is None or r.metric == metric]
    if not picked:
        raise ParameterError(
            f"metric must be one of {', '.join(r.metric for r in rows)} for {event}, got {metric!r}"
        )
    obs = picked[0]
    model = _EVENT_MODELS[event]
    if obs.is_schedule_fact:
        scenario = _base_scenario(event, None)
        return EventFit(obs, "schedule", model.segment, None, SIGMA, model.never_fraction,
                        None, _modelled(scenario, obs, 1.0), scenario)  # fmt: skip
    if obs.metric == "revoked":
        base = next((r for r in rows if r.metric != "revoked"), None)
        if base is None:
            raise ParameterError(f"metric 'revoked' of {event} needs a replacement row to build on")
        replaced_fit = fit(event, base.metric)
        replaced = _modelled(replaced_fit.scenario, obs, 1.0)
        share = obs.observed_fraction / replaced
        if not 0 <= share <= 1:
            raise ParameterError(f"revoke share must be in [0, 1], got {share:.3f} for {event}")
        return replace(replaced_fit, observation=obs, revoke_share=share,
                       modelled_fraction=_modelled(replaced_fit.scenario, obs, share))  # fmt: skip

    def at(median: float) -> float:
        return _modelled(_base_scenario(event, median), obs, 1.0)

    lo, hi = 1e-3, 1e5
    increasing = obs.metric == "sites_still_on_old_certificates"  # more delay, more left
    reach = sorted((at(lo), at(hi)))
    if not reach[0] - 1e-9 <= obs.observed_fraction <= reach[1] + 1e-9:
        raise ParameterError(
            f"observed_fraction {obs.observed_fraction} of {event} is outside what the model "
            f"reaches, [{reach[0]:.3f}, {reach[1]:.3f}]"
        )
    median = _bisect(at, obs.observed_fraction, lo, hi, increasing=increasing)
    scenario = _base_scenario(event, median)
    return EventFit(obs, "fitted", model.segment, median, SIGMA, model.never_fraction, None,
                    _modelled(scenario, obs, 1.0), scenario)  # fmt: skip


def fit_all() -> tuple[EventFit, ...]:
    """``fit`` for every row of the calibration file, in file order."""
    return tuple(fit(o.event, o.metric) for o in observations())


def event_scenario(name: str) -> Scenario:
    """The scenario of a calibration event, with the fitted owner response.

    Args:
        name: ``event_scenario_names()`` entry or event id.

    Raises:
        ParameterError: unknown name.
    """
    event = name.replace("-", "_")
    _event_rows(event)
    fitted = [f for f in (fit(event, o.metric) for o in _event_rows(event)) if f.kind == "fitted"]
    return fitted[0].scenario if fitted else _base_scenario(event, None)


def model_curve(fitted: EventFit) -> tuple[np.ndarray, np.ndarray]:
    """Days and modelled fraction (in the observation's metric) over the fit's scenario.

    For plotting model against observation; the cohort model, so no sampling noise.
    """
    timeline = simulate(fitted.scenario, n=1_000_000, seed=0, mode=PopulationMode.COHORT)
    days = np.arange(timeline.days, dtype=np.float64)
    metric = fitted.observation.metric
    if metric in SCHEDULE_METRICS:
        counts = timeline.leaves_by_intermediate
        rev = timeline.revocation_days.reindex(counts.index).to_numpy()
        weights = counts.to_numpy() / counts.sum()
        values = np.array([weights[rev <= d].sum() for d in days])
        return days, values
    replaced = timeline.fractions()["replaced"].to_numpy()
    if metric == "sites_still_on_old_certificates":
        return days, 1.0 - replaced
    if metric == "revoked" and fitted.revoke_share is not None:
        return days, replaced * fitted.revoke_share
    return days, replaced
