"""The honest test of the owner model: predict each real event from the other events.

Each calibration event (``sim.calibration``) has one fitted parameter (the median owner delay
of its segment) and one observation, so a fitted row matches its observation by construction
and checks nothing. The out-of-sample check leaves one event out: the event's row is predicted
with the median fitted to the *other* events of the same owner segment (their geometric mean,
since the delays are log-normal), everything else about the event's scenario unchanged. The
gap between that prediction and the observation is the model's honest error.

A row gets no prediction (``None``) when its segment has no other event, when it measures
something no other event fits (Heartbleed's revoke-on-replace share), or when it is a schedule
fact: the two 2020 schedule rows are inputs of the 2020 scenario, not checks of it.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

from sim.calibration import SIGMA, EventFit, fit_all, model_curve
from sim.incident import OwnerResponse

__all__ = ["HeldOut", "held_out", "mean_abs_error"]


@dataclass(frozen=True)
class HeldOut:
    """A calibration row with its in-sample fit and its leave-one-event-out prediction.

    Attributes:
        fit: The row's own fit (``fit.modelled_fraction`` matches the observation by
            construction).
        role: ``"input"`` (a schedule fact the scenarios take as given) or ``"check"``.
        from_events: The other events of the segment the prediction uses (empty: none).
        median_days: The median owner delay used for the prediction, or None.
        fraction: The predicted fraction at the observed day, or None.
    """

    fit: EventFit
    role: str
    from_events: tuple[str, ...]
    median_days: float | None
    fraction: float | None

    @property
    def error(self) -> float | None:
        """Predicted minus observed fraction (None without a prediction)."""
        if self.fraction is None:
            return None
        return self.fraction - self.fit.observation.observed_fraction


def _predict(row: EventFit, median: float) -> float:
    """The row's metric at its observed day with the segment's median set to ``median``."""
    scenario = row.scenario
    responses = dict(scenario.responses)
    responses[row.segment] = OwnerResponse(median, SIGMA, row.never_fraction)
    changed = dataclasses.replace(row, scenario=dataclasses.replace(scenario, responses=responses))
    _days, values = model_curve(changed)
    return float(values[math.ceil(row.observation.observed_day)])


def held_out(fits: tuple[EventFit, ...] | None = None) -> tuple[HeldOut, ...]:
    """Every calibration row with its leave-one-event-out prediction, in file order.

    Args:
        fits: The in-sample fits (default: ``sim.calibration.fit_all()``).
    """
    rows = fit_all() if fits is None else fits
    out = []
    for row in rows:
        event = row.observation.event
        if row.kind == "schedule":
            out.append(HeldOut(row, "input", (), None, None))
            continue
        others = {
            f.observation.event: f.median_days
            for f in rows
            if f.kind == "fitted"
            and f.segment == row.segment
            and f.observation.event != event
            and f.observation.metric != "revoked"
            and f.median_days is not None
        }
        if not others or row.observation.metric == "revoked":
            out.append(HeldOut(row, "check", (), None, None))
            continue
        median = math.exp(sum(math.log(m) for m in others.values()) / len(others))
        out.append(HeldOut(row, "check", tuple(others), median, _predict(row, median)))
    return tuple(out)


def mean_abs_error(rows: tuple[HeldOut, ...]) -> float | None:
    """Mean absolute out-of-sample error over the rows that have a prediction (None: none)."""
    errors = [abs(r.error) for r in rows if r.error is not None]
    return sum(errors) / len(errors) if errors else None
